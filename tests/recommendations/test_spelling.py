"""Misspelled words read as the catalogue's nearest (recommendations/search/spelling.py), on a
small made-up catalogue; through the whole search, on the bundled one, in test_typos.py."""

import pytest

from recommendations.search.lexical import build_lexical_index
from recommendations.search.spelling import respelled

FILMS = [
    ("Night of the Dead", "Horror zombie", "A zombie apocalypse in a small town cabin."),
    ("Dawn", "Horror zombie", "Zombies overrun a shopping mall and a cabin."),
    ("Back in Time", "Science Fiction time travel", "A teenager travels thirty years back."),
    ("Love Actually Again", "Romance Comedy", "A romantic comedy of eight couples."),
    ("Zombie Island", "Horror", "Tourists find a zombie on an island."),
    ("Travel", "Drama", "A travel writer and a traveller cross the desert."),
    ("Zomba", "Drama", "A town in Malawi named Zomba, and Cabon, a name."),
]


@pytest.fixture(scope="module")
def lexical():
    titles, keywords, bodies = zip(*FILMS, strict=True)
    return build_lexical_index(titles=list(titles), keywords=list(keywords), bodies=list(bodies))


def _read(text: str, lexical, **settings) -> str:
    found = respelled(text, lexical, **({"min_chars": 5, "cutoff": 80.0} | settings))
    return text if found is None else found.text


def test_a_misspelled_word_is_read_as_the_catalogues_nearest(lexical):
    found = respelled("zombi apocalypse", lexical, min_chars=5, cutoff=80.0)
    assert found is not None
    assert found.text == "zombie apocalypse" and found.typed == "zombi apocalypse"
    assert found.words == (("zombi", "zombie"),)
    assert _read("time travle, romantik comedy", lexical) == "time travel, romantic comedy"


def test_the_nearest_word_wins_then_the_one_most_films_hold(lexical):
    assert _read("zomab", lexical) == "zomba"  # two letters swapped; "zombie": two slips
    assert _read("travle", lexical) == "travel"  # a swap, not "traveller" (two added)
    assert _read("zombia", lexical) == "zombie"  # as near "zomba", in four films against one
    assert _read("cabbn", lexical) == "cabin"  # as near "cabon", in two films against one


def test_known_short_and_far_words_are_read_as_typed(lexical):
    assert respelled("zombie apocalypse", lexical, min_chars=5, cutoff=80.0) is None
    assert _read("zomb town", lexical) == "zomb town"  # four letters: too short to tell
    assert _read("zomb town", lexical, min_chars=4) == "zomba town"
    assert _read("qwzxv blorf", lexical) == "qwzxv blorf"  # nothing near enough
    assert _read("zombi 2000s r2-d2", lexical) == "zombie 2000s r2-d2"  # digits as typed
    assert _read("zombbbie", lexical, cutoff=95.0) == "zombbbie"


def test_a_warmed_worker_makes_no_word_list_on_a_viewers_first_slip(monkeypatch):
    from recommendations.search import fuzzy
    from recommendations.search.spelling import prepare_respelling

    titles, keywords, bodies = zip(*FILMS, strict=True)
    fresh = build_lexical_index(titles=list(titles), keywords=list(keywords), bodies=list(bodies))
    prepare_respelling(fresh)  # as recsys_site.warmup does

    def made_in_a_search(keys):
        raise AssertionError("the vocabulary's list was made during a search")

    monkeypatch.setattr(fuzzy.KeysByLength, "of", made_in_a_search)
    assert _read("zombi apocalypse", fresh) == "zombie apocalypse"
