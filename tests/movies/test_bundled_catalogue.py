"""The bundled catalogue data/catalogue.jsonl: well formed, ids verified, synopses our own."""

import csv
import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from movies.text import normalize_title

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "catalogue.jsonl"

GENRES = {
    "Action",
    "Adventure",
    "Animation",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Family",
    "Fantasy",
    "History",
    "Horror",
    "Music",
    "Mystery",
    "Romance",
    "Science Fiction",
    "Thriller",
    "War",
    "Western",
}
REQUIRED = {
    "title": str,
    "year": int,
    "kind": str,
    "genres": list,
    "directors": list,
    "cast": list,
    "synopsis": str,
    "imdb_id": str,
    "tmdb_id": int,
    "movielens_id": int,
}
OPTIONAL_LISTS = ("keywords", "writers", "countries", "languages")
KEY_ORDER = (
    "title",
    "original_title",
    "year",
    "kind",
    "genres",
    "keywords",
    "directors",
    "writers",
    "cast",
    "synopsis",
    "tagline",
    "runtime",
    "certificate",
    "countries",
    "languages",
    "popularity",
    "vote_average",
    "vote_count",
    "imdb_id",
    "tmdb_id",
    "movielens_id",
)
IMDB_ID = re.compile(r"^tt\d{7,8}$")
# A full stop, ! or ? (and any closing quote) before a capital or the end; initials and
# "Mr." / "Dr." / "St." are not sentence ends.
SENTENCE_END = re.compile(
    r"(?<!\b[A-Z])(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bJr)(?<!\bvs)"
    r"[.!?]['\"\u2019\u201d)]*(?=\s+['\"\u2018\u201c(]?[A-Z0-9]|\s*$)"
)
SHARED_RUN = 6  # words in a row that a synopsis may not share with another source's text

# MovieLens titles: "Matrix, The (1999)", "Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)",
# "Seven (a.k.a. Se7en) (1995)". A trailing article ("Boot, Das") goes back to the front.
_ML_TITLE = re.compile(r"^(?P<name>.*?)\s*\((?P<year>\d{4})\)\s*$")
_ALTERNATE = re.compile(r"\(([^()]*)\)")
_AKA = re.compile(r"^a\.k\.a\.\s*", re.IGNORECASE)
_TRAILING_ARTICLE = re.compile(
    r"^(?P<rest>.*),\s*(?P<article>the|a|an|la|le|les|l'|il|lo|i|gli|el|los|las|das|der|die"
    r"|det|den|un|une)$",
    re.IGNORECASE,
)


def _article_first(title: str) -> str:
    match = _TRAILING_ARTICLE.match(title.strip())
    if not match:
        return title.strip()
    article = match["article"]
    joiner = "" if article.endswith("'") else " "
    return f"{article}{joiner}{match['rest']}"


def movielens_titles(raw: str) -> tuple[set[str], int | None]:
    """Normalised main and alternate titles, and the year, of a MovieLens movies.csv title."""
    match = _ML_TITLE.match(raw)
    if not match:
        return {normalize_title(raw)}, None
    name = match["name"]
    main = _ALTERNATE.sub("", name).strip()
    alternates = [_AKA.sub("", alt) for alt in _ALTERNATE.findall(name)]
    titles = {normalize_title(_article_first(t)) for t in [main, *alternates]}
    return titles, int(match["year"])


def words(text: str) -> list[str]:
    return re.sub(r"[^\w\s]", " ", text.casefold()).split()


def shared_runs(ours: str, theirs: str, size: int = SHARED_RUN) -> set[str]:
    """Runs of `size` consecutive words that both texts contain."""

    def runs(text: str) -> set[str]:
        tokens = words(text)
        return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}

    return runs(ours) & runs(theirs)


@pytest.fixture(scope="module")
def films() -> list[dict]:
    lines = CATALOGUE.read_text(encoding="utf-8").splitlines()
    parsed = []
    for number, line in enumerate(lines, start=1):
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError as error:
            pytest.fail(f"line {number} of {CATALOGUE.name} is not JSON: {error}")
    return parsed


