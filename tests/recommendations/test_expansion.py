"""The dense stage's query: "film" and "movie" left out, and the words the model cannot read
taken from the films the catalogue tags with them (recommendations.search.expansion)."""

from dataclasses import replace

import numpy as np
import pytest

from recommendations.embedding import MODEL_ID
from recommendations.search.expansion import moved_towards, unread_words, without_framing
from recommendations.search.pipeline import DEFAULT_CONFIG, run_pipeline

pytestmark = pytest.mark.django_db

OFF = replace(DEFAULT_CONFIG, dense_drops_framing=False, keyword_meaning_weight=0.0)


def test_framing_words_are_left_out_of_what_the_model_reads():
    assert without_framing(("A heist film about Movies and films", "a film")) == (
        "A heist about and",
        "a",
    )
    assert without_framing(("movie",)) == ("movie",)  # nothing else to read: kept
    assert without_framing(("filmmaker in a moviehouse",)) == ("filmmaker in a moviehouse",)


def test_words_are_unread_where_the_model_splits_them_into_pieces():
    words = ["heist", "robbery", "dystopia", "shark", "heist"]
    assert unread_words(words, MODEL_ID) == ["heist", "dystopia"]


def test_the_query_moves_towards_the_meaning_and_stays_a_unit_vector():
    query = np.array([[1.0, 0.0, 0.0]], dtype=np.float32)
    meaning = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    moved = moved_towards(query, meaning, 0.5)
    assert np.allclose(np.linalg.norm(moved, axis=1), 1.0)
    assert moved[0, 1] > 0 and moved[0, 0] > moved[0, 1]
    assert moved_towards(query, None, 0.5) is query
    assert moved_towards(query, meaning, 0.0) is query


def _dense_titles(query, config, films):
    result = run_pipeline(query, config=config)
    by_id = {film.pk: title for title, film in films.items()}
    return [by_id[int(result.snapshot.ids[p])] for p in result.rankings["dense"]]


def test_the_dense_stage_reads_a_query_without_film_and_movie(films):
    framed = run_pipeline("a heist film", config=replace(OFF, dense_drops_framing=True))
    plain = run_pipeline("a heist", config=OFF)
    assert np.allclose(framed.query_vectors, plain.query_vectors, atol=1e-6)
    assert framed.parsed.text == "a heist film"  # the lexical stage and the page keep it
    kept = run_pipeline("a heist film", config=OFF)
    assert not np.allclose(kept.query_vectors, plain.query_vectors, atol=1e-3)


def test_a_word_the_model_cannot_read_finds_the_films_tagged_with_it_and_their_neighbours(films):
    before = _dense_titles("a heist", OFF, films)
    # Two films here are tagged "heist" (Ocean's Eleven, Inception): one fewer than it takes
    assert _dense_titles("a heist", DEFAULT_CONFIG, films) == before
    after = _dense_titles("a heist", replace(DEFAULT_CONFIG, keyword_min_films=2), films)
    assert after.index("Ocean's Eleven") < before.index("Ocean's Eleven")
    # Heat is tagged "bank robbery", not "heist": found through the tagged films' meaning
    assert after.index("Heat") < before.index("Heat")
