"""The words of a text that a query's tokens match, as the result cards' evidence reads them:
`tokens_in` gives what intersecting with the whole text's tokens gives."""

import pytest

from recommendations.search.lexical import tokenize, tokens_in

TEXTS = [
    "A veteran Los Angeles detective hunts a crew of professional thieves planning one last "
    "bank robbery.",
    "O'Brien's café: the robbers' heists, glasses and bosses",
    "Amélie Poulain\u2019s small acts of kindness in Montmartre",
    "",
    "The Others",
]
QUERIES = [
    "bank robbers in los angeles",
    "obrien cafe heist glass boss",
    "amelie montmartre kindness",
    "the other ones",
    "nothing matches zzz",
    "crew's planning",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("text", TEXTS)
def test_the_matched_words_are_the_tokens_both_share(text, query):
    tokens = set(tokenize(query))
    assert tokens_in(text, tokens) == sorted(tokens & set(tokenize(text)))


def test_plurals_accents_and_apostrophes_match_as_tokenize_reads_them():
    text = TEXTS[1] + " " + TEXTS[2]
    assert tokens_in(text, set(tokenize("robber cafe amelie obrien"))) == [
        "amelie",
        "cafe",
        "obrien",
        "robber",
    ]
    assert tokens_in("a bank job", {"heist"}) == []
