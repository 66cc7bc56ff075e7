"""The offline explainer on real queries and the films a retrieval puts in front of them: 50
TOMT dev queries x their top 10 of TMDB 5000 (fixture `tmdb_top10`).
Timing is measured by bench/explain.py."""

import re
import unicodedata

import pytest
import torch

from recommendations.explain import grounded
from recommendations.explain.facts import ExplainRequest, FilmFacts

pytestmark = [pytest.mark.slow, pytest.mark.shared_data, pytest.mark.django_db]

# Read independently of the code under test: curly-quoted phrases, and the film's data as one
# lower-cased, whitespace-collapsed text per field.
CURLY_QUOTED = re.compile(r"“([^”]+)”")


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def film_data(film: FilmFacts) -> list[str]:
    fields = [film.title, film.synopsis, film.tagline, *film.genres, *film.keywords]
    fields += [*film.directors, *film.writers, *film.cast, *film.countries, *film.languages]
    return [normalise(f) for f in fields if f]


@pytest.fixture(scope="module")
def explained(tmdb_top10):
    # One torch thread: 500 small encodes on two shared cores run several times faster so.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return [
            (query, film, grounded.explain(ExplainRequest(query=query, film=film)))
            for query, films in tmdb_top10
            for film in films
        ]
    finally:
        torch.set_num_threads(threads)


def test_covers_50_queries_times_10_films(explained):
    assert len(explained) == 500
    assert len({query for query, *_ in explained}) == 50


def test_every_quoted_phrase_is_in_that_films_data(explained):
    unfaithful = []
    for _, film, explanation in explained:
        quotes = CURLY_QUOTED.findall(explanation.text)
        assert quotes, f"{film.title}: nothing of the film is quoted in {explanation.text!r}"
        fields = film_data(film)
        unfaithful += [
            (film.title, q) for q in quotes if not any(normalise(q) in f for f in fields)
        ]
    assert unfaithful == []


def test_no_two_films_get_the_same_text_for_one_query(explained):
    by_query: dict[str, list[str]] = {}
    for query, _, explanation in explained:
        by_query.setdefault(query, []).append(explanation.text)
    repeated = {q[:60]: texts for q, texts in by_query.items() if len(set(texts)) != len(texts)}
    assert repeated == {}


def test_every_explanation_quotes_the_synopsis_when_there_is_one(explained):
    for _, film, explanation in explained:
        if film.synopsis:
            assert explanation.reasons[0].kind == "synopsis", explanation.text
