"""The offline explainer on hand-made facts: what it quotes and names, and that it stays with
the film's own data."""

import pytest

from recommendations.explain import grounded
from recommendations.explain.facts import (
    ExplainRequest,
    FilmFacts,
    quoted_phrases,
    unfaithful_quotes,
)

HARSH_TIMES = FilmFacts(
    movie_id=1,
    title="Harsh Times",
    year=2005,
    synopsis=(
        "Jim Davis, an ex-Army Ranger who served in the Gulf war, has a violent temper. "
        "He hopes to join the LAPD, but he fails the psychological evaluation. "
        "Together with his friend Mike he drives across the border to Mexico."
    ),
    tagline="Trust no one.",
    genres=("Crime", "Thriller", "Drama"),
    keywords=("lie detector", "drug test", "gulf war", "veteran"),
    directors=("David Ayer",),
    cast=("Christian Bale", "Freddy Rodriguez"),
)


def explain(query: str, film: FilmFacts = HARSH_TIMES, **evidence):
    return grounded.explain(ExplainRequest(query=query, film=film, evidence=evidence or None))


def test_quotes_the_synopsis_sentence_nearest_in_meaning_not_in_words():
    # No word of the query is in the right sentence: only the embedding can find it.
    explanation = explain("a fellow who can't pass the mental health screening for the police")
    assert explanation.reasons[0].kind == "synopsis"
    assert "“He hopes to join the LAPD, but he fails the psychological evaluation”" in (
        explanation.text
    )


def test_names_keywords_people_genre_and_period_from_the_query():
    query = (
        "Christian Bale plays a veteran who tries to beat a lie detector and a drug test; "
        "a tense thriller from the early 2000s"
    )
    explanation = explain(query)
    kinds = [r.kind for r in explanation.reasons]
    assert kinds == ["synopsis", "person", "keyword", "genre", "period"]
    text = explanation.text
    assert "You name “Christian Bale”, who is in the cast." in text
    assert "“lie detector”" in text and "“drug test”" in text and "“veteran”" in text
    assert "Listed as “Thriller”, in keeping with thriller and tense" in text
    assert "Released in 2005, not the early 2000s as you recall it." in text


def test_period_that_fits_is_said_to_fit():
    assert (
        "Released in 2005, which fits the mid 2000s you mention."
        in explain("an army ranger movie from the mid 2000s").text
    )


def test_every_quote_is_the_films_own_words():
    explanation = explain("a soldier back from the gulf war with anger problems, lie detector")
    assert quoted_phrases(explanation.text)
    assert unfaithful_quotes(explanation.text, HARSH_TIMES) == []


def test_two_films_never_get_the_same_text_for_one_query():
    other = FilmFacts(
        movie_id=2,
        title="Jarhead",
        year=2005,
        synopsis="A Marine sniper waits out the Gulf war in the desert, bored and afraid.",
        genres=("Drama", "War"),
        keywords=("gulf war", "marine"),
    )
    query = "a soldier in the gulf war"
    assert explain(query).text != explain(query, film=other).text


def test_a_film_without_synopsis_is_explained_by_its_facts_not_a_generic_line():
    bare = FilmFacts(movie_id=3, title="Heat", year=1995, genres=("Crime",), directors=("Mann",))
    text = explain("a bank robbery shootout", film=bare).text
    assert "“Heat” (1995) has no synopsis in the catalogue" in text
    assert "“Crime”" in text and "“Mann”" in text
    assert unfaithful_quotes(text, bare) == []


def test_pipeline_evidence_is_used_when_given():
    explanation = explain(
        "a man who is angry",
        stage_scores={"dense": 0.61, "rerank": 0.9},
        matched_fields={"keywords": ["veteran", "not a keyword of this film"]},
        sentences=["Together with his friend Mike he drives across the border to Mexico."],
    )
    assert explanation.signals["dense"] == 0.61 and explanation.signals["rerank"] == 0.9
    assert "“Together with his friend Mike he drives across the border to Mexico”" in (
        explanation.text
    )
    assert "“veteran”" in explanation.text
    assert "not a keyword" not in explanation.text


@pytest.mark.parametrize("weak_query", ["a cartoon about a talking teapot who bakes cakes"])
def test_a_weak_match_is_called_weak(weak_query):
    assert "Its story matches only loosely; the nearest line is" in explain(weak_query).text


def test_sentence_vectors_are_encoded_once_per_process(monkeypatch):
    """Sentences are encoded once and remembered; a query goes through search's query
    encoder and its cache, so only a new query is encoded again."""
    from recommendations.search import dense

    explain("a violent temper")
    sentences, queries = [], []
    real_encode, real_queries = grounded.embedding.encode, dense.encode_queries
    monkeypatch.setattr(
        grounded.embedding,
        "encode",
        lambda texts: sentences.append(list(texts)) or real_encode(texts),
    )
    monkeypatch.setattr(
        dense,
        "encode_queries",
        lambda texts, **kw: queries.append(list(texts)) or real_queries(texts, **kw),
    )
    explain("a violent temper")
    explain("a trip across the border")
    assert sentences == []
    assert queries == [["a trip across the border"]]


def test_a_title_search_says_so_first_and_leaves_a_story_that_is_not_close_unsaid():
    explanation = explain("harsh times")
    assert explanation.reasons[0].text == "Its title is what you searched for: “Harsh Times”."
    assert all(r.kind != "synopsis" for r in explanation.reasons)
    assert unfaithful_quotes(explanation.text, HARSH_TIMES) == []


def test_a_misspelled_title_is_said_to_be_the_nearest_when_the_search_matched_it():
    matched = explain("harsh tims", title_match=True)
    assert matched.reasons[0].text == "Its title, “Harsh Times”, is the nearest to what you typed."
    assert all(r.kind != "synopsis" for r in matched.reasons)
    # Without the search's word a misspelling is not taken for the title
    assert all(r.kind != "title" for r in explain("harsh tims").reasons)


def test_a_name_the_search_matched_leads_a_misspelled_one_included():
    for query in ("christian bale", "christian baile"):
        explanation = explain(query, people=["christian bale"])
        assert explanation.reasons[0].text == "You name “Christian Bale”, who is in the cast."
        assert "only loosely" not in explanation.text and "touches on" not in explanation.text
    assert "Christian Bale" not in explain("christian baile").text


def test_a_film_listed_as_like_the_one_searched_for_says_so_first():
    """After the film a title search names, search lists the films most like it: their panel
    says which film and what the two share, and no loose story line."""
    explanation = explain("training day", like=["Training Day", "Same director: David Ayer"])
    assert explanation.reasons[0].kind == "like"
    assert explanation.reasons[0].text == (
        "One of the films most like “Training Day”, which your search names "
        "(same director: David Ayer)."
    )
    # Its query was a title, not a description: nothing it "describes" is said to match
    assert len(explanation.reasons) == 1
    # Without the search's word nothing is said of another film
    assert "most like" not in explain("training day").text


def test_a_film_listed_as_like_a_named_persons_films_says_whose_and_which():
    explanation = explain(
        "david ayer",
        like=["Training Day", "Shares cast: Ethan Hawke"],
        like_person="David Ayer",
    )
    assert explanation.reasons[0].text == (
        "One of the films most like those of “David Ayer”, whom your search names: closest to "
        "“Training Day” (shares cast: Ethan Hawke)."
    )
    assert len(explanation.reasons) == 1
