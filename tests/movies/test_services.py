"""The upsert service: matching, merging, idempotence, atomic validation, the command."""

import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from movies.models import Movie
from movies.services import ImportValidationError, movies_import
from movies.signals import movies_changed
from tests.conftest import run_python
from tests.factories import CreditFactory, MovieFactory
from tests.movies.conftest import (
    HEAT_JSONL,
    TMDB_COLUMNS,
    catalogue_snapshot,
    tmdb_row,
    write_csv,
    write_jsonl,
)

pytestmark = pytest.mark.django_db


def names(movie, role):
    credits = movie.credits.filter(role=role).order_by("order")
    return list(credits.values_list("person__name", flat=True))


@pytest.fixture
def changed_ids():
    """Every movie_ids list that movies_changed carried."""
    received = []

    def receiver(sender, movie_ids, deleted_ids, **kwargs):
        received.append(sorted(movie_ids))

    movies_changed.connect(receiver)
    yield received
    movies_changed.disconnect(receiver)


def test_jsonl_import_creates_films_with_credits_in_billing_order(
    heat_jsonl, changed_ids, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        summary = movies_import(format="jsonl", paths=[heat_jsonl])

    assert (summary.rows, summary.created, summary.updated, summary.unchanged) == (2, 2, 0, 0)
    heat = Movie.objects.get(imdb_id="tt0113277")
    assert (heat.title, heat.year, heat.tmdb_id, heat.movielens_id, heat.runtime) == (
        "Heat",
        1995,
        949,
        6,
        170,
    )
    assert heat.normalized_title == "heat"
    assert heat.index_state == Movie.IndexState.PENDING
    assert names(heat, "cast") == ["Al Pacino", "Robert De Niro", "Val Kilmer"]
    assert names(heat, "director") == names(heat, "writer") == ["Michael Mann"]
    assert sorted(heat.genres.values_list("name", flat=True)) == ["Crime", "Drama"]
    assert sorted(heat.keywords.values_list("name", flat=True)) == ["heist", "los angeles"]
    assert Movie.objects.get(title="Ronin").kind == "film"
    assert changed_ids == [sorted(summary.movie_ids)]
    assert len(summary.movie_ids) == 2


def test_a_second_run_changes_nothing(heat_jsonl, changed_ids, django_capture_on_commit_callbacks):
    movies_import(format="jsonl", paths=[heat_jsonl])
    Movie.objects.update(index_state=Movie.IndexState.INDEXED)
    before = catalogue_snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        summary = movies_import(format="jsonl", paths=[heat_jsonl])

    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 2)
    assert catalogue_snapshot() == before
    assert changed_ids == []  # nothing changed: nothing to re-index


def test_tmdb_row_and_movielens_links_become_one_film(tmdb_csv, movielens_dir):
    movies_import(format="tmdb", paths=[tmdb_csv])

    summary = movies_import(format="movielens", paths=[movielens_dir])

    assert (summary.created, summary.updated) == (2, 1)
    heat = Movie.objects.get(tmdb_id=949)
    assert (heat.movielens_id, heat.imdb_id) == (6, "tt0113277")
    assert heat.synopsis.startswith("Obsessive master thief")
    assert Movie.objects.filter(title="Heat").count() == 1
    assert set(heat.genres.values_list("name", flat=True)) == {
        "Action",
        "Crime",
        "Drama",
        "Thriller",
    }


def test_title_and_year_match_fills_empty_fields_without_blanking_or_overwriting(
    tmdb_csv, wikipedia_json
):
    movies_import(format="tmdb", paths=[tmdb_csv])
    Movie.objects.update(index_state=Movie.IndexState.INDEXED)

    summary = movies_import(format="wikipedia", paths=[wikipedia_json])

    heat = Movie.objects.get(tmdb_id=949)
    assert summary.updated == 1
    assert heat.wikipedia_slug == "Heat_(1995_film)"  # filled
    assert heat.poster_url.endswith("Heatposter.jpg")  # filled
    assert heat.synopsis.startswith("Obsessive master thief")  # TMDB's, not overwritten
    assert heat.runtime == 170
    assert names(heat, "cast") == ["Al Pacino", "Robert De Niro", "Val Kilmer", "Jon Voight"]
    assert heat.index_state == Movie.IndexState.PENDING
    assert Movie.objects.get(tmdb_id=8195).index_state == Movie.IndexState.INDEXED


