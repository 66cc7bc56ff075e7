"""Parsers: what each source format reads, how bad rows are named; and the full reference
catalogues imported twice (slow, needs ../shared/data)."""

import json
import re

import pytest

from movies.importers import get_importer
from movies.importers.movielens import split_title
from movies.models import Credit, Genre, Keyword, Movie, Person
from movies.services import movies_import
from tests.conftest import ROOT
from tests.movies.conftest import (
    NETFLIX_COLUMNS,
    TMDB_COLUMNS,
    netflix_row,
    tmdb_row,
    write_csv,
    write_jsonl,
)


def read(format, *paths):
    return get_importer(format).read(list(paths))


def test_jsonl_reads_every_field_and_keeps_billing_order(heat_jsonl):
    result = read("jsonl", heat_jsonl)

    assert result.errors == []
    heat, ronin = result.records
    assert heat.location == "catalogue.jsonl:1"
    assert (heat.title, heat.year, heat.kind, heat.imdb_id, heat.tmdb_id) == (
        "Heat",
        1995,
        "film",
        "tt0113277",
        949,
    )
    assert heat.cast == ("Al Pacino", "Robert De Niro", "Val Kilmer")
    assert heat.genres == ("Crime", "Drama")  # "Dramas" joins the shared vocabulary
    assert heat.countries == ("United States",)
    assert (ronin.title, ronin.year, ronin.kind, ronin.cast) == ("Ronin", None, None, ())


def test_jsonl_names_every_bad_line_with_its_reason(tmp_path):
    path = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            {"title": "Fine", "year": 2001},
            '{"title": "Broken", "year": ',
            {"year": 1999},
            {"title": "Far future", "year": 20015},
            {"title": "Typo", "genre": ["Drama"]},
            {"title": "Wrong type", "cast": "Al Pacino"},
            {"title": "Bad id", "imdb_id": "113277"},
            "[1, 2]",
        ],
    )

    result = read("jsonl", path)

    assert [r.title for r in result.records] == ["Fine"]
    assert [str(e) for e in result.errors] == [
        "bad.jsonl:2: broken JSON: Expecting value (column 28)",
        "bad.jsonl:3: title is missing",
        "bad.jsonl:4: year 20015 is not a year (1870 to 2100)",
        "bad.jsonl:5: unknown field(s) genre",
        "bad.jsonl:6: cast must be a list of names",
        "bad.jsonl:7: imdb_id '113277' is not an IMDb title id (tt0113277)",
        "bad.jsonl:8: a line must hold one JSON object",
    ]


def test_netflix_maps_kind_runtime_rating_people_and_genres(tmp_path):
    path = write_csv(
        tmp_path / "netflix.csv",
        NETFLIX_COLUMNS,
        [
            netflix_row(cast="Kirsten Johnson, Michael Hilow"),
            netflix_row(
                show_id="s2",
                type="TV Show",
                title="Blood & Water",
                director="",
                country="South Africa, United States",
                duration="2 Seasons",
                rating="TV-MA",
                listed_in="International TV Shows, TV Dramas, TV Mysteries",
            ),
            netflix_row(show_id="s5542", title="Louis C.K. 2017", rating="74 min", duration=""),
        ],
    )

    film, series, special = read("netflix", path).records

    assert (film.kind, film.netflix_id, film.runtime, film.certificate) == (
        "film",
        "s1",
        90,
        "PG-13",
    )
    assert film.directors == ("Kirsten Johnson",)
    assert film.cast == ("Kirsten Johnson", "Michael Hilow")
    assert film.genres == ("Documentary",)
    assert (series.kind, series.runtime, series.certificate) == ("series", None, "TV-MA")
    assert series.countries == ("South Africa", "United States")
    assert series.genres == ("International", "Drama", "Mystery")
    assert (special.runtime, special.certificate) == (74, "")  # duration misfiled as rating


