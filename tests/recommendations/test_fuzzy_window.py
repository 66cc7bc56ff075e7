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
    PARTIAL_CUTOFF,
    KeysByLength,
    NameIndex,
    letter_sets,
    start_letter_sets,
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


# The windows read exactly the keys whose length can reach the cutoff: none left out that can,
# none read that cannot (each read costs a comparison; a scan of 21k words is about a
# millisecond). Scores found earlier are cutoffs too (has_nearer_word), so odd ones are tried.
@pytest.mark.parametrize(
    ("window", "similarity", "cutoff"),
    [
        ("window", fuzz.ratio, c)
        for c in (CUTOFF, KNOWN_WORDS_CUTOFF, 100 * 5 / 6, 100 * 13 / 15, 87.5)
    ]
    + [("alignment_window", OSA.normalized_similarity, s) for s in (0.8, 0.85, 0.9, 5 / 6)],
)
def test_a_window_reads_exactly_the_keys_that_can_reach_the_cutoff(window, similarity, cutoff):
    keys = KeysByLength.of(["x" * n for n in range(1, 80)])
    for length in range(1, 60):
        start, end = getattr(keys, window)(length, cutoff)
        for i, key in enumerate(keys.keys):
            # the best a key of this length can score against any query of that length
            reachable = similarity("y" * length, "y" * len(key)) >= cutoff - 1e-6
            assert (start <= i < end) == reachable, (length, len(key))


def test_each_character_gives_one_bit_of_a_keys_letter_set():
    abc, empty, cab, mixed, spaced = letter_sets(["abc", "", "cab", "x17é", "a b"]).tolist()
    assert abc == cab == 0b111 and empty == 0
    assert mixed == (1 << 23) | (1 << 26) | (1 << 27)  # x, a digit, anything else
    assert spaced == 0b11 | (1 << 27)
    assert letter_sets([]).size == 0
    assert letter_sets(["a\ud800"]).tolist() == [1 | (1 << 27)]  # a lone surrogate: no error


def test_the_letter_filter_drops_only_keys_that_cannot_reach_the_cutoff():
    """Both filters keep every key a whole scan finds, with its score, in the same order:
    real words and names, non-ASCII ones, digits, and random slips of them."""
    rng = random.Random(11)
    titles, people = names_of_the_bundled_catalogue()
    words = sorted({w for text in titles + people for w in text.split()})
    keys = [*words, "amélie", "amelie", "東京物語", "r2-d2", "1917", "se7en"]
    by_length = KeysByLength.of(keys)
    queries = [misspelled(rng.choice(keys), rng) for _ in range(500)] + ["amelei", "東京物", "se7n"]
    kept = 0
    for query in queries:
        for cutoff in (CUTOFF, KNOWN_WORDS_CUTOFF, 60.0):
            whole = process.extract(query, keys, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
            candidates, _ = by_length.ratio_candidates(query, cutoff)
            found = process.extract(
                query, candidates, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
            )
            assert {(k, s) for k, s, _ in found} == {(k, s) for k, s, _ in whole}, query
            kept += len(candidates)
        for share in (0.8, 0.6):
            whole = process.extract(
                query, keys, scorer=OSA.normalized_similarity, score_cutoff=share, limit=None
            )
            candidates, at = by_length.alignment_candidates(query, share)
            found = process.extract(
                query, candidates, scorer=OSA.normalized_similarity, score_cutoff=share, limit=None
            )
            assert {(k, s) for k, s, _ in found} == {(k, s) for k, s, _ in whole}, query
            assert [by_length.keys[i] for i in at.tolist()] == candidates
    assert kept < len(queries) * 3 * len(keys) / 20  # and it does rule most keys out


def test_a_titles_starts_give_the_letter_sets_of_its_first_letters():
    starts = start_letter_sets(["abc", "", "x" * 40, "é1"])
    assert starts[0].tolist()[:5] == [0, 0b1, 0b11, 0b111, 0b111]
    assert not starts[1].any()
    assert starts[2, 1] == starts[2, -1] == 1 << 23
    assert starts[3].tolist()[:3] == [0, 1 << 27, (1 << 27) | (1 << 26)]


def test_the_start_of_title_lookup_reads_every_title_that_starts_like_the_query():
    """Every title whose best partial_ratio alignment with the query starts where the title
    does, at PARTIAL_CUTOFF or more, passes the letters' filter; most titles do not."""
    rng = random.Random(5)
    titles, people = names_of_the_bundled_catalogue()
    titles += ["harry potter and the " + w for w in ("goblet of fire", "deathly hallows")]
    titles += ["amélie of montmartre", "東京物語 tokyo story", "x" * 45 + " the long one"]
    index = index_of(titles, people)
    starts = [t[: rng.randint(5, min(len(t), 40))] for t in titles if len(t) >= 5]
    queries = [misspelled(rng.choice(starts), rng) for _ in range(400)]
    queries += ["harry poter", "amelie of", "東京物 tokyo", "x" * 38 + " the lng"]
    read = aligned = 0
    for query in queries:
        candidates = set(index._titles_that_can_start_like(query))
        for title in titles:
            if len(title) < len(query):
                continue
            alignment = fuzz.partial_ratio_alignment(query, title, score_cutoff=PARTIAL_CUTOFF)
            if alignment is not None and alignment.dest_start == 0:
                aligned += 1
                assert title in candidates, (query, title)
        read += len(candidates)
    assert aligned > len(queries) // 3  # many do start titles: the check means something
    assert read < len(queries) * len(titles) / 10