def test_a_sources_own_fields_update_and_others_do_not(tmp_path, tmdb_csv):
    movies_import(format="tmdb", paths=[tmdb_csv])
    newer = write_csv(
        tmp_path / "tmdb-newer.csv",
        TMDB_COLUMNS,
        [tmdb_row(popularity="80.25", vote_count="1900", tagline="New", runtime="171")],
    )

    summary = movies_import(format="tmdb", paths=[newer])

    heat = Movie.objects.get(tmdb_id=949)
    assert (summary.updated, summary.unchanged) == (1, 0)
    assert (heat.popularity, heat.vote_count) == (80.25, 1900)  # TMDB's own figures
    assert (heat.tagline, heat.runtime) == ("A Los Angeles Crime Saga", 170)  # filled before
    assert heat.synopsis.startswith("Obsessive")


def test_an_empty_value_never_blanks_a_field(tmp_path, tmdb_csv):
    movies_import(format="tmdb", paths=[tmdb_csv])
    blank = write_csv(tmp_path / "blank.csv", TMDB_COLUMNS, [tmdb_row(overview="", tagline="")])

    summary = movies_import(format="tmdb", paths=[blank])

    heat = Movie.objects.get(tmdb_id=949)
    assert summary.unchanged == 1
    assert heat.synopsis.startswith("Obsessive") and heat.tagline


def test_our_jsonl_owns_the_fields_and_adds_credits_and_genres(tmp_path, heat_jsonl):
    movies_import(format="jsonl", paths=[heat_jsonl])
    edited = HEAT_JSONL | {
        "synopsis": "",
        "runtime": 171,
        "cast": ["Robert De Niro", "Al Pacino", "Jon Voight"],
        "genres": ["Crime", "Thriller"],
    }

    summary = movies_import(format="jsonl", paths=[write_jsonl(tmp_path / "e.jsonl", [edited])])

    heat = Movie.objects.get(imdb_id="tt0113277")
    assert summary.updated == 1
    assert heat.runtime == 171
    assert heat.synopsis.startswith("A group of")  # "" is "not said", not "blank it"
    assert names(heat, "cast") == ["Al Pacino", "Robert De Niro", "Val Kilmer", "Jon Voight"]
    assert set(heat.genres.values_list("name", flat=True)) == {"Crime", "Drama", "Thriller"}


def test_importing_two_sources_in_turn_settles(heat_jsonl, tmdb_csv):
    """No field flips between sources: after one round, another round changes nothing."""
    movies_import(format="jsonl", paths=[heat_jsonl])
    first_tmdb = movies_import(format="tmdb", paths=[tmdb_csv])
    rounds = [("jsonl", heat_jsonl), ("tmdb", tmdb_csv)]
    again = [movies_import(format=f, paths=[p]) for f, p in rounds]

    # Heat matches by its ids; our Ronin has no year, TMDB's has 1998: two films.
    assert (first_tmdb.created, first_tmdb.updated) == (1, 1)
    assert [(s.created, s.updated) for s in again] == [(0, 0), (0, 0)]
    heat = Movie.objects.get(imdb_id="tt0113277")
    assert heat.tagline == "A Los Angeles crime saga."  # ours, not TMDB's capitalisation
    assert heat.popularity == 70.5  # TMDB's


def test_films_with_the_same_title_and_year_but_other_ids_stay_apart(tmp_path):
    path = write_csv(
        tmp_path / "tmdb.csv",
        TMDB_COLUMNS,
        [
            tmdb_row(id="1", title="Hamlet", release_date="1948-05-04"),
            tmdb_row(id="2", title="Hamlet", release_date="1948-10-01"),
        ],
    )

    summary = movies_import(format="tmdb", paths=[path])

    assert summary.created == 2
    assert Movie.objects.filter(title="Hamlet", year=1948).count() == 2


def test_duplicate_rows_merge_and_are_counted(wikipedia_json):
    summary = movies_import(format="wikipedia", paths=[wikipedia_json])

    # Two "Caught" (1900) rows without a page are one film; one page for two Train Wreckers
    # films of different years stays two films (the second without the slug).
    assert (summary.rows, summary.created, summary.merged) == (5, 4, 1)
    assert Movie.objects.filter(title="Caught").count() == 1
    assert Movie.objects.get(title="Caught").genres.get().name == "Short"
    wreckers = Movie.objects.filter(title="The Train Wreckers").order_by("year")
    assert [(m.year, m.wikipedia_slug) for m in wreckers] == [
        (1905, "The_Train_Wreckers"),
        (1925, None),
    ]
    assert summary.warnings == [
        "movies-1990s.json:28: wikipedia_slug The_Train_Wreckers already belongs to "
        "The Train Wreckers (1905); not given to The Train Wreckers (1925)"
    ]
    again = movies_import(format="wikipedia", paths=[wikipedia_json])
    assert (again.created, again.updated, again.unchanged, again.merged) == (0, 0, 4, 1)