def test_tmdb_reads_its_json_columns(tmdb_csv):
    heat, ronin = read("tmdb", tmdb_csv).records

    assert (heat.tmdb_id, heat.year, heat.runtime, heat.original_title) == (949, 1995, 170, "")
    assert heat.genres == ("Action", "Crime", "Drama", "Thriller")
    assert heat.keywords == ("robbery", "heist")
    assert heat.countries == ("United States",)
    assert heat.languages == ("English", "Spanish")
    assert (heat.popularity, heat.vote_average, heat.vote_count) == (70.5, 7.7, 1886)
    assert ronin.runtime is None  # TMDB's 0 means unknown


def test_tmdb_counts_lines_across_multi_line_cells_and_names_broken_cells(tmp_path):
    path = write_csv(
        tmp_path / "tmdb.csv",
        TMDB_COLUMNS,
        [
            tmdb_row(overview="First line.\nSecond line.\nThird line."),
            tmdb_row(id="2", title="Broken genres", genres='[{"name": "Drama"'),
            tmdb_row(id="3", title="Bad date", release_date="15/12/1995"),
            tmdb_row(id="4", title=""),
        ],
    )

    result = read("tmdb", path)

    assert result.records[0].synopsis == "First line.\nSecond line.\nThird line."
    assert [str(e) for e in result.errors] == [
        "tmdb.csv:5: genres is broken JSON: Expecting ',' delimiter",
        "tmdb.csv:6: release_date '15/12/1995' is not a date (YYYY-MM-DD)",
        "tmdb.csv:7: title is missing",
    ]


def test_broken_csv_rows_are_named(tmp_path):
    path = tmp_path / "netflix.csv"
    good = ",".join(f'"{netflix_row()[c]}"' for c in NETFLIX_COLUMNS)
    path.write_text(
        ",".join(NETFLIX_COLUMNS) + "\n" + good + "\n" + "s9,Movie,Short row\n" + good + "\n"
    )
    missing_column = tmp_path / "no-title.csv"
    missing_column.write_text("show_id,type\ns1,Movie\n")

    result = read("netflix", path, missing_column)

    assert len(result.records) == 2
    assert [str(e) for e in result.errors] == [
        "netflix.csv:3: expected 12 fields, found 3",
        "no-title.csv:1: the header lacks column(s) title, director, cast, country, release_year",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Matrix, The (1999)", ("The Matrix", "", 1999)),
        ("Toy Story (1995)", ("Toy Story", "", 1995)),
        ("Seven (a.k.a. Se7en) (1995)", ("Seven", "", 1995)),
        (
            "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
            ("The City of Lost Children", "La Cité des enfants perdus", 1995),
        ),
        ("Good, the Bad and the Ugly, The (Buono, il brutto, il cattivo, Il) (1966)",
         ("The Good, the Bad and the Ugly", "Il Buono, il brutto, il cattivo", 1966)),
        ("(500) Days of Summer (2009)", ("(500) Days of Summer", "", 2009)),
        ("Babylon 5", ("Babylon 5", "", None)),
        ("Stranger Things (2016-)", ("Stranger Things", "", 2016)),
    ],
)  # fmt: skip
def test_movielens_titles_are_turned_round(text, expected):
    assert split_title(text) == expected


def test_movielens_joins_links_from_a_folder_or_two_files(movielens_dir):
    from_folder = read("movielens", movielens_dir)
    from_files = read("movielens", movielens_dir / "links.csv", movielens_dir / "movies.csv")

    assert from_folder.errors == from_files.errors == []
    assert from_folder.records == from_files.records
    heat, matrix, city = from_folder.records
    assert (heat.movielens_id, heat.imdb_id, heat.tmdb_id) == (6, "tt0113277", 949)
    assert (matrix.title, matrix.genres) == ("The Matrix", ("Action", "Science Fiction"))
    assert (city.imdb_id, city.tmdb_id) == ("tt0112682", None)


