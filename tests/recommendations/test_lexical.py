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


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("He thinks of buses, boss", "thinks buses bosses boss"),  # a stopword's plural stems
        ("I think the bus is his", "think thinks bus buses his"),  # stopwords give no token
        ("glass glasses virus viruses", "glass virus glasses"),  # -ss and -us keep their s
        ("Cats and dogs", "cat dog cats"),
    ],
)
def test_words_that_stem_to_a_token_match_it_as_tokenize_reads_them(text, query):
    tokens = set(tokenize(query))
    assert tokens_in(text, tokens) == sorted(tokens & set(tokenize(text)))


def test_accents_of_several_kinds_are_stripped_as_before():
    text = "Ångström's naïve Zoë\u0301 in 東京: crème brûlée, x\u0301\u0308y"
    assert tokenize(text) == ["angstrom", "naive", "zoe", "東京", "creme", "brulee", "xy"]