def _read_csv(path: Path, key: str) -> dict[str, dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def _problems_of(film: dict) -> list[str]:
    label = f"{film.get('title')!r} ({film.get('year')})"
    missing = [
        key
        for key, kind in REQUIRED.items()
        if not isinstance(film.get(key), kind) or isinstance(film.get(key), bool) or not film[key]
    ]
    if missing:
        return [f"{label}: {', '.join(missing)} missing or of the wrong type"]
    problems = []
    if unknown_keys := [key for key in film if key not in KEY_ORDER]:
        problems.append(f"{label}: unknown keys {unknown_keys}")
    elif list(film) != [key for key in KEY_ORDER if key in film]:
        problems.append(f"{label}: keys are not in the agreed order")
    if film["kind"] != "film":
        problems.append(f"{label}: kind is {film['kind']!r}")
    if not 1888 <= film["year"] <= date.today().year:
        problems.append(f"{label}: year {film['year']} is not plausible")
    if unknown := set(film["genres"]) - GENRES:
        problems.append(f"{label}: genres {sorted(unknown)} are not in the vocabulary")
    if not 3 <= len(film["cast"]) <= 5:
        problems.append(f"{label}: {len(film['cast'])} cast members, want 3-5")
    if not IMDB_ID.match(film["imdb_id"]):
        problems.append(f"{label}: imdb_id {film['imdb_id']!r}")
    if film["tmdb_id"] <= 0 or film["movielens_id"] <= 0:
        problems.append(f"{label}: ids must be positive")
    sentences = len(SENTENCE_END.findall(film["synopsis"]))
    if not 1 <= sentences <= 3:
        problems.append(f"{label}: synopsis has {sentences} sentences, want 1-3")
    for key in ("genres", "directors", "cast", *OPTIONAL_LISTS):
        values = film.get(key, [])
        if not isinstance(values, list) or not all(
            isinstance(v, str) and v.strip() for v in values
        ):
            problems.append(f"{label}: {key} must be a list of non-empty strings")
    if "keywords" in film and not 3 <= len(film["keywords"]) <= 8:
        problems.append(f"{label}: {len(film['keywords'])} keywords, want 3-8")
    for key in ("original_title", "tagline", "certificate"):
        if not isinstance(film.get(key, ""), str):
            problems.append(f"{label}: {key} must be a string")
    for key in ("popularity", "vote_average"):
        value = film.get(key, 0.0)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            problems.append(f"{label}: {key} {value!r} is not a non-negative number")
    if not 0 <= film.get("vote_average", 0) <= 10:
        problems.append(f"{label}: vote_average {film['vote_average']!r} is not 0-10")
    votes = film.get("vote_count", 0)
    if not isinstance(votes, int) or isinstance(votes, bool) or votes < 0:
        problems.append(f"{label}: vote_count {votes!r} is not a count")
    runtime = film.get("runtime", 1)
    if not isinstance(runtime, int) or isinstance(runtime, bool) or not 1 <= runtime <= 1000:
        problems.append(f"{label}: runtime {runtime!r} is not minutes")
    return problems


def test_every_film_is_well_formed(films: list[dict]) -> None:
    problems = [problem for film in films for problem in _problems_of(film)]
    assert not problems, "\n".join(problems)


def test_well_formed_check_can_fail(films: list[dict]) -> None:
    film = dict(films[0])
    assert not _problems_of(film)
    assert _problems_of({**film, "genres": ["Sci-Fi"], "year": 20015})
    assert _problems_of({**film, "cast": film["cast"][:2]})
    assert _problems_of({"synopsis": film["synopsis"], **film})  # keys out of order
    assert _problems_of({**film, "synopsis": "One. Two. Three. Four."})
    assert _problems_of({**film, "vote_count": -3})


def test_popular_opens_on_well_known_films(films: list[dict]) -> None:
    """Public TMDB figures (bench/catalogue_popularity.py): every film has a popularity, and
    the most popular are films everyone knows, not the oldest."""
    assert all(isinstance(film.get("popularity"), int | float) for film in films)
    top = sorted(films, key=lambda film: -film["popularity"])[:20]
    assert {"The Dark Knight", "Inception", "Fight Club"} <= {film["title"] for film in top}
    assert min(film["year"] for film in top) >= 1970


def test_no_film_appears_twice(films: list[dict]) -> None:
    for key in ("imdb_id", "tmdb_id", "movielens_id"):
        repeated = [v for v, n in Counter(f[key] for f in films).items() if n > 1]
        assert not repeated, f"repeated {key}: {repeated}"
    pairs = Counter((normalize_title(f["title"]), f["year"]) for f in films)
    repeated_pairs = [pair for pair, n in pairs.items() if n > 1]
    assert not repeated_pairs, f"repeated (title, year): {repeated_pairs}"


def test_catalogue_is_broad(films: list[dict]) -> None:
    decades = {f["year"] // 10 * 10 for f in films}
    countries = {c for f in films for c in f.get("countries", [])}
    assert len(films) >= 250
    assert len(decades) >= 8, sorted(decades)
    assert len(countries) >= 10, sorted(countries)


def test_movielens_title_parsing() -> None:
    assert movielens_titles("Matrix, The (1999)") == ({"matrix"}, 1999)
    titles, year = movielens_titles("Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)")
    assert titles == {"amelie", "le fabuleux destin d amelie poulain"} and year == 2001
    assert normalize_title("Se7en") in movielens_titles("Seven (a.k.a. Se7en) (1995)")[0]
    assert "das boot" in movielens_titles("Boot, Das (Boat, The) (1981)")[0]


@pytest.mark.shared_data
def test_ids_title_and_year_agree_with_movielens(films: list[dict], shared_data: Path) -> None:
    movies = _read_csv(shared_data / "movielens" / "movies.csv", "movieId")
    by_imdb = {
        f"tt{row['imdbId'].zfill(7)}": row
        for row in _read_csv(shared_data / "movielens" / "links.csv", "movieId").values()
    }
    problems = []
    for film in films:
        label = f"{film['title']!r} ({film['year']})"
        link = by_imdb.get(film["imdb_id"])
        if link is None:
            problems.append(f"{label}: {film['imdb_id']} is not in links.csv")
            continue
        if int(link["movieId"]) != film["movielens_id"]:
            problems.append(f"{label}: movielens_id {film['movielens_id']} != {link['movieId']}")
        if not link["tmdbId"] or int(link["tmdbId"]) != film["tmdb_id"]:
            problems.append(f"{label}: tmdb_id {film['tmdb_id']} != {link['tmdbId']!r}")
        raw = movies[link["movieId"]]["title"]
        titles, year = movielens_titles(raw)
        ours = {normalize_title(film["title"]), normalize_title(film.get("original_title", ""))}
        if not ours & titles:
            problems.append(f"{label}: title does not match MovieLens {raw!r}")
        if year != film["year"]:
            problems.append(f"{label}: year does not match MovieLens {raw!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.shared_data
def test_synopses_are_written_by_us(films: list[dict], shared_data: Path) -> None:
    tmdb = _read_csv(shared_data / "catalogues" / "tmdb_5000_movies.csv", "id")
    compared, problems = 0, []
    for film in films:
        row = tmdb.get(str(film["tmdb_id"]))
        if row is None:
            continue
        compared += 1
        for field in ("overview", "tagline"):
            if overlap := shared_runs(film["synopsis"], row[field] or ""):
                problems.append(f"{film['title']!r}: shares {sorted(overlap)} with TMDB {field}")
    assert compared >= 100, f"only {compared} films are in TMDB 5000"
    assert not problems, "\n".join(problems)


def test_sentence_counting() -> None:
    assert len(SENTENCE_END.findall("Dr. Smith meets J. Edgar Hoover in the U.S. Senate.")) == 1
    assert len(SENTENCE_END.findall("He runs. She waits! 'Who knows?'")) == 3


def _other_descriptions(shared_data: Path) -> dict[tuple[str, int], list[tuple[str, str]]]:
    """Wikipedia lead sections and Netflix descriptions by (normalised title, year)."""
    found: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for path in sorted((shared_data / "wikipedia-movies").glob("movies-*.json")):
        for film in json.loads(path.read_text(encoding="utf-8")):
            if film.get("extract") and isinstance(film.get("year"), int):
                key = (normalize_title(film["title"]), film["year"])
                found.setdefault(key, []).append(("Wikipedia", film["extract"]))
    netflix = shared_data / "catalogues" / "netflix_titles.csv"
    with netflix.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["release_year"].isdigit():
                key = (normalize_title(row["title"]), int(row["release_year"]))
                found.setdefault(key, []).append(("Netflix", row["description"]))
    return found


@pytest.mark.shared_data
def test_synopses_share_no_phrase_with_saved_imdb_pages(
    films: list[dict], shared_data: Path
) -> None:
    by_imdb = {film["imdb_id"]: film for film in films}
    compared, problems = 0, []
    for page in sorted((shared_data / "imdb-pages").glob("title_tt*.html")):
        film = by_imdb.get(page.name.split("_")[1])
        if film is None:
            continue
        compared += 1
        text = re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8", errors="replace"))
        if overlap := shared_runs(film["synopsis"], text):
            problems.append(f"{film['title']!r}: shares {sorted(overlap)} with {page.name}")
    assert compared, "no saved IMDb page is of a bundled film"
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.shared_data
def test_synopses_share_no_phrase_with_wikipedia_or_netflix(
    films: list[dict], shared_data: Path
) -> None:
    descriptions = _other_descriptions(shared_data)
    compared, problems = 0, []
    for film in films:
        titles = {film["title"], film.get("original_title") or film["title"]}
        for title in titles:
            for source, text in descriptions.get((normalize_title(title), film["year"]), []):
                compared += 1
                if overlap := shared_runs(film["synopsis"], text):
                    problems.append(f"{film['title']!r}: shares {sorted(overlap)} with {source}")
    assert compared >= 100, f"only {compared} descriptions to compare with"
    assert not problems, "\n".join(problems)


def test_shared_run_check_can_fail() -> None:
    overview = "A burger-loving hit man, his philosophical partner and a boxer cross paths."
    assert shared_runs("Here, a burger-loving hit man, his philosophical partner meet.", overview)
    assert not shared_runs("Two hit men talk about burgers on the way to a job.", overview)


def test_the_jsonl_importer_reads_the_popularity_figures() -> None:
    from movies.importers import get_importer

    result = get_importer("jsonl").read([CATALOGUE])
    assert result.errors == [] and len(result.records) == 451
    by_title = {record.title: record for record in result.records}
    dark_knight = by_title["The Dark Knight"]
    assert dark_knight.popularity > 100 and dark_knight.vote_count > 10_000
    assert 8 <= dark_knight.vote_average <= 9
    assert by_title["Nosferatu"].vote_count is None  # not in TMDB 5000: no vote figures
