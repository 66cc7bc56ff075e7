"""A small, meaningful catalogue (hand-written synopses), indexed into a real Chroma
collection of its own, shared by the search tests of a module."""

import importlib
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import clear_url_caches

from movies.models import Movie
from recommendations import admin_actions, vector_store
from recommendations.indexing import services
from recommendations.search import catalogue as search_catalogue
from recommendations.search import dense
from tests.factories import CreditFactory, GenreFactory, KeywordFactory, MovieFactory
from tests.recommendations.catalogue_fixtures import import_records, index_inline

FILMS = [
    # title, year, kind, genres, keywords, people, synopsis
    (
        "Heat",
        1995,
        "film",
        ["Crime", "Thriller"],
        ["bank robbery", "los angeles"],
        ["Michael Mann", "Al Pacino", "Robert De Niro"],
        "A veteran Los Angeles detective hunts a crew of professional thieves planning one last "
        "bank robbery, and the two men come to respect each other.",
    ),
    (
        "Ocean's Eleven",
        2001,
        "film",
        ["Crime", "Comedy"],
        ["casino", "heist", "las vegas"],
        ["George Clooney", "Brad Pitt"],
        "A charming con man fresh out of prison gathers a crew of eleven specialists to rob three "
        "Las Vegas casinos on the night of a boxing match.",
    ),
    (
        "Cast Away",
        2000,
        "film",
        ["Drama", "Adventure"],
        ["island", "plane crash", "survival"],
        ["Tom Hanks"],
        "After his cargo plane crashes into the Pacific, a systems engineer is stranded alone on "
        "a deserted island for years and talks to a volleyball he names Wilson.",
    ),
    (
        "Toy Story",
        1995,
        "film",
        ["Animation", "Comedy", "Family"],
        ["toys", "cowboy"],
        ["Tom Hanks", "Tim Allen"],
        "A pull-string cowboy doll feels threatened when a shiny space ranger action figure "
        "becomes the favourite toy in a boy's bedroom.",
    ),
    (
        "The Terminal",
        2004,
        "film",
        ["Comedy", "Drama"],
        ["airport", "immigration"],
        ["Tom Hanks", "Catherine Zeta-Jones"],
        "A traveller from Eastern Europe is stuck living in a New York airport terminal when his "
        "country collapses and his passport is no longer valid.",
    ),
    (
        "Alien",
        1979,
        "film",
        ["Horror", "Science Fiction"],
        ["spaceship", "alien", "monster"],
        ["Ridley Scott", "Sigourney Weaver"],
        "The crew of a commercial space tug is hunted one by one by a deadly creature that got "
        "aboard after they answered a distress signal.",
    ),
    (
        "Jaws",
        1975,
        "film",
        ["Thriller", "Horror"],
        ["shark", "beach", "police chief"],
        ["Steven Spielberg", "Roy Scheider"],
        "A police chief, a marine biologist and a grizzled fisherman hunt a great white shark "
        "that is killing swimmers at a summer beach resort.",
    ),
    (
        "Titanic",
        1997,
        "film",
        ["Romance", "Drama"],
        ["ocean liner", "shipwreck", "iceberg"],
        ["James Cameron", "Leonardo DiCaprio", "Kate Winslet"],
        "A poor artist and a rich young woman fall in love aboard a luxurious ocean liner on its "
        "doomed maiden voyage across the Atlantic.",
    ),
    (
        "The Matrix",
        1999,
        "film",
        ["Action", "Science Fiction"],
        ["simulation", "hacker"],
        ["Keanu Reeves", "Carrie-Anne Moss"],
        "A computer hacker learns that the world he lives in is a simulated reality built by "
        "machines, and joins the rebels fighting them.",
    ),
    (
        "Inception",
        2010,
        "film",
        ["Action", "Science Fiction"],
        ["dream", "heist"],
        ["Christopher Nolan", "Leonardo DiCaprio"],
        "A thief who steals secrets by entering people's dreams is offered one last job: to "
        "plant an idea in the mind of an heir.",
    ),
    (
        "Finding Nemo",
        2003,
        "film",
        ["Animation", "Family"],
        ["fish", "ocean", "father son"],
        ["Albert Brooks", "Ellen DeGeneres"],
        "An overprotective clownfish father crosses the ocean with a forgetful blue tang to find "
        "his son, taken by a diver to a dentist's aquarium.",
    ),
    (
        "Groundhog Day",
        1993,
        "film",
        ["Comedy", "Romance", "Fantasy"],
        ["time loop"],
        ["Bill Murray", "Andie MacDowell"],
        "A cynical television weatherman covering a small-town festival finds himself living "
        "the same day over and over again.",
    ),
    (
        "The Shining",
        1980,
        "film",
        ["Horror"],
        ["hotel", "winter", "madness"],
        ["Stanley Kubrick", "Jack Nicholson"],
        "A writer takes a job as winter caretaker of an isolated mountain hotel with his wife "
        "and son, and slowly goes mad.",
    ),
    (
        "Up",
        2009,
        "film",
        ["Animation", "Adventure", "Family"],
        ["balloons", "old man"],
        ["Ed Asner"],
        "A grumpy old widower ties thousands of balloons to his house and flies to South "
        "America, with a young wilderness scout stowed away on the porch.",
    ),
    (
        "Jurassic Park",
        1993,
        "film",
        ["Adventure", "Science Fiction"],
        ["dinosaur", "theme park"],
        ["Steven Spielberg", "Sam Neill"],
        "Scientists visit an island theme park of cloned dinosaurs before it opens, and the "
        "power fails during a storm.",
    ),
    (
        "Back to the Future",
        1985,
        "film",
        ["Adventure", "Comedy", "Science Fiction"],
        ["time travel", "car"],
        ["Michael J. Fox", "Christopher Lloyd"],
        "A teenager is sent thirty years into the past in a time-travelling car built by an "
        "eccentric scientist, and must make his parents fall in love.",
    ),
    (
        "The Silence of the Lambs",
        1991,
        "film",
        ["Crime", "Thriller", "Horror"],
        ["serial killer", "fbi", "cannibal"],
        ["Jodie Foster", "Anthony Hopkins"],
        "A young FBI trainee seeks the help of an imprisoned cannibal psychiatrist to catch a "
        "serial killer who skins his victims.",
    ),
    (
        "Home Alone",
        1990,
        "film",
        ["Comedy", "Family"],
        ["christmas", "burglars"],
        ["Macaulay Culkin", "Joe Pesci"],
        "An eight-year-old boy accidentally left behind when his family flies to Paris for "
        "Christmas defends the house against two burglars with booby traps.",
    ),
    (
        "Gravity",
        2013,
        "film",
        ["Science Fiction", "Thriller"],
        ["astronaut", "space debris"],
        ["Sandra Bullock", "George Clooney"],
        "Two astronauts are stranded in orbit after debris destroys their shuttle and must find "
        "a way back to Earth.",
    ),
    (
        "The Martian",
        2015,
        "film",
        ["Science Fiction", "Drama"],
        ["mars", "astronaut", "botany"],
        ["Ridley Scott", "Matt Damon"],
        "An astronaut left for dead on Mars after a storm grows potatoes in the habitat and "
        "signals Earth while NASA plans a rescue.",
    ),
    (
        "Breaking Bad",
        2008,
        "series",
        ["Crime", "Drama"],
        ["drug trade", "chemistry teacher"],
        ["Bryan Cranston", "Aaron Paul"],
        "A high school chemistry teacher diagnosed with cancer starts cooking methamphetamine "
        "with a former student to provide for his family.",
    ),
    (
        "Stranger Things",
        2016,
        "series",
        ["Science Fiction", "Horror", "Drama"],
        ["missing child", "small town", "1980s"],
        ["Winona Ryder", "David Harbour"],
        "When a boy vanishes in a small Indiana town, his friends, his mother and the police "
        "chief uncover secret experiments and a girl with telekinetic powers.",
    ),
    (
        "Before Sunrise",
        1995,
        "film",
        ["Romance", "Drama"],
        ["train", "vienna"],
        ["Ethan Hawke", "Julie Delpy"],
        "A young American man and a French woman meet on a train and spend one night walking "
        "and talking through Vienna before he flies home.",
    ),
    (
        "Die Hard",
        1988,
        "film",
        ["Action", "Thriller"],
        ["skyscraper", "terrorists", "christmas"],
        ["Bruce Willis", "Alan Rickman"],
        "A New York cop visiting his estranged wife at a Christmas party fights the terrorists "
        "who take over her company's Los Angeles skyscraper.",
    ),
    (
        "Paddington",
        2014,
        "film",
        ["Comedy", "Family"],
        ["bear", "london", "marmalade"],
        ["Ben Whishaw", "Hugh Bonneville"],
        "A polite young bear from Peru who loves marmalade arrives in London looking for a home "
        "and is taken in by the Brown family.",
    ),
    (
        "Spirited Away",
        2001,
        "film",
        ["Animation", "Fantasy"],
        ["spirits", "bathhouse", "witch"],
        ["Hayao Miyazaki"],
        "A sullen ten-year-old girl wanders into a world of spirits and must work in a witch's "
        "bathhouse to free her parents, who were turned into pigs.",
    ),
    (
        "The Godfather",
        1972,
        "film",
        ["Crime", "Drama"],
        ["mafia", "family", "new york"],
        ["Francis Ford Coppola", "Marlon Brando", "Al Pacino"],
        "The ageing patriarch of a New York crime family hands control of his empire to his "
        "reluctant youngest son.",
    ),
    (
        "Whiplash",
        2014,
        "film",
        ["Drama", "Music"],
        ["jazz", "drummer", "music school"],
        ["Miles Teller", "J.K. Simmons"],
        "A young jazz drummer at an elite music conservatory is pushed to his limits by a "
        "ruthless, abusive bandleader.",
    ),
    (
        "La La Land",
        2016,
        "film",
        ["Romance", "Music", "Comedy"],
        ["jazz", "actress", "los angeles"],
        ["Ryan Gosling", "Emma Stone"],
        "A jazz pianist and an aspiring actress fall in love in Los Angeles while chasing their "
        "dreams, which begin to pull them apart.",
    ),
    (
        "Mad Max: Fury Road",
        2015,
        "film",
        ["Action", "Adventure"],
        ["desert", "chase"],
        ["Tom Hardy", "Charlize Theron"],
        "In a desert wasteland a drifter and a rebel warrior drive a war rig across the sand, "
        "pursued by a tyrant's army of fanatics.",
    ),
]
DIRECTORS = {
    "Michael Mann",
    "Ridley Scott",
    "Steven Spielberg",
    "James Cameron",
    "Christopher Nolan",
    "Stanley Kubrick",
    "Hayao Miyazaki",
    "Francis Ford Coppola",
}


