"""Scrape jobs and applying reviewed results: the film changes only when a curator applies."""

import pytest

from jobs.models import Job
from movies.models import Credit, Person
from movies.signals import movies_changed
from scraping.models import ScrapeResult
from scraping.services import (
    ScrapeApplyError,
    scrape_job_create,
    scrape_job_run,
    scrape_movie,
    scrape_result_apply,
    scrape_result_reject,
)
from tests.factories import CreditFactory, GenreFactory, MovieFactory, PersonFactory
from tests.scraping.conftest import NOT_FOUND_ID, OUTSIDE_REDIRECT_ID, PAGE_TIMEOUT, SLOW_ID

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed_signals():
    received: list[list[int]] = []

    def receiver(sender, movie_ids, deleted_ids, **kwargs) -> None:
        received.append(list(movie_ids))

    movies_changed.connect(receiver)
    yield received
    movies_changed.disconnect(receiver)


def test_scraping_stores_a_pending_result_and_leaves_the_film_alone():
    movie = MovieFactory(title="Cartographers Silence", year=None, imdb_id="tt9100001")
    before = movie.updated_at
    result = scrape_movie(movie=movie)
    assert result.status == ScrapeResult.Status.PENDING
    assert result.fetcher == "http"
    assert result.fields["title"] == "The Cartographer's Silence"
    assert result.diff["title"] == {"old": "Cartographers Silence", "new": result.fields["title"]}
    assert result.diff["year"] == {"old": None, "new": 2019}
    assert result.raw["jsonld"]["runtime"] == 118
    movie.refresh_from_db()
    assert (movie.title, movie.year, movie.updated_at) == ("Cartographers Silence", None, before)


def test_applying_everything_updates_columns_genres_and_credits(
    django_capture_on_commit_callbacks, changed_signals
):
    movie = MovieFactory(title="Harbour", year=None, imdb_id="tt9100002", synopsis="")
    movie.genres.add(GenreFactory(name="Comedy"))
    stale = CreditFactory(movie=movie, role=Credit.Role.CAST, person__name="Someone Else")
    result = scrape_movie(movie=movie)
    with django_capture_on_commit_callbacks(execute=True):
        applied = scrape_result_apply(result_id=result.pk)
    movie.refresh_from_db()
    assert set(applied) >= {"title", "year", "genres", "directors", "cast", "plot", "runtime"}
    assert (movie.title, movie.year, movie.kind, movie.runtime) == (
        "Harbour Lights",
        2021,
        "series",
        48,
    )
    assert (movie.vote_average, movie.vote_count, movie.certificate) == (8.1, 15702, "TV-14")
    assert movie.synopsis.startswith("When a trawler comes home")
    assert [g.name for g in movie.genres.all()] == ["Crime", "Drama", "Mystery", "Thriller"]
    cast = movie.credits.filter(role=Credit.Role.CAST).order_by("order")
    assert [(c.person.name, c.person.imdb_id, c.character) for c in cast][:2] == [
        ("Morwenna Hale", "nm9100023", "Tamsin Roskilly"),
        ("Daniel Achebe", "nm9100024", "DI Kofi Mensah"),
    ]
    assert not Credit.objects.filter(pk=stale.pk).exists()
    directors = movie.credits.filter(role=Credit.Role.DIRECTOR).order_by("order")
    assert [c.person.name for c in directors] == ["Ruth Pengelly", "Sam Kitto"]
    assert changed_signals == [[movie.pk]]
    result.refresh_from_db()
    assert result.status == ScrapeResult.Status.APPLIED
    assert result.applied_fields == applied


def test_applying_field_by_field_changes_only_the_ticked_fields(
    django_capture_on_commit_callbacks, changed_signals
):
    movie = MovieFactory(title="Night Ferry", year=2015, imdb_id="tt9100003", runtime=None)
    result = scrape_movie(movie=movie)
    with django_capture_on_commit_callbacks(execute=True):
        scrape_result_apply(result_id=result.pk, fields=["title", "runtime"])
    movie.refresh_from_db()
    assert (movie.title, movie.runtime, movie.year) == ("Night Ferry to Tallinn", 107, 2015)
    assert not movie.genres.exists()
    assert changed_signals == [[movie.pk]]


