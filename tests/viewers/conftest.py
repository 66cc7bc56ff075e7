"""A small catalogue with real vectors in a real (embedded) Chroma collection of its own, a tiny
set of ratings, and a trained recommender: enough to exercise every home row quickly."""

import uuid

import pytest

from movies.models import Credit, Person
from recommendations.embedding import encode, film_text
from recommendations.vector_store import drop_collection, get_collection
from tests.factories import (
    CreditFactory,
    GenreFactory,
    KeywordFactory,
    MovieFactory,
    PersonFactory,
)
from viewers.models import Rating

# title, genres, director, keywords, synopsis
FILMS = [
    (
        "Heat",
        ["Crime", "Thriller"],
        "Michael Mann",
        ["heist", "betrayal", "los angeles"],
        "A detective hunts a crew of professional bank robbers in Los Angeles.",
    ),
    (
        "Collateral",
        ["Crime", "Thriller"],
        "Michael Mann",
        ["hitman", "los angeles", "taxi"],
        "A cab driver is forced to drive a contract killer around Los Angeles at night.",
    ),
    (
        "Thief",
        ["Crime", "Drama"],
        "Michael Mann",
        ["heist", "safecracker"],
        "A safecracker takes one last job for the mob.",
    ),
    (
        "The Town",
        ["Crime", "Thriller"],
        "Ben Affleck",
        ["heist", "betrayal", "boston"],
        "A bank robber falls for a hostage while the FBI closes in on his crew.",
    ),
    (
        "Inside Man",
        ["Crime", "Thriller"],
        "Spike Lee",
        ["heist", "hostage"],
        "A cop and a robber play cat and mouse during a bank heist with hostages.",
    ),
    (
        "Alien",
        ["Science Fiction", "Horror"],
        "Ridley Scott",
        ["space", "alien", "spaceship"],
        "The crew of a spaceship is hunted by a deadly alien creature.",
    ),
    (
        "Aliens",
        ["Science Fiction", "Action"],
        "James Cameron",
        ["space", "alien", "marines"],
        "Marines fight alien creatures on a distant colony.",
    ),
    (
        "Blade Runner",
        ["Science Fiction", "Drama"],
        "Ridley Scott",
        ["android", "future"],
        "A detective hunts rogue androids in a rainy future Los Angeles.",
    ),
    (
        "Notting Hill",
        ["Romance", "Comedy"],
        "Roger Michell",
        ["bookshop", "celebrity"],
        "A London bookshop owner falls in love with a famous actress.",
    ),
    (
        "Love Actually",
        ["Romance", "Comedy"],
        "Richard Curtis",
        ["christmas", "london"],
        "Several London love stories unfold in the weeks before Christmas.",
    ),
    (
        "Toy Story",
        ["Animation", "Family"],
        "John Lasseter",
        ["toys", "friendship"],
        "A cowboy doll feels threatened by a new space ranger toy.",
    ),
    (
        "Finding Nemo",
        ["Animation", "Family"],
        "Andrew Stanton",
        ["ocean", "fish"],
        "A clownfish crosses the ocean to find his son.",
    ),
]

# Raters who like crime films also liked these; sci-fi fans the others: co-occurrence for EASE.
RATERS = {
    1: ["Heat", "The Town", "Inside Man", "Thief"],
    2: ["Heat", "The Town", "Collateral"],
    3: ["Heat", "Inside Man", "The Town"],
    4: ["The Town", "Inside Man", "Thief"],
    5: ["Alien", "Aliens", "Blade Runner"],
    6: ["Alien", "Aliens"],
    7: ["Aliens", "Blade Runner", "Alien"],
    8: ["Notting Hill", "Love Actually"],
    9: ["Toy Story", "Finding Nemo"],
    10: ["Toy Story", "Finding Nemo", "Notting Hill"],
    11: ["Heat", "Collateral", "The Town"],
}


_vectors: dict[str, list[float]] = {}


def _encode_once(texts: list[str]) -> list[list[float]]:
    """The catalogue's texts are the same in every test: embed them once per session."""
    missing = [t for t in texts if t not in _vectors]
    _vectors.update(zip(missing, encode(missing).tolist(), strict=True))
    return [_vectors[t] for t in texts]


@pytest.fixture
def chroma_collection(settings):
    """A Chroma collection of this test's own (a unique name prefix), deleted afterwards."""
    settings.RECSYS_CHROMA_COLLECTION_PREFIX = f"test-viewers-{uuid.uuid4().hex[:8]}"
    collection = get_collection()
    yield collection
    drop_collection(collection.name)


@pytest.fixture
def models_dir(settings, tmp_path):
    settings.RECSYS_MODELS_DIR = tmp_path / "models"
    return settings.RECSYS_MODELS_DIR


@pytest.fixture
def catalogue(chroma_collection) -> dict:
    """{title: Movie} for FILMS, each film's vector in the test collection."""
    movies = {}
    for n, (title, genres, director, keywords, synopsis) in enumerate(FILMS):
        movie = MovieFactory(title=title, synopsis=synopsis, movielens_id=1000 + n, year=1990 + n)
        movie.genres.set([GenreFactory(name=g) for g in genres])
        movie.keywords.set([KeywordFactory(name=k) for k in keywords])
        CreditFactory(movie=movie, role=Credit.Role.DIRECTOR, person=_person(director))
        movies[title] = movie
    texts = [film_text(m) for m in movies.values()]
    chroma_collection.upsert(
        ids=[str(m.pk) for m in movies.values()],
        embeddings=_encode_once(texts),
        documents=texts,
    )
    fresh_search_state()
    return movies


def fresh_search_state() -> None:
    """Drop the in-memory catalogue snapshot and film vectors of earlier tests (they are
    re-checked only every few seconds)."""
    from recommendations.search.catalogue import clear_snapshot
    from recommendations.search.dense import clear_dense_index

    clear_snapshot()
    clear_dense_index()


def _person(name: str) -> Person:
    return Person.objects.filter(name=name).first() or PersonFactory(name=name)


@pytest.fixture
def ratings(catalogue) -> int:
    from django.utils import timezone

    rows = [
        Rating(
            source="movielens", rater=rater, movie=catalogue[t], score=4.5, rated_at=timezone.now()
        )
        for rater, titles in RATERS.items()
        for t in titles
    ]
    Rating.objects.bulk_create(rows)
    return len(rows)


@pytest.fixture
def trained(ratings, models_dir):
    from recommendations.lab.recommender_training import recommender_train

    return recommender_train()