def film_records() -> list[dict]:
    """FILMS in our JSONL import format (directors and cast apart, in billing order), each
    with an IMDb id of its own, as a real catalogue has (labelled queries name films by it)."""
    return [
        {
            "imdb_id": f"tt{9100000 + n:07d}",
            "title": title,
            "year": year,
            "kind": kind,
            "genres": genres,
            "keywords": keywords,
            "directors": [name for name in people if name in DIRECTORS],
            "cast": [name for name in people if name not in DIRECTORS],
            "synopsis": synopsis,
        }
        for n, (title, year, kind, genres, keywords, people, synopsis) in enumerate(FILMS)
    ]


def create_films(directory: Path) -> dict[str, Movie]:
    """FILMS imported by movies_import and indexed by the index service, as a curator would."""
    summary = import_records(film_records(), directory / "films.jsonl")
    index_inline(summary.movie_ids)
    return {m.title: m for m in Movie.objects.filter(pk__in=summary.movie_ids)}


def _person(name: str):
    from movies.models import Person

    return Person.objects.filter(name=name).first() or Person.objects.create(name=name)


def reset_search_caches() -> None:
    search_catalogue.clear_snapshot()
    dense.clear_dense_index()
    vector_store.get_client.cache_clear()


@pytest.fixture(scope="module")
def chroma_dir(tmp_path_factory):
    """A Chroma of the module's own, so tests never see other vectors."""
    previous = settings.RECSYS_CHROMA_PATH
    settings.RECSYS_CHROMA_PATH = tmp_path_factory.mktemp("chroma")
    reset_search_caches()
    yield settings.RECSYS_CHROMA_PATH
    settings.RECSYS_CHROMA_PATH = previous
    reset_search_caches()


