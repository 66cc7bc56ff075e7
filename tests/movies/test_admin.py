"""The curator admin: who may reach it, search, filters, editing credits, the import page."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from jobs.models import Job
from movies.models import Credit, Movie
from movies.services import import_folder, movies_import_run
from tests.factories import CreditFactory, GenreFactory, MovieFactory, PersonFactory
from tests.movies.conftest import HEAT_JSONL, catalogue_snapshot, write_jsonl

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:movies_movie_changelist")
IMPORT = reverse("admin:movies_movie_import")


@pytest.fixture
def heat(db):
    movie = MovieFactory(title="Heat", year=1995, imdb_id="tt0113277", tmdb_id=949, movielens_id=6)
    movie.genres.add(GenreFactory(name="Crime"))
    CreditFactory(movie=movie, person__name="Al Pacino", role="cast", order=0)
    return movie


@pytest.fixture
def films(heat):
    return {
        "heat": heat,
        "ronin": MovieFactory(title="Ronin", year=1998, synopsis="", tmdb_id=8195),
        "nosferatu": MovieFactory(title="Nosferatu", year=1922, kind="film"),
        "series": MovieFactory(title="Blood & Water", year=2021, kind="series", netflix_id="s2"),
    }


@pytest.fixture
def curator_client(curator) -> Client:
    client = Client()
    client.force_login(curator)
    return client


def listed(response) -> set[str]:
    return {movie.title for movie in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "url",
    [CHANGELIST, IMPORT, "/admin/movies/person/", "/admin/movies/movie/1/change/"],
)
def test_anonymous_and_non_staff_users_cannot_reach_the_admin(url, heat):
    anonymous = Client().get(url)
    viewer = Client()
    viewer.force_login(User.objects.create_user("viewer"))
    non_staff = viewer.get(url)

    for response in (anonymous, non_staff):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_add_permission_cannot_import(heat):
    user = User.objects.create_user("helper", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get(IMPORT).status_code == 403


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("heat", {"Heat"}),
        ("Pacino", {"Heat"}),
        ("Al Pacino", {"Heat"}),
        ("tt0113277", {"Heat"}),
        ("https://www.imdb.com/title/tt0113277/", {"Heat"}),
        ("949", {"Heat"}),  # TMDB id
        ("https://www.themoviedb.org/movie/8195-ronin", {"Ronin"}),
        ("6", {"Heat"}),  # MovieLens id
        ("s2", {"Blood & Water"}),
        ("nothing like it", set()),
    ],
)
def test_search_by_title_person_or_pasted_id(curator_client, films, term, expected):
    response = curator_client.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    assert listed(response) == expected


@pytest.mark.parametrize(
    ("term", "expected", "note"),
    [
        ("nosfeartu", {"Nosferatu"}, "Close to “nosfeartu”: Nosferatu"),
        ("al pacinno", {"Heat"}, "Close to “al pacinno”: Al Pacino"),
    ],
)
def test_a_misspelled_title_or_name_falls_back_to_close_matches(
    curator_client, films, term, expected, note
):
    from recommendations.search.catalogue import clear_snapshot

    clear_snapshot()  # the search's snapshot of the catalogue: this test's films
    response = curator_client.get(CHANGELIST, {"q": term}, follow=True)
    assert listed(response) == expected
    assert note in response.content.decode()
    exact = curator_client.get(CHANGELIST, {"q": "Nosferatu"})
    assert listed(exact) == {"Nosferatu"} and "Close to" not in exact.content.decode()


def test_a_number_still_finds_a_film_titled_with_it(curator_client, films):
    MovieFactory(title="1917", year=2019)
    assert listed(curator_client.get(CHANGELIST, {"q": "1917"})) == {"1917"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"decade": "1990"}, {"Heat", "Ronin"}),
        ({"decade": "1920"}, {"Nosferatu"}),
        ({"has_synopsis": "no"}, {"Ronin"}),
        ({"kind__exact": "series"}, {"Blood & Water"}),
        ({"index_state__exact": "indexed"}, {"Nosferatu"}),
    ],
)
def test_filters(curator_client, films, params, expected):
    Movie.objects.filter(pk=films["nosferatu"].pk).update(index_state="indexed")
    response = curator_client.get(CHANGELIST, params)
    assert response.status_code == 200
    assert listed(response) == expected


def test_genre_filter_and_decade_choices(curator_client, films):
    crime = films["heat"].genres.get()
    response = curator_client.get(CHANGELIST, {"genres__id__exact": crime.pk})
    assert listed(response) == {"Heat"}
    page = curator_client.get(CHANGELIST).content.decode()
    assert "1920s" in page and "1990s" in page and "2020s" in page


def test_changelist_links_out_and_offers_the_import(curator_client, films):
    page = curator_client.get(CHANGELIST).content.decode()
    assert 'href="https://www.imdb.com/title/tt0113277/"' in page
    assert 'href="https://www.themoviedb.org/movie/949"' in page
    assert f'href="{IMPORT}"' in page


def _change_form_data(movie: Movie, **extra) -> dict:
    data = {
        "title": movie.title,
        "original_title": "",
        "year": movie.year,
        "kind": movie.kind,
        "synopsis": movie.synopsis,
        "tagline": "",
        "genres": [g.pk for g in movie.genres.all()],
        "runtime": "",
        "certificate": "",
        "countries": "[]",
        "languages": "[]",
        "poster_url": "",
        "imdb_id": movie.imdb_id or "",
        "tmdb_id": movie.tmdb_id or "",
        "movielens_id": movie.movielens_id or "",
        "netflix_id": "",
        "wikipedia_slug": "",
        "popularity": "",
        "vote_average": "",
        "vote_count": "",
        "credits-TOTAL_FORMS": "0",
        "credits-INITIAL_FORMS": "0",
        "credits-MIN_NUM_FORMS": "0",
        "credits-MAX_NUM_FORMS": "1000",
    }
    data.update(extra)
    return data


def test_staff_edit_a_film_and_add_a_credit(curator_client, heat):
    pacino = heat.credits.get()
    de_niro = PersonFactory(name="Robert De Niro")
    url = reverse("admin:movies_movie_change", args=[heat.pk])
    page = curator_client.get(url).content.decode()
    assert 'href="https://www.imdb.com/title/tt0113277/"' in page  # links on the form too
    data = _change_form_data(
        heat,
        tagline="A Los Angeles crime saga.",
        runtime="170",
        **{
            "credits-TOTAL_FORMS": "2",
            "credits-INITIAL_FORMS": "1",
            "credits-0-id": pacino.pk,
            "credits-0-movie": heat.pk,
            "credits-0-role": "cast",
            "credits-0-person": pacino.person_id,
            "credits-0-order": "0",
            "credits-0-character": "Vincent Hanna",
            "credits-1-movie": heat.pk,
            "credits-1-role": "cast",
            "credits-1-person": de_niro.pk,
            "credits-1-order": "1",
            "credits-1-character": "Neil McCauley",
        },
    )

    response = curator_client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    heat.refresh_from_db()
    assert (heat.tagline, heat.runtime) == ("A Los Angeles crime saga.", 170)
    cast = heat.credits.filter(role=Credit.Role.CAST).order_by("order")
    assert [(c.person.name, c.character) for c in cast] == [
        ("Al Pacino", "Vincent Hanna"),
        ("Robert De Niro", "Neil McCauley"),
    ]
    listing = curator_client.get(response["Location"]).content.decode()
    assert "is being re-indexed" in listing  # the save says search follows, and where to watch
    assert reverse("admin:jobs_job_changelist") + "?kind__exact=sync" in listing


def test_person_autocomplete_serves_the_credit_inline(curator_client, heat):
    response = curator_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "movies", "model_name": "credit", "field_name": "person", "term": "paci"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Al Pacino"]


def run_queued_import() -> Job:
    """Run the queued import job here, as the worker's task would (the slow test below uses a
    real worker)."""
    job = Job.objects.get(kind=Job.Kind.IMPORT, status=Job.Status.QUEUED)
    assert job.task_name == "movies.import_files"
    movies_import_run(**job.task_kwargs)
    job.refresh_from_db()
    return job


def test_import_page_queues_an_upload_as_a_job_that_imports_it(curator_client, tmp_path):
    page = curator_client.get(IMPORT)
    assert page.status_code == 200 and b'name="skip_invalid"' in page.content
    path = write_jsonl(tmp_path / "catalogue.jsonl", [HEAT_JSONL, {"title": "Ronin"}])

    with path.open("rb") as upload:
        response = curator_client.post(IMPORT, {"format": "jsonl", "files": [upload]})

    assert response.status_code == 200
    job = Job.objects.get(kind=Job.Kind.IMPORT)
    assert [str(m) for m in response.context["messages"]] == [
        f"Import queued as job #{job.pk}: every row is checked first."
    ]
    html = response.content.decode()
    assert reverse("admin:jobs_job_change", args=[job.pk]) in html
    assert reverse("jobs:progress", args=[job.pk]) in html  # the live progress bar
    assert not Movie.objects.exists()  # nothing written in the request
    assert list(import_folder(job.pk).iterdir()) == [import_folder(job.pk) / "catalogue.jsonl"]

    job = run_queued_import()

    assert Movie.objects.get(imdb_id="tt0113277").credits.count() == 5
    assert (job.status, job.created_by.username, job.done, job.failed) == (
        "succeeded",
        "curator",
        2,
        0,
    )
    assert job.params == {"format": "jsonl", "files": ["catalogue.jsonl"], "skip_invalid": False}
    assert job.result["created"] == 2
    assert "jsonl: 2 rows -> created 2, updated 0" in job.log
    assert "Read 2 films from the jsonl file: 2 new, 0 changed, 0 already up to date." in job.log
    assert not import_folder(job.pk).exists()  # the upload is removed after


def test_import_page_takes_movielens_as_two_files(curator_client, movielens_dir):
    with (
        (movielens_dir / "movies.csv").open("rb") as movies,
        (movielens_dir / "links.csv").open("rb") as links,
    ):
        curator_client.post(IMPORT, {"format": "movielens", "files": [movies, links]})
    run_queued_import()

    assert Movie.objects.get(movielens_id=6).imdb_id == "tt0113277"


def test_an_import_with_bad_rows_fails_its_job_and_writes_nothing(curator_client, heat, tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [{"title": "Good"}, {"title": "", "year": 1990}])
    before = catalogue_snapshot()

    with path.open("rb") as upload:
        curator_client.post(IMPORT, {"format": "jsonl", "files": [upload]})
    failed = run_queued_import()

    assert catalogue_snapshot() == before
    assert failed.status == "failed"
    assert "1 invalid row(s); nothing was imported" in failed.log
    assert failed.errors == [{"label": "bad.jsonl:2", "error": "title is missing"}]
    progress = curator_client.get(reverse("jobs:progress", args=[failed.pk])).content.decode()
    assert "bad.jsonl:2" in progress and "title is missing" in progress

    with path.open("rb") as upload:
        curator_client.post(IMPORT, {"format": "jsonl", "files": [upload], "skip_invalid": "on"})
    skipped = run_queued_import()
    assert "created 1" in skipped.log and (skipped.done, skipped.failed) == (1, 1)
    assert skipped.errors == [{"label": "bad.jsonl:2", "error": "title is missing"}]
    assert Movie.objects.filter(title="Good").exists()


def test_an_upload_past_the_size_limit_is_refused_with_a_clear_error(
    curator_client, tmp_path, settings
):
    settings.RECSYS_IMPORT_MAX_MB = 1
    path = write_jsonl(
        tmp_path / "big.jsonl", [{"title": f"Film {n}", "synopsis": "x" * 500} for n in range(3000)]
    )
    assert path.stat().st_size > 2**20

    with path.open("rb") as upload:
        response = curator_client.post(IMPORT, {"format": "jsonl", "files": [upload]})

    assert response.status_code == 200
    (message,) = [str(m) for m in response.context["messages"]]
    assert "an import takes at most 1 MB (RECSYS_IMPORT_MAX_MB)" in message
    assert not Job.objects.exists() and not Movie.objects.exists()


def test_import_form_needs_a_file_and_a_known_format(curator_client):
    response = curator_client.post(IMPORT, {"format": "imdb"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"format", "files"}


def test_import_is_csrf_protected(curator, tmp_path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator)
    path = write_jsonl(tmp_path / "c.jsonl", [{"title": "Sneaky"}])
    with path.open("rb") as upload:
        response = client.post(IMPORT, {"format": "jsonl", "files": [upload]})
    assert response.status_code == 403
    assert not Movie.objects.filter(title="Sneaky").exists()
