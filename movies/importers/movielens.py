"""MovieLens (ml-latest-small): movies.csv ("Matrix, The (1999)", pipe-separated genres) joined
with links.csv (movieId -> IMDb and TMDB ids). The PATHs are both files, or their folder."""

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from movies.importers.base import (
    Importer,
    InvalidRow,
    MovieRecord,
    RowError,
    as_int,
    csv_rows,
    make_record,
    split_names,
)
from movies.importers.vocabulary import genre_names

_YEAR_AT_END = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})(?:\s*[-\u2013]\s*\d{0,4})?\)\s*$")
_PARENTHESIS_AT_END = re.compile(r"^(?P<title>.+?)\s*\((?P<other>[^()]+)\)$")
_ARTICLE_AT_END = re.compile(
    r"^(?P<body>.+), (?P<article>The|A|An|La|Le|Les|L'|Il|Lo|Gli|El|Los|Las|Die|Der|Das|"
    r"Den|Det|De|Een|Het|O|Os|As|Un|Une|Uno|Una)$"
)


def split_title(text: str) -> tuple[str, str, int | None]:
    """'City of Lost Children, The (Cité des enfants perdus, La) (1995)' ->
    ('The City of Lost Children', 'La Cité des enfants perdus', 1995)."""
    text = text.strip()
    year = None
    if match := _YEAR_AT_END.match(text):
        text, year = match["title"], int(match["year"])
    original = ""
    if match := _PARENTHESIS_AT_END.match(text):
        text, other = match["title"], match["other"].strip()
        if not other.lower().startswith("a.k.a."):
            original = other
    return _article_first(text), _article_first(original), year


def _article_first(title: str) -> str:
    match = _ARTICLE_AT_END.match(title)
    if not match:
        return title
    article = match["article"]
    return f"{article}{match['body']}" if article.endswith("'") else f"{article} {match['body']}"


class MovielensImporter(Importer):
    format = "movielens"
    label = "MovieLens movies.csv + links.csv (or their folder)"
    owned_fields = frozenset({"movielens_id"})

    def rows(self, paths: Sequence[Path]) -> Iterator[MovieRecord | RowError]:
        movies_files, links_files, errors = _sort_files(paths)
        yield from errors
        links: dict[int, tuple[str, dict[str, str]]] = {}
        for path in links_files:
            for row in csv_rows(path, ("movieId", "imdbId", "tmdbId")):
                if isinstance(row, RowError):
                    yield row
                    continue
                location, values = row
                try:
                    movie_id = as_int(values["movieId"], "movieId")
                except InvalidRow as error:
                    yield RowError(location, str(error))
                    continue
                links[movie_id] = (location, values)
        seen: set[int] = set()
        for path in movies_files:
            for row in csv_rows(path, ("movieId", "title", "genres")):
                if isinstance(row, RowError):
                    yield row
                    continue
                location, values = row
                try:
                    record = _record(location, values, links)
                except InvalidRow as error:
                    yield RowError(location, str(error))
                    continue
                seen.add(record.movielens_id)
                yield record
        for movie_id, (location, _values) in links.items():
            if movie_id not in seen and movies_files:
                yield RowError(location, f"movieId {movie_id} has no row in movies.csv")


def _sort_files(paths: Sequence[Path]) -> tuple[list[Path], list[Path], list[RowError]]:
    """Which PATH is movies.csv and which links.csv: by name, or a folder holding both."""
    movies_files: list[Path] = []
    links_files: list[Path] = []
    for path in paths:
        if path.is_dir():
            movies_files.append(path / "movies.csv")
            if (path / "links.csv").exists():
                links_files.append(path / "links.csv")
        elif "link" in path.name.lower():
            links_files.append(path)
        else:
            movies_files.append(path)
    errors = []
    if not movies_files:
        errors.append(RowError(", ".join(p.name for p in paths) or "-", "no movies.csv given"))
    return movies_files, links_files, errors


def _record(
    location: str, row: dict[str, str], links: dict[int, tuple[str, dict[str, str]]]
) -> MovieRecord:
    movie_id = as_int(row["movieId"], "movieId")
    if movie_id is None:
        raise InvalidRow("movieId is missing")
    title, original_title, year = split_title(row["title"])
    imdb_id, tmdb_id = None, None
    if movie_id in links:
        link_location, link = links[movie_id]
        try:
            imdb_number = as_int(link["imdbId"], "imdbId")
            tmdb_id = as_int(link["tmdbId"], "tmdbId")
        except InvalidRow as error:
            raise InvalidRow(f"{error} (in {link_location})") from None
        imdb_id = f"tt{imdb_number:07d}" if imdb_number else None
    return make_record(
        location,
        title=title,
        original_title=original_title,
        year=year,
        kind="film",
        movielens_id=movie_id,
        imdb_id=imdb_id,
        tmdb_id=tmdb_id,
        genres=genre_names(split_names(row["genres"], "|")),
    )
