from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.factories import MovieFactory
from viewers.models import Rating

pytestmark = pytest.mark.django_db

HEADER = "userId,movieId,rating,timestamp\n"


def _write(directory: Path, ratings: str, links: str | None = None) -> Path:
    (directory / "ratings.csv").write_text(HEADER + ratings)
    if links is not None:
        (directory / "links.csv").write_text("movieId,imdbId,tmdbId\n" + links)
    return directory / "ratings.csv"


def test_ratings_map_by_movielens_id_and_links_and_reimport_changes_nothing(tmp_path):
    by_movielens = MovieFactory(movielens_id=1)
    by_imdb = MovieFactory(movielens_id=None, imdb_id="tt0113277")
    by_tmdb = MovieFactory(movielens_id=None, imdb_id=None, tmdb_id=862)
    path = _write(
        tmp_path,
        "1,1,4.0,964982703\n1,6,3.5,964982224\n2,7,5.0,964982931\n2,99,2.0,964982931\n",
        "1,0114709,862\n6,0113277,949\n7,0000001,862\n99,0000002,\n",
    )

    call_command("import_ratings", str(path), "--format", "movielens")
    call_command("import_ratings", str(path), "--format", "movielens")

    got = {(r.rater, r.movie_id, r.score) for r in Rating.objects.all()}
    assert got == {(1, by_movielens.pk, 4.0), (1, by_imdb.pk, 3.5), (2, by_tmdb.pk, 5.0)}
    assert Rating.objects.get(movie=by_movielens).rated_at.year == 2000


def test_a_changed_score_is_updated_in_place(tmp_path):
    movie = MovieFactory(movielens_id=5)
    call_command("import_ratings", str(_write(tmp_path, "3,5,2.0,964982703\n")))
    call_command("import_ratings", str(_write(tmp_path, "3,5,4.5,964982800\n")))
    assert list(Rating.objects.values_list("movie_id", "score")) == [(movie.pk, 4.5)]


def test_a_bad_row_names_file_and_line_and_nothing_is_written(tmp_path):
    MovieFactory(movielens_id=1)
    path = _write(tmp_path, "1,1,4.0,964982703\n1,1,7.0,964982703\n2,x,3.0,964982703\n")

    with pytest.raises(CommandError) as error:
        call_command("import_ratings", str(path))

    assert "ratings.csv:3: rating 7.0 is not a half-star from 0.5 to 5" in str(error.value)
    assert "ratings.csv:4: userId and movieId must be whole numbers" in str(error.value)
    assert Rating.objects.count() == 0


def test_skip_invalid_imports_the_good_rows(tmp_path):
    MovieFactory(movielens_id=1)
    path = _write(tmp_path, "1,1,4.0,964982703\n2,1,,964982703\n")
    call_command("import_ratings", str(path), "--skip-invalid")
    assert Rating.objects.count() == 1


def test_a_missing_column_is_reported(tmp_path):
    (tmp_path / "ratings.csv").write_text("userId,movieId,rating\n1,1,4.0\n")
    with pytest.raises(CommandError, match=r"ratings\.csv:1: missing column"):
        call_command("import_ratings", str(tmp_path / "ratings.csv"))
