"""From admin, end to end: select films → Scrape from IMDb → a real Celery worker scrapes them
(progress on the Job) → review old → new per field → apply → films updated and re-indexed
(the movies_changed signal the index listens to is sent for each applied film)."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from jobs.models import Job
from movies.forms import ImdbIdField, MovieImdbForm
from movies.models import Credit, Movie
from movies.signals import movies_changed
from scraping.models import ScrapeResult
from tests.factories import MovieFactory
from tests.scraping.conftest import wait_for


@pytest.fixture
def curator_client(client, db):
    user = get_user_model().objects.create_superuser("curator", "c@example.com", "pw")
    client.force_login(user)
    return client


@pytest.mark.slow
def test_scrape_three_films_from_admin_review_and_apply(scrape_worker, curator_client):
    changed: list[list[int]] = []

    def receiver(sender, movie_ids, **kwargs) -> None:
        changed.append(list(movie_ids))

    movies_changed.connect(receiver)
    try:
        _run(curator_client, changed, scrape_worker)
    finally:
        movies_changed.disconnect(receiver)


def _run(client, changed, worker) -> None:
    # Thin catalogue rows: a title and a year, or less.
    cartographer = MovieFactory(title="Cartographer's Silence", year=2019, imdb_id="tt9100001")
    harbour = MovieFactory(title="Harbour Lights", year=None, imdb_id="tt9100002", synopsis="")
    paper = MovieFactory(title="Paper Moons", year=2012, imdb_id="tt9100005", synopsis="")
    films = [cartographer, harbour, paper]

    response = client.post(
        reverse("admin:movies_movie_changelist"),
        {"action": "scrape_from_imdb", "_selected_action": [m.pk for m in films]},
        follow=True,
    )
    assert "Scraping 3 film(s) from IMDb" in response.content.decode()
    job = Job.objects.get(kind=Job.Kind.SCRAPE)
    assert job.params["movie_ids"] == sorted(m.pk for m in films)

    progress: list[int] = []

    def finished() -> bool:
        job.refresh_from_db()
        progress.append(job.done + job.failed)
        return not job.is_active

    try:
        wait_for(finished, timeout=120, every=0.1)
    except AssertionError:
        pytest.fail("job did not finish; worker log:\n" + "".join(worker.log[-40:]))
    assert job.status == Job.Status.SUCCEEDED, job.log
    assert (job.done, job.failed, job.total, job.percent) == (3, 0, 3, 100)
    assert progress == sorted(progress)  # progress only grows
    job_page = client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert "Succeeded" in job_page

    listing = client.get(
        reverse("admin:scraping_scraperesult_changelist") + f"?job__id__exact={job.pk}"
    ).content.decode()
    results = {r.movie_id: r for r in ScrapeResult.objects.filter(job=job)}
    assert len(results) == 3
    assert all(r.status == ScrapeResult.Status.PENDING for r in results.values())
    assert results[paper.pk].fetcher == "browser"  # only JavaScript renders that page
    assert results[cartographer.pk].fetcher == "http"
    for movie in films:
        assert escape(movie.title) in listing

    # Review: every field the page gave, old → new, the differing ones ticked.
    review_url = reverse("admin:scraping_scraperesult_change", args=[results[harbour.pk].pk])
    review = client.get(review_url).content.decode()
    assert 'name="fields" value="year"' in review
    assert 'name="fields" value="title"' not in review  # same title: nothing to apply
    assert "Harbour Lights" in review and "2021" in review and "—" in review

    # Field by field for one film, everything for the others.
    client.post(review_url, {"_apply": "1", "fields": ["year", "genres", "cast"]})
    for movie in (cartographer, paper):
        url = reverse("admin:scraping_scraperesult_change", args=[results[movie.pk].pk])
        page = client.get(url).content.decode()
        ticked = [f for f in results[movie.pk].diff]
        assert all(f'value="{f}"' in page for f in ticked)
        client.post(url, {"_apply": "1", "fields": ticked})

    for movie in films:
        movie.refresh_from_db()
    assert (harbour.year, harbour.synopsis, harbour.runtime) == (2021, "", None)
    assert [g.name for g in harbour.genres.all()] == ["Crime", "Drama", "Mystery", "Thriller"]
    assert harbour.credits.filter(role=Credit.Role.CAST).count() == 4
    assert not harbour.credits.filter(role=Credit.Role.DIRECTOR).exists()
    assert cartographer.title == "The Cartographer's Silence"
    assert (cartographer.runtime, cartographer.certificate) == (118, "PG-13")
    assert paper.synopsis.startswith("In a town where the moon is cut from paper")
    assert paper.credits.get(role=Credit.Role.DIRECTOR).person.name == "Hana Okabe"
    assert sorted(ScrapeResult.objects.values_list("status", flat=True)) == ["applied"] * 3
    # Re-indexed: each applied film was announced to the index (movies_changed, after commit).
    assert sorted(changed) == sorted([[m.pk] for m in films])


@pytest.mark.django_db
def test_the_movie_admin_form_accepts_a_pasted_imdb_url(rf, curator_client):
    movie = MovieFactory(title="Heat", year=1995, imdb_id=None)
    request = rf.get("/")
    request.user = get_user_model().objects.get(username="curator")
    form_class = admin.site.get_model_admin(Movie).get_form(request, movie)
    field = form_class.base_fields["imdb_id"]
    assert isinstance(field, ImdbIdField)
    assert field.clean("https://www.imdb.com/title/tt0113277/?ref_=fn_al_tt_1") == "tt0113277"
    with pytest.raises(ValidationError, match="not an IMDb id or title URL"):
        field.clean("https://example.com/title/tt0113277/")

    form = MovieImdbForm(data={"imdb_id": "imdb.com/title/tt0113277/"}, instance=movie)
    assert form.is_valid(), form.errors
    form.save()
    movie.refresh_from_db()
    assert movie.imdb_id == "tt0113277"
    # The change page renders with the field.
    page = curator_client.get(reverse("admin:movies_movie_change", args=[movie.pk]))
    assert 'name="imdb_id"' in page.content.decode()