def test_movielens_names_a_link_without_a_film(movielens_dir):
    with (movielens_dir / "links.csv").open("a") as links:
        links.write("999999,0000001,5\n")

    result = read("movielens", movielens_dir)

    assert [str(e) for e in result.errors] == [
        "links.csv:5: movieId 999999 has no row in movies.csv"
    ]


def test_wikipedia_keeps_each_rows_line_and_cleans_template_css(tmp_path, wikipedia_json):
    css_title = (
        "Naked Gun .mw-parser-output .frac{white-space:nowrap}.mw-parser-output .frac .num"
        "{font-size:80%}33+1\u20443: The Final Insult"
    )
    other = tmp_path / "movies-1990s-b.json"
    other.write_text(json.dumps([{"title": css_title, "year": 1994, "cast": [], "genres": []}]))

    result = read("wikipedia", wikipedia_json, other)

    assert result.errors == []
    heat = result.records[0]
    assert heat.location == "movies-1990s.json:2"
    assert result.records[1].location == "movies-1990s.json:19"  # Heat spans lines 2-18
    assert heat.wikipedia_slug == "Heat_(1995_film)"
    assert heat.poster_url.startswith("https://upload.wikimedia.org/")
    assert heat.synopsis.startswith("Heat is a 1995 American crime film")
    assert heat.cast[0] == "Al Pacino"
    assert result.records[-1].title == "Naked Gun 33+1\u20443: The Final Insult"


def test_wikipedia_names_broken_json_and_bad_rows(tmp_path):
    broken = tmp_path / "movies-2000s.json"
    broken.write_text('[\n  {"title": "Fine", "year": 2001},\n  {"title": "Cut off", "year": \n')
    bad = tmp_path / "movies-2010s.json"
    bad.write_text('[\n  {"title": "", "year": 2011},\n  {"title": "X", "year": 201}\n]')

    result = read("wikipedia", broken, bad)

    assert [r.title for r in result.records] == ["Fine"]
    assert [str(e) for e in result.errors] == [
        "movies-2000s.json:4: broken JSON: Expecting value (column 1)",
        "movies-2010s.json:2: title is missing",
        "movies-2010s.json:3: year 201 is not a year (1870 to 2100)",
    ]


def test_importers_and_the_service_import_nothing_from_recommendations():
    """Data flows one way: the index follows the catalogue through movies_changed."""
    files = [*(ROOT / "movies" / "importers").glob("*.py"), ROOT / "movies" / "services.py"]
    offenders = [
        path.name
        for path in files
        if re.search(r"^\s*(from|import)\s+recommendations\b", path.read_text(), re.MULTILINE)
    ]
    assert len(files) >= 8 and offenders == []


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format 'imdb'"):
        get_importer("imdb")


# --- The reference catalogues, each imported twice (slow) ---------------------------------


def _empty_catalogue(django_db_blocker) -> None:
    # Raw deletes: Credit.delete() sends post_delete for each of 130k+ credits, and each marks
    # its film pending with one UPDATE (minutes on PostgreSQL).
    with django_db_blocker.unblock():
        Credit.objects.all()._raw_delete(Credit.objects.db)
        Movie.genres.through.objects.all().delete()
        Movie.keywords.through.objects.all().delete()
        Movie.objects.all()._raw_delete(Movie.objects.db)
        for model in (Person, Genre, Keyword):
            model.objects.all()._raw_delete(model.objects.db)


def _import_twice(django_db_blocker, format, paths):
    with django_db_blocker.unblock():
        first = movies_import(format=format, paths=paths)
        second = movies_import(format=format, paths=paths)
    return first, second


