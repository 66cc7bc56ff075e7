"""'More like this' (recommendations/similar.py): content, co-liking and credits blended, so
that films sharing only a title word do not lead. On the search tests' small catalogue
(conftest.FILMS) plus a few films that share Heat's title words, director or cast."""

import re
from datetime import UTC, datetime

import numpy as np
import pytest

from movies.models import Movie
from recommendations.search.pipeline import DENSE_UNAVAILABLE
from recommendations.selectors import movie_similar
from recommendations.similar import VECTOR_ONLY
from tests.recommendations.catalogue_fixtures import import_records, index_inline
from tests.recommendations.conftest import reset_search_caches
from viewers.models import Rating, Reaction

pytestmark = pytest.mark.django_db

TITLE_WORD_FILMS = {"In the Heat of the Night", "Some Like It Hot", "The Heat"}
EXTRA_FILMS = [
    # title, year, genres, keywords, director, cast, synopsis
    (
        "In the Heat of the Night",
        1967,
        ["Crime", "Drama", "Mystery"],
        ["racism", "murder investigation", "mississippi"],
        "Norman Jewison",
        ["Sidney Poitier", "Rod Steiger"],
        "A black police detective from Philadelphia, passing through a small Mississippi town, "
        "is drawn into a murder investigation alongside the town's hostile white sheriff.",
    ),
    (
        "Some Like It Hot",
        1959,
        ["Comedy", "Romance"],
        ["cross dressing", "musician", "gangster"],
        "Billy Wilder",
        ["Marilyn Monroe", "Tony Curtis", "Jack Lemmon"],
        "Two musicians who witness a mob hit in Chicago disguise themselves as women and join an "
        "all-female band heading for Florida.",
    ),
    (
        "The Heat",
        2013,
        ["Comedy", "Action"],
        ["buddy cop", "boston"],
        "Paul Feig",
        ["Sandra Bullock", "Melissa McCarthy"],
        "An uptight FBI agent is paired with a foul-mouthed Boston cop to take down a ruthless "
        "drug lord.",
    ),
    (
        "The Insider",
        1999,
        ["Drama"],
        ["tobacco industry", "whistleblower", "journalism"],
        "Michael Mann",
        ["Al Pacino", "Russell Crowe"],
        "A television producer persuades a fired tobacco executive to tell on air what his "
        "company knew about its cigarettes, and both pay the price.",
    ),
]


@pytest.fixture(scope="module")
def heat_catalogue(films, django_db_blocker, tmp_path_factory) -> dict[str, Movie]:
    """The search tests' catalogue plus films sharing Heat's title words or its credits."""
    records = [
        {
            "title": title,
            "year": year,
            "kind": "film",
            "genres": genres,
            "keywords": keywords,
            "directors": [director],
            "cast": cast,
            "synopsis": synopsis,
        }
        for title, year, genres, keywords, director, cast, synopsis in EXTRA_FILMS
    ]
    with django_db_blocker.unblock():
        summary = import_records(records, tmp_path_factory.mktemp("heat") / "extra.jsonl")
        index_inline(summary.movie_ids)
        reset_search_caches()
        yield films | {m.title: m for m in Movie.objects.filter(pk__in=summary.movie_ids)}
    reset_search_caches()


def titles(response) -> list[str]:
    return [r.movie.title for r in response.results]


def rank_of(response, title: str) -> int:
    found = titles(response)
    return found.index(title) + 1 if title in found else len(found) + 1


def test_the_film_vector_alone_puts_title_words_near_heat(heat_catalogue):
    """The ranking before: the fixture reproduces what viewers saw (if this fails, the
    fixture no longer shows the problem the next test guards against)."""
    before = titles(movie_similar(heat_catalogue["Heat"].pk, top_k=5, weights=VECTOR_ONLY))
    assert TITLE_WORD_FILMS & set(before[:3]), before


def test_heat_does_not_lead_with_title_word_films(heat_catalogue):
    after = titles(movie_similar(heat_catalogue["Heat"].pk, top_k=10))
    assert "Heat" not in after
    assert after[0] not in TITLE_WORD_FILMS, after
    # The two that share nothing but the word (comedies, other people) are not in the top 3.
    assert not {"Some Like It Hot", "The Heat"} & set(after[:3]), after


def test_same_director_and_cast_films_rise(heat_catalogue):
    heat = heat_catalogue["Heat"].pk
    before = movie_similar(heat, top_k=40, weights=VECTOR_ONLY)
    after = movie_similar(heat, top_k=40)
    assert rank_of(after, "The Insider") < rank_of(before, "The Insider")
    assert rank_of(after, "The Insider") <= 3, titles(after)
    assert rank_of(after, "The Godfather") < rank_of(before, "The Godfather")  # Al Pacino
    reasons = {r.movie.title: r.reason for r in after.results}
    assert reasons["The Insider"] == "Same director: Michael Mann"
    assert reasons["The Godfather"] == "Shares cast: Al Pacino"


def _like(viewer: str, *movies: Movie) -> None:
    for movie in movies:
        Reaction.objects.create(anonymous_id=viewer, movie=movie, value=Reaction.Value.LIKE)


