"""The typo lookup reads only the titles and names whose length can reach the cutoff: it finds
what one scan of the whole list finds (the same best keys, ties in the same order), on real
titles and names with random misspellings, and on keys built to tie."""

import json
import random
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from movies.text import normalize_title
from recommendations.search.fuzzy import (
    CANDIDATES,
    CUTOFF,
    KNOWN_WORDS_CUTOFF,
    KeysByLength,
    NameIndex,
)

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "catalogue.jsonl"


def whole_scan(keys: list[str], query: str, cutoff: float) -> tuple[float, list[str]] | None:
    """The lookup before the length window: every key, the first CANDIDATES by score."""
    hits = process.extract(query, keys, scorer=fuzz.ratio, score_cutoff=cutoff, limit=CANDIDATES)
    if not hits:
        return None
    best = hits[0][1]
    return best, [key for key, score, _ in hits if score == best]


def misspelled(text: str, rng: random.Random) -> str:
    """One to three random edits: a letter dropped, doubled, swapped or replaced."""
    chars = list(text)
    for _ in range(rng.randint(1, 3)):
        if len(chars) < 2:
            break
        i = rng.randrange(len(chars) - 1)
        edit = rng.choice(("drop", "double", "swap", "replace"))
        if edit == "drop":
            del chars[i]
        elif edit == "double":
            chars.insert(i, chars[i])
        elif edit == "swap":
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyz ")
    return "".join(chars)


def names_of_the_bundled_catalogue() -> tuple[list[str], list[str]]:
    titles, people = {}, {}
    for line in CATALOGUE.read_text().splitlines():
        film = json.loads(line)
        titles[normalize_title(film["title"])] = None
        for name in film.get("cast", []) + film.get("directors", []):
            people[normalize_title(name)] = None
    return list(titles), list(people)


def index_of(titles: list[str], people: list[str]) -> NameIndex:
    return NameIndex(
        {t: [i] for i, t in enumerate(titles)},
        {t: t.title() for t in titles},
        {p: [i] for i, p in enumerate(people)},
        {p: p.title() for p in people},
    )


def test_the_window_finds_what_a_whole_scan_finds():
    rng = random.Random(7)
    titles, people = names_of_the_bundled_catalogue()
    # Keys built to tie: many of one length one edit from the same query, in shuffled order,
    # more of them than CANDIDATES, and lengths at the window's edges.
    tying = [f"the heist {c}{d}" for c in "abcdefgh" for d in "xyz"]
    rng.shuffle(tying)
    edges = ["x" * n for n in range(1, 40)]
    titles = titles + tying + edges
    index = index_of(titles, people)
    queries = [misspelled(rng.choice(titles + people), rng) for _ in range(600)]
    queries += ["the heist q", "the heist", "xxxxxxxxxx", "godfahter", "a"]
    compared = found = 0
    for query in queries:
        for cutoff in (CUTOFF, KNOWN_WORDS_CUTOFF, 50.0):
            for kind, keys, labels in (
                ("title", index._titles_by_length, titles),
                ("person", index._people_by_length, people),
            ):
                expected = whole_scan(labels, query, cutoff)
                match = index._best(kind, keys, query, cutoff)
                compared += 1
                if expected is None:
                    assert match is None, (query, cutoff)
                    continue
                found += 1
                best, tied = expected
                lookup = index.titles if kind == "title" else index.people
                positions = tuple(dict.fromkeys(p for key in tied for p in lookup[key]))
                assert (match.score, match.positions) == (best, positions), (query, cutoff)
    assert found > compared // 3  # most lookups found something: the comparison means something
    tie = index._best("title", index._titles_by_length, "the heist q", CUTOFF)
    assert len(tie.positions) == CANDIDATES  # more keys tie than are kept: the same ones kept


@pytest.mark.parametrize("cutoff", [CUTOFF, KNOWN_WORDS_CUTOFF])
def test_the_window_leaves_out_only_keys_that_cannot_reach_the_cutoff(cutoff):
    keys = KeysByLength.of(["x" * n for n in range(1, 80)])
    for length in range(1, 60):
        start, end = keys.window(length, cutoff)
        for i, key in enumerate(keys.keys):
            # the best a key of this length can score against any query of that length
            reachable = fuzz.ratio("y" * length, "y" * len(key)) >= cutoff
            if reachable:
                assert start <= i < end, (length, len(key))
        assert end - start < len(keys.keys)  # and it does leave some out


@pytest.mark.parametrize("share", [0.8, 0.85, 0.9])
def test_the_alignment_window_leaves_out_only_keys_that_cannot_reach_the_share(share):
    keys = KeysByLength.of(["x" * n for n in range(1, 80)])
    for length in range(1, 60):
        start, end = keys.alignment_window(length, share)
        for i, key in enumerate(keys.keys):
            if OSA.normalized_similarity("y" * length, "y" * len(key)) >= share - 1e-9:
                assert start <= i < end, (length, len(key))
        assert end - start < len(keys.keys)