def test_an_id_held_by_another_film_is_not_taken(tmp_path, movielens_dir):
    MovieFactory(title="Other film", tmdb_id=603, imdb_id="tt9999999")

    summary = movies_import(format="movielens", paths=[movielens_dir])

    matrix = Movie.objects.get(movielens_id=2571)
    assert (matrix.tmdb_id, matrix.imdb_id) == (None, "tt0133093")
    assert len(summary.warnings) == 1 and "tmdb_id 603 already belongs" in summary.warnings[0]


def test_curator_edits_and_existing_films_are_matched(tmdb_csv):
    film = MovieFactory(title="Heat", year=1995, imdb_id=None, synopsis="Curator's words.")
    CreditFactory(movie=film, person__name="X")

    movies_import(format="tmdb", paths=[tmdb_csv])

    film.refresh_from_db()
    assert film.tmdb_id == 949
    assert film.synopsis == "Curator's words."


@pytest.fixture
def file_with_a_bad_row(tmp_path):
    rows = [
        HEAT_JSONL | {"runtime": 175},
        {"title": "New film", "year": 2001, "cast": ["Someone New"]},
        {"title": "Far future", "year": 20015},
        '{"title": "Broken',
        {"title": "Another new film", "genres": ["Brand New Genre"]},
    ]
    (tmp_path / "later").mkdir()
    return write_jsonl(tmp_path / "later" / "catalogue.jsonl", rows)


def test_a_bad_row_fails_the_whole_import_and_changes_nothing(
    heat_jsonl, file_with_a_bad_row, changed_ids, django_capture_on_commit_callbacks
):
    movies_import(format="jsonl", paths=[heat_jsonl])
    before = catalogue_snapshot()

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ImportValidationError) as failure,
    ):
        movies_import(format="jsonl", paths=[file_with_a_bad_row])

    assert [str(e) for e in failure.value.errors] == [
        "catalogue.jsonl:3: year 20015 is not a year (1870 to 2100)",
        "catalogue.jsonl:4: broken JSON: Unterminated string starting at (column 11)",
    ]
    assert catalogue_snapshot() == before
    assert Movie.objects.count() == 2
    assert changed_ids == []


def test_skip_invalid_imports_the_good_rows_and_lists_the_bad(heat_jsonl, file_with_a_bad_row):
    movies_import(format="jsonl", paths=[heat_jsonl])

    summary = movies_import(format="jsonl", paths=[file_with_a_bad_row], skip_invalid=True)

    assert (summary.rows, summary.created, summary.updated, summary.skipped) == (3, 2, 1, 2)
    assert [e.location for e in summary.errors] == ["catalogue.jsonl:3", "catalogue.jsonl:4"]
    assert Movie.objects.get(imdb_id="tt0113277").runtime == 175
    assert Movie.objects.filter(title__in=["New film", "Another new film"]).count() == 2


def test_command_fails_naming_every_bad_row_and_writes_nothing(
    heat_jsonl, file_with_a_bad_row, capsys
):
    call_command("import_movies", "--format", "jsonl", str(heat_jsonl), verbosity=0)
    before = catalogue_snapshot()

    with pytest.raises(CommandError, match="2 invalid row") as failure:
        call_command("import_movies", "--format", "jsonl", str(file_with_a_bad_row), verbosity=0)

    assert failure.value.returncode == 1  # manage.py exits with it
    err = capsys.readouterr().err
    assert "catalogue.jsonl:3: year 20015 is not a year" in err
    assert "catalogue.jsonl:4: broken JSON" in err
    assert catalogue_snapshot() == before


def test_manage_py_exits_non_zero_naming_every_bad_row(file_with_a_bad_row, tmp_path):
    """The real process: validation fails before the database is opened."""
    command = ["manage.py", "import_movies", "--format", "jsonl", str(file_with_a_bad_row)]
    result = run_python(*command, env={**os.environ, "RECSYS_DATA_DIR": str(tmp_path / "var")})

    assert result.returncode == 1
    assert "catalogue.jsonl:3: year 20015 is not a year" in result.stderr
    assert "catalogue.jsonl:4: broken JSON" in result.stderr
    assert "2 invalid row(s); nothing was imported" in result.stderr


def test_command_with_skip_invalid_reports_the_summary(heat_jsonl, file_with_a_bad_row, capsys):
    args = ["--format", "jsonl", "--skip-invalid", str(file_with_a_bad_row)]
    call_command("import_movies", *args, verbosity=0)

    out, err = capsys.readouterr()
    assert "3 rows -> created 3, updated 0, unchanged 0, merged duplicates 0, skipped 2" in out
    assert "skipped catalogue.jsonl:3: year 20015" in err
    assert Movie.objects.count() == 3