def test_viewers_likes_move_a_co_liked_film_up(heat_catalogue):
    heat, paddington = heat_catalogue["Heat"], heat_catalogue["Paddington"]
    before = movie_similar(heat.pk, top_k=40)
    for n in range(3):
        _like(f"viewer{n:026d}", heat, paddington)  # 32 characters, the column's length
    _like("loner" + "0" * 27, paddington)
    after = movie_similar(heat.pk, top_k=40)
    assert rank_of(after, "Paddington") < rank_of(before, "Paddington")
    assert rank_of(after, "Paddington") <= 10, titles(after)
    reason = next(r.reason for r in after.results if r.movie.title == "Paddington")
    assert reason == "Viewers who liked Heat liked it"
    # A single viewer in common is chance, not co-liking.
    other = heat_catalogue["Up"]
    _like("single" + "0" * 26, heat, other)
    assert rank_of(movie_similar(heat.pk, top_k=40), "Up") == rank_of(after, "Up")


def test_the_trained_recommender_gives_the_co_liking(heat_catalogue, settings, tmp_path):
    from recommendations.lab.recommender_training import recommender_train

    settings.RECSYS_MODELS_DIR = tmp_path / "models"
    heat, whiplash = heat_catalogue["Heat"], heat_catalogue["Whiplash"]
    before = movie_similar(heat.pk, top_k=40)
    at = datetime(2020, 1, 1, tzinfo=UTC)
    others = [m for t, m in heat_catalogue.items() if t not in {"Heat", "Whiplash"}]
    ratings = []
    for rater in range(1, 9):  # raters of Heat also rate Whiplash; others rate elsewhere
        ratings += [
            Rating(source="movielens", rater=rater, movie=heat, score=4.5, rated_at=at),
            Rating(source="movielens", rater=rater, movie=whiplash, score=4.5, rated_at=at),
        ]
    for rater in range(9, 30):
        for movie in others[rater % 7 :: 5]:
            ratings.append(
                Rating(source="movielens", rater=rater, movie=movie, score=3.0, rated_at=at)
            )
    Rating.objects.bulk_create(ratings)
    recommender_train()
    Rating.objects.all().delete()  # only the trained model knows now
    after = movie_similar(heat.pk, top_k=40)
    assert rank_of(after, "Whiplash") < rank_of(before, "Whiplash")
    assert rank_of(after, "Whiplash") <= 10, titles(after)
    reason = next(r.reason for r in after.results if r.movie.title == "Whiplash")
    assert reason == "Viewers who liked Heat liked it"


def test_the_api_and_the_film_page_give_the_same_order(client, heat_catalogue):
    heat = heat_catalogue["Heat"].pk
    expected = [r.movie.pk for r in movie_similar(heat, top_k=12).results]
    data = client.get(f"/api/movies/{heat}/similar", {"top_k": 12}).json()
    assert [r["id"] for r in data["results"]] == expected
    assert data["results"][0]["reason"]
    assert data["results"][0]["stages"]["similar"]["rank"] == 1
    page = client.get(f"/movies/{heat}/").content.decode()
    section = page.split("More like this", 1)[1]
    assert [int(pk) for pk in re.findall(r'id="movie-(\d+)"', section)] == expected
    assert "Same director: Michael Mann" in section  # each card says why it is there


def test_without_chroma_films_sharing_credits_still_come(heat_catalogue, settings):
    settings.RECSYS_CHROMA_URL = "http://127.0.0.1:9"  # discard port: nothing answers
    reset_search_caches()
    try:
        response = movie_similar(heat_catalogue["Heat"].pk, top_k=5)
    finally:
        settings.RECSYS_CHROMA_URL = ""
        reset_search_caches()
    assert response.notices == [DENSE_UNAVAILABLE]
    assert {"The Insider", "The Godfather"} <= set(titles(response))
    assert all(r.score > 0 for r in response.results)


def test_several_films_compared_at_once_score_as_each_alone(heat_catalogue):
    """A person's first films are compared in one product per matrix (similar_scores_of):
    the same signals and scores as one film at a time, films outside the snapshot None."""
    from recommendations.search.catalogue import get_snapshot
    from recommendations.search.dense import get_dense_index
    from recommendations.similar import similar_scores, similar_scores_of

    snapshot = get_snapshot()
    dense = get_dense_index(snapshot)
    ids = [heat_catalogue[t].pk for t in ("Heat", "The Insider")] + [10**9]

    together = similar_scores_of(snapshot, dense, ids)

    assert together[-1] is None
    for movie_id, found in zip(ids[:2], together[:2], strict=True):
        signals, scores = similar_scores(snapshot, dense, movie_id)
        np.testing.assert_allclose(found[0].film_vector, signals.film_vector, atol=1e-5)
        np.testing.assert_allclose(found[0].synopsis, signals.synopsis, atol=1e-5)
        assert np.array_equal(np.isfinite(found[1]), np.isfinite(scores))
        np.testing.assert_allclose(
            found[1][np.isfinite(scores)], scores[np.isfinite(scores)], atol=1e-5
        )
