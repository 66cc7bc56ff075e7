import pytest

from recommendations.explain.text import brief_quote, content_stems, query_period, split_sentences


@pytest.mark.parametrize(
    ("query", "label", "first", "last"),
    [
        ("an early 2000's movie", "the early 2000s", 2000, 2003),
        ("a film from the late 80s", "the late 1980s", 1986, 1989),
        ("I saw it in the nineties", "the 1990s", 1990, 1999),
        ("a mid-1990s thriller", "the mid 1990s", 1993, 1996),
        ("it was from the '70s", "the 1970s", 1970, 1979),
        ("came out in 1995 I think", "the year 1995", 1995, 1995),
    ],
)
def test_query_period_reads_decades_and_years(query, label, first, last):
    period = query_period(query)
    assert (period.label, period.first, period.last) == (label, first, last)


@pytest.mark.parametrize("query", ["a man in his 30s who robs banks", "a heist in Paris"])
def test_query_period_ignores_ages_and_queries_without_a_period(query):
    assert query_period(query) is None


def test_period_contains_allows_a_year_of_misremembering():
    period = query_period("early 2000s")
    assert period.contains(2004) and period.contains(1999)
    assert not period.contains(2005)


def test_split_sentences_keeps_abbreviations_and_quotes_together():
    text = 'Mr. Smith goes to town. "Who?" she asks! The end'
    assert split_sentences(text) == ["Mr. Smith goes to town.", '"Who?" she asks!', "The end"]


def test_content_stems_drop_filler_and_meet_plural_and_past_forms():
    assert content_stems("I remember a movie where soldiers killed aliens") == [
        "soldier",
        "kill",
        "alien",
    ]


def test_brief_quote_is_the_end_of_the_sentence_from_a_clause_holding_the_query_words():
    sentence = (
        "After years away a quiet former soldier returns to the city where he grew up, "
        "finds his old friends running a crew of thieves, and agrees to one last job, "
        "although he fails the police lie detector test that he needs to get hired."
    )
    quote = brief_quote(sentence, {"detector", "lie", "test"}, max_words=15)
    assert quote == "although he fails the police lie detector test that he needs to get hired."
    assert sentence.endswith(quote)


def test_brief_quote_never_ends_mid_phrase():
    sentence = (
        "An orphan boy who is taken in by a grumpy old carpenter in a mountain village learns "
        "the trade over many winters and helps him build a boat to sail down the river."
    )
    # No clause to start from: the whole sentence, never "... helps him build a".
    assert brief_quote(sentence, {"boat", "build"}, max_words=12) == sentence
    # The words that match sit early: the later clause alone would drop them.
    early = "A boat builder, retired and alone, " + "w " * 30 + "ends, here."
    assert brief_quote(early, {"boat", "builder"}, max_words=12) == early