@pytest.fixture(scope="module")
def films(django_db_setup, django_db_blocker, chroma_dir, tmp_path_factory) -> dict[str, Movie]:
    """The catalogue above, imported and indexed, committed (a live server and every test of
    the module see it); removed after the module."""
    with django_db_blocker.unblock():
        films = create_films(tmp_path_factory.mktemp("films"))
        reset_search_caches()
        yield films
        Movie.objects.all().delete()
        from jobs.models import Job
        from movies.models import Genre, Keyword, Person

        Job.objects.all().delete()  # the index syncs' records (later modules count jobs)
        Person.objects.all().delete()
        Genre.objects.all().delete()
        Keyword.objects.all().delete()
    reset_search_caches()


@pytest.fixture
def fresh_stamps(monkeypatch):
    """Checks the catalogue's version stamp on every search."""
    monkeypatch.setattr(search_catalogue, "STAMP_TTL", 0.0)
    monkeypatch.setattr(dense, "STAMP_TTL", 0.0)


@pytest.fixture
def catalogue(db):
    """A small catalogue of factory films with genres, keywords and credits."""
    drama, crime = GenreFactory(name="Drama"), GenreFactory(name="Crime")
    films = []
    for n in range(12):
        movie = MovieFactory(title=f"Catalogue film {n}")
        movie.genres.add(drama if n % 2 else crime)
        movie.keywords.add(KeywordFactory(name=f"theme {n % 4}"))
        CreditFactory(movie=movie, role="director")
        films.append(movie)
    return films


@pytest.fixture
def run_inline():
    """Run an index service with its batches executed here, in order; returns the Job."""

    def run(service, **kwargs):
        batches: list[services.Batch] = []
        job = service(dispatch=batches.append, **kwargs)
        for batch in batches:
            services.index_batch(batch=batch)
        if job is not None:
            job.refresh_from_db()
        return job

    return run


@pytest.fixture
def movie_admin():
    """The Movie admin that movies/admin.py registers; a plain one where that is absent."""
    import recsys_site.urls

    registered_here = not admin.site.is_registered(Movie)
    if registered_here:
        admin.site.register(Movie)
        admin_actions.register()
        importlib.reload(recsys_site.urls)
        clear_url_caches()
    yield admin.site.get_model_admin(Movie)
    if registered_here:
        admin.site.unregister(Movie)
        importlib.reload(recsys_site.urls)
        clear_url_caches()
