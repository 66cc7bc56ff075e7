"""Surnames alone (recommendations/search/surnames.py), on made-up names: which surname names
whom, how a query's tokens and a misspelling find them. The whole search on the real
catalogues is in test_typos.py."""

import pytest

from recommendations.search.surnames import Surnames, surnames_of

PEOPLE = {
    "stanley kubrick": [1, 2, 3],
    "francis ford coppola": [4, 5, 6, 7],
    "sofia coppola": [8],
    "woody allen": [9, 10],
    "tim allen": [11, 12],
    "robert de niro": [4, 13, 13],  # credited twice on a film: counted once
    "tom hanks": [14, 15],
    "kim roi ha": [16],
    "kwak do won": [17],
}


@pytest.fixture(scope="module")
def surnames() -> Surnames:
    return Surnames.of(PEOPLE)


def test_a_surname_is_the_names_last_words_of_four_letters_or_more():
    assert surnames_of("stanley kubrick") == ["kubrick"]
    assert surnames_of("robert de niro") == ["de niro", "niro"]
    assert surnames_of("francis ford coppola") == ["ford coppola", "coppola"]
    assert surnames_of("kim roi ha") == ["roi ha"]  # "ha" alone is too short
    assert surnames_of("george o brien") == ["brien"]  # no surname starts at an initial
    assert surnames_of("madonna") == []


def test_a_surname_names_whoever_holds_twice_the_films_of_anyone_sharing_it(surnames):
    assert surnames.by_spelling["coppola"] == "francis ford coppola"  # 4 films against 1
    assert surnames.by_spelling["allen"] == ""  # 2 against 2: no one
    assert surnames.by_spelling["niro"] == "robert de niro"


def test_a_query_names_by_the_tokens_search_reads(surnames):
    assert surnames.named(["kubrick"]) == "stanley kubrick"
    assert surnames.named(["de", "niro"]) == "robert de niro"
    assert surnames.named(["hank"]) == "tom hanks"  # the plural stemmer's "hanks"
    assert surnames.named(["allen"]) == ""
    assert surnames.named(["kubrick", "films", "again"]) == ""  # three words: no surname
    assert surnames.named([]) == ""
    # "do won": "do" is a stop word, so no query's tokens say it
    assert ("won",) not in surnames.by_tokens and "do won" not in surnames.by_spelling


def test_a_misspelled_surname_finds_its_person_and_score(surnames):
    assert surnames.closest("kubrik", 80.0) == (
        "stanley kubrick",
        "kubrick",
        pytest.approx(92.3, 0.01),
    )
    assert surnames.closest("coppolla", 80.0)[0] == "francis ford coppola"
    assert surnames.closest("alen", 80.0) is None  # nearest "allen", which names no one
    assert surnames.closest("kubrik", 95.0) is None
    assert surnames.closest("the kubrik films", 80.0) is None  # three words