@pytest.fixture(scope="class")
def catalogue_for_class(django_db_setup, django_db_blocker, shared_data):
    _empty_catalogue(django_db_blocker)
    yield shared_data
    _empty_catalogue(django_db_blocker)


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.django_db
class TestTmdbThenMovielens:
    @pytest.fixture(scope="class")
    def runs(self, catalogue_for_class, django_db_blocker):
        data = catalogue_for_class
        tmdb = _import_twice(django_db_blocker, "tmdb", [data / "catalogues/tmdb_5000_movies.csv"])
        movielens = _import_twice(django_db_blocker, "movielens", [data / "movielens"])
        return {"tmdb": tmdb, "movielens": movielens}

    def test_tmdb_creates_4803_films_and_a_second_run_changes_nothing(self, runs):
        first, second = runs["tmdb"]
        assert (first.rows, first.created, first.updated, first.skipped) == (4803, 4803, 0, 0)
        assert (second.created, second.updated, second.unchanged) == (0, 0, 4803)
        assert second.movie_ids == []

    def test_movielens_merges_onto_tmdb_where_ids_match(self, runs):
        first, second = runs["movielens"]
        assert first.rows == 9742
        assert first.created + first.updated == 9742
        assert Movie.objects.exclude(movielens_id=None).count() == 9742
        both = Movie.objects.exclude(movielens_id=None).exclude(tmdb_id=None)
        merged = both.filter(synopsis__gt="").count()  # a TMDB film that got its MovieLens id
        assert merged == first.updated > 3000
        assert Movie.objects.count() == 4803 + first.created
        assert (second.created, second.updated, second.unchanged) == (0, 0, 9742)

    def test_a_merged_film_holds_both_sources(self, runs):
        toy_story = Movie.objects.get(movielens_id=1)
        assert (toy_story.tmdb_id, toy_story.imdb_id, toy_story.year) == (862, "tt0114709", 1995)
        assert toy_story.synopsis  # from TMDB
        assert "Family" in set(toy_story.genres.values_list("name", flat=True))


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.django_db
class TestNetflix:
    @pytest.fixture(scope="class")
    def runs(self, catalogue_for_class, django_db_blocker):
        path = catalogue_for_class / "catalogues/netflix_titles.csv"
        return _import_twice(django_db_blocker, "netflix", [path])

    def test_netflix_creates_8807_titles_and_a_second_run_changes_nothing(self, runs):
        first, second = runs
        assert (first.rows, first.created, first.skipped) == (8807, 8807, 0)
        assert Movie.objects.filter(kind="film").count() == 6131
        assert Movie.objects.filter(kind="series").count() == 2676
        assert (second.created, second.updated, second.unchanged) == (0, 0, 8807)

    def test_netflix_people_come_in_billing_order(self, runs):
        film = Movie.objects.get(netflix_id="s2")  # Blood & Water
        cast = list(film.credits.filter(role="cast").values_list("person__name", flat=True))
        assert cast[:2] == ["Ama Qamata", "Khosi Ngema"]
        assert film.kind == "series" and film.runtime is None


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.django_db
class TestWikipedia:
    @pytest.fixture(scope="class")
    def runs(self, catalogue_for_class, django_db_blocker):
        paths = sorted((catalogue_for_class / "wikipedia-movies").glob("movies-*.json"))
        return _import_twice(django_db_blocker, "wikipedia", paths)

    def test_wikipedia_reads_36273_rows_and_merges_duplicates(self, runs):
        first, second = runs
        assert (first.rows, first.skipped) == (36273, 0)
        assert first.merged > 0
        assert first.created + first.merged == 36273
        assert Movie.objects.count() == first.created
        assert (second.created, second.updated, second.unchanged) == (0, 0, first.created)
        assert second.merged == first.merged

    def test_wikipedia_import_takes_under_a_minute(self, runs):
        first, _ = runs
        # About 8 s of CPU and 25-35 s of wall time on a 2-core machine under a load of 15.
        assert first.seconds < 60
        assert first.cpu_seconds < 30

    def test_wikipedia_fields_land(self, runs):
        heat = Movie.objects.get(wikipedia_slug="Heat_(1995_film)")
        assert heat.year == 1995 and heat.poster_url.startswith("https://")
        assert heat.synopsis.startswith("Heat is a 1995 American")
        assert heat.credits.get(role="cast", order=0).person.name == "Al Pacino"