def test_a_person_already_credited_by_name_gains_the_imdb_id():
    movie = MovieFactory(imdb_id="tt9100003")
    person = PersonFactory(name="Aino Lepik", imdb_id=None)
    CreditFactory(movie=movie, person=person, role=Credit.Role.DIRECTOR)
    result = scrape_movie(movie=movie)
    scrape_result_apply(result_id=result.pk, fields=["directors"])
    person.refresh_from_db()
    assert person.imdb_id == "nm9100030"
    assert Person.objects.filter(name="Aino Lepik").count() == 1


def test_a_rejected_or_applied_result_cannot_be_applied_again():
    movie = MovieFactory(imdb_id="tt9100001")
    result = scrape_movie(movie=movie)
    scrape_result_reject(result_id=result.pk)
    with pytest.raises(ScrapeApplyError, match="rejected"):
        scrape_result_apply(result_id=result.pk)


def test_a_page_lacking_fields_names_them_and_applies_the_rest():
    movie = MovieFactory(title="Basement Tapes", imdb_id="tt9100004", runtime=95)
    result = scrape_movie(movie=movie)
    assert sorted(result.missing_fields) == sorted(
        ["runtime", "rating", "vote_count", "poster_url", "directors", "certificate"]
    )
    with pytest.raises(ScrapeApplyError, match="no value for runtime"):
        scrape_result_apply(result_id=result.pk, fields=["runtime"])
    scrape_result_apply(result_id=result.pk)
    movie.refresh_from_db()
    assert (movie.title, movie.runtime) == ("Untitled Basement Tapes", 95)


@pytest.mark.slow
def test_404_timeout_and_outside_host_give_clear_job_errors_and_change_nothing(browser, settings):
    settings.RECSYS_SCRAPE_TIMEOUT = PAGE_TIMEOUT
    settings.RECSYS_SCRAPE_FETCHER = "browser"
    films = [
        MovieFactory(title="Lost", imdb_id=NOT_FOUND_ID),
        MovieFactory(title="Slow", imdb_id=SLOW_ID),
        MovieFactory(title="Elsewhere", imdb_id=OUTSIDE_REDIRECT_ID),
    ]
    snapshots = [(m.title, m.year, m.updated_at) for m in films]
    job = scrape_job_create(movie_ids=[m.pk for m in films])  # queued only on commit
    scrape_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert (job.done, job.failed, job.total) == (0, 3, 3)
    errors = {e["object_id"]: e["error"] for e in job.errors}
    assert errors[films[0].pk].startswith("[not_found]") and "HTTP 404" in errors[films[0].pk]
    assert errors[films[1].pk].startswith("[timeout]") and "after 2 tries" in errors[films[1].pk]
    assert errors[films[2].pk].startswith("[disallowed_host]")
    assert "outside.test" in errors[films[2].pk]
    for movie, snapshot in zip(films, snapshots, strict=True):
        movie.refresh_from_db()
        assert (movie.title, movie.year, movie.updated_at) == snapshot
    assert set(ScrapeResult.objects.filter(job=job).values_list("status", flat=True)) == {"failed"}


def test_a_job_needs_films_with_imdb_ids():
    from scraping.errors import ScrapeError

    movie = MovieFactory(imdb_id=None)
    with pytest.raises(ScrapeError, match="none of these films has an IMDb id"):
        scrape_job_create(movie_ids=[movie.pk])


def test_rerunning_a_job_skips_films_it_already_scraped(imdb_server):
    movie = MovieFactory(imdb_id="tt9100001")
    job = scrape_job_create(movie_ids=[movie.pk])
    scrape_job_run(job_id=job.pk)
    requests = len(imdb_server.paths_requested("tt9100001"))
    scrape_job_run(job_id=job.pk)
    assert len(imdb_server.paths_requested("tt9100001")) == requests
    assert ScrapeResult.objects.filter(job=job).count() == 1
