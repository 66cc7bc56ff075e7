"""Typo tolerance: the title or person name closest in spelling to a short query ("godfahter",
"shawshank redemtion", "leonardo dicapro"), for the pipeline to put first and the page to offer
as "Did you mean …".

Matched with rapidfuzz (normalised Indel similarity, 0-100) over the snapshot's normalised titles
and names, lists made once per catalogue version. Only a query short enough to be a title or a
name, that nothing matched exactly, is looked up; a query whose every word the catalogue knows
(a plain description: "zombie apocalypse") must be nearly a title to count.
"""

import math
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

MAX_WORDS = 6  # longer queries describe a film rather than name it
MIN_CHARS = 5  # one edit in a shorter word makes too many other words
CUTOFF = 80.0  # similarity with a misspelled word: ~1 edit in 5 characters, 2 in 10
KNOWN_WORDS_CUTOFF = 90.0  # every word is a real one: only a near-exact title or name
CANDIDATES = 8  # best few looked at, ties kept
_HAIR = 1e-6  # a window bound that is a whole number may come out a hair above or below it
START_LETTERS = 32  # a title's starts kept as letter sets, for the misspelled start of one
# A misspelled start of a longer title ("harry poter", "lord of the rigns"): the best aligned
# piece of a title at least as long as the query. Only for a query with an unknown word.
PARTIAL_CUTOFF = 85.0
PARTIAL_CANDIDATES = 24  # a series shares its start: "harry potter and the …" x 8


def could_be_a_name(normalized: str) -> bool:
    """Short enough to be a title or a name, long enough to tell a misspelling."""
    words = normalized.split(maxsplit=MAX_WORDS)
    return 0 < len(words) <= MAX_WORDS and len("".join(words)) >= MIN_CHARS


@dataclass(frozen=True)
class FuzzyMatch:
    kind: str  # "title" | "person"
    label: str  # as the catalogue spells it: what "Did you mean" offers
    score: float
    positions: tuple[int, ...]  # catalogue positions of its films


# Each character's bit in a key's letter set: a-z their own, any digit one, anything else one.
_LETTER_BITS = np.full(256, 1 << 27, dtype=np.uint32)
_LETTER_BITS[np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", np.uint8)] = 1 << np.arange(26)
_LETTER_BITS[np.frombuffer(b"0123456789", np.uint8)] = 1 << 26


def letter_sets(keys: list[str]) -> np.ndarray:
    """Each key's set of letters as bits (_LETTER_BITS; a byte of a character past ASCII is
    "anything else", so each character still gives one bit)."""
    encoded = [key.encode("utf-8", "surrogatepass") for key in keys]  # a lone one too
    bits = _LETTER_BITS[np.frombuffer(b"".join(encoded), np.uint8)]
    bits = np.append(bits, np.uint32(0))  # no bits: where an empty key at the end starts
    sizes = np.fromiter(map(len, encoded), np.int64, len(encoded))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    sets = np.bitwise_or.reduceat(bits, starts) if len(keys) else bits[:0]
    return np.where(sizes > 0, sets, 0).astype(np.uint32)


def start_letter_sets(keys: list[str]) -> np.ndarray:
    """For each key, the letter sets of its starts (column i: key[:i], up to START_LETTERS),
    as letter_sets gives them."""
    points = np.array(keys, dtype=f"<U{START_LETTERS}").view(np.uint32)
    points = points.reshape(len(keys), START_LETTERS)  # code points, 0 past a key's end
    bits = np.where(points < 128, _LETTER_BITS[np.minimum(points, 127)], 1 << 27)
    starts = np.zeros((len(keys), START_LETTERS + 1), dtype=np.uint32)
    np.bitwise_or.accumulate(np.where(points > 0, bits, 0), axis=1, out=starts[:, 1:])
    return starts


@dataclass(frozen=True)
class KeysByLength:
    """Keys sorted by length (ties in their given order), each with its index in the given
    list: a scan at a similarity cutoff reads only the keys whose length can reach it. At 36k
    films a whole list took ~1.4 ms a query (titles, and again names; docs/benchmarks.md).

    Of those, the `*_candidates` methods keep only the keys whose letters can reach it too: a
    letter set changes by at most one letter an insertion or deletion, two a replacement, none
    a swap, so sets further apart than the edits allowed rule a key out without reading it.
    A scan of Python strings reads each from memory, which a search has just filled with the
    model's weights (2.5 ms for 7,700 words at TMDB 5000, against 0.25 ms filtered first)."""

    keys: list[str]
    lengths: np.ndarray = field(repr=False)  # each key's length, ascending
    given: list[int]  # each key's index in the list given, by which ties are broken
    letters: np.ndarray = field(repr=False)  # each key's letter_sets bits

    @classmethod
    def of(cls, keys: list[str]) -> "KeysByLength":
        ranked = sorted(range(len(keys)), key=lambda i: len(keys[i]))  # stable: given order
        ordered = [keys[i] for i in ranked]
        lengths = np.fromiter(map(len, ordered), np.int32, len(ordered))
        return cls(ordered, lengths, ranked, letter_sets(ordered))

    def ratio_candidates(self, query: str, cutoff: float) -> tuple[list[str], np.ndarray]:
        """The keys that can reach fuzz.ratio >= cutoff with `query`, in order, and their
        indexes in `keys`. ratio = 100 x (1 - indel / (a + b)), and the Indel distance is at
        least the letter sets' difference."""
        start, end = self.window(len(query), cutoff)
        allowed = (1 - cutoff / 100) * (self.lengths[start:end] + len(query)) + _HAIR
        return self._letters_within(query, start, end, allowed)

    def alignment_candidates(self, query: str, share: float) -> tuple[list[str], np.ndarray]:
        """The keys that can reach an optimal string alignment similarity >= share with
        `query` (alignment_window), in order, and their indexes in `keys`: at most
        (1 - share) x the longer length edits, each two letters of difference at most."""
        start, end = self.alignment_window(len(query), share)
        longer = np.maximum(self.lengths[start:end], len(query))
        allowed = 2 * np.floor((1 - share) * longer + _HAIR)
        return self._letters_within(query, start, end, allowed)

    def _letters_within(
        self, query: str, start: int, end: int, allowed: np.ndarray
    ) -> tuple[list[str], np.ndarray]:
        apart = np.bitwise_count(self.letters[start:end] ^ letter_sets([query])[0])
        at = start + np.flatnonzero(apart <= allowed)
        return [self.keys[i] for i in at.tolist()], at

    def window(self, length: int, cutoff: float) -> tuple[int, int]:
        """The slice of keys whose length allows fuzz.ratio >= cutoff with a query this long:
        ratio = 100 x (1 - indel / (a + b)) and the Indel distance is at least |a - b|, so a
        key of length b can reach the cutoff only if |a - b| <= (1 - cutoff / 100)(a + b).
        The bounds are exact (a key one letter outside cannot reach it), less a hair for the
        float error of a bound that is a whole number."""
        spread = 1 - cutoff / 100
        if spread >= 1:
            return 0, len(self.keys)
        low = math.ceil(length * (1 - spread) / (1 + spread) - _HAIR)
        high = math.floor(length * (1 + spread) / (1 - spread) + _HAIR)
        return self._slice(low, high)

    def longer_from(self, length: int) -> int:
        """The index of the first key at least `length` long."""
        return int(np.searchsorted(self.lengths, length, side="left"))

    def _slice(self, low: int, high: int) -> tuple[int, int]:
        """The keys from `low` to `high` long, both included."""
        return self.longer_from(low), int(np.searchsorted(self.lengths, high, side="right"))

    def alignment_window(self, length: int, share: float) -> tuple[int, int]:
        """The slice of keys whose length allows an optimal string alignment similarity
        (1 - distance / the longer length) >= share with a query this long: the distance is
        at least the difference in length, so a shorter key needs length >= share x the
        query's, a longer one length <= the query's / share. Exact bounds, as `window`'s."""
        if share <= 0:
            return 0, len(self.keys)
        low = math.ceil(length * share - _HAIR)
        high = math.floor(length / share + _HAIR)
        return self._slice(low, high)


@dataclass
class NameIndex:
    """Normalised titles and person names, each with its films and its display spelling."""

    titles: dict[str, list[int]]
    title_labels: dict[str, str]
    people: dict[str, list[int]]
    person_labels: dict[str, str]
    # rapidfuzz scans a list fastest: made once, per catalogue version
    _titles_by_length: KeysByLength = field(init=False, repr=False)
    _people_by_length: KeysByLength = field(init=False, repr=False)
    _title_starts: np.ndarray = field(init=False, repr=False)  # start_letter_sets, by length

    def __post_init__(self) -> None:
        self._titles_by_length = KeysByLength.of(list(self.titles))
        self._people_by_length = KeysByLength.of(list(self.people))
        self._title_starts = start_letter_sets(self._titles_by_length.keys)

    def closest(self, normalized: str, *, has_unknown_word: bool) -> FuzzyMatch | None:
        """The title or person name nearest `normalized` (a normalize_title'd query), or None
        when the query does not look like a misspelled one."""
        if not could_be_a_name(normalized):
            return None
        cutoff = CUTOFF if has_unknown_word else KNOWN_WORDS_CUTOFF
        found = [
            match
            for kind, keys in (
                ("title", self._titles_by_length),
                ("person", self._people_by_length),
            )
            if (match := self._best(kind, keys, normalized, cutoff)) is not None
        ]
        if not found and has_unknown_word:
            return self._best_start_of_title(normalized)
        # A title beats a name on a tie: a film named like a person is what a title box means.
        return max(found, key=lambda m: (m.score, m.kind == "title"), default=None)

    def _best_start_of_title(self, query: str) -> FuzzyMatch | None:
        hits = process.extract(
            query,
            self._titles_that_can_start_like(query),
            scorer=fuzz.partial_ratio,
            score_cutoff=PARTIAL_CUTOFF,
            limit=PARTIAL_CANDIDATES,
        )
        # The start: "space adventur" is no misspelled "Zathura: A Space Adventure" but a
        # description, misspelled (recommendations.search.spelling reads it)
        hits = [hit for hit in hits if fuzz.partial_ratio_alignment(query, hit[0]).dest_start == 0]
        if not hits:
            return None
        best = hits[0][1]
        tied = [key for key, score, _ in hits if score == best]
        positions = tuple(dict.fromkeys(p for key in tied for p in self.titles[key]))
        # One film: its title. A series: the piece of title they share, as corrected words.
        label = self.title_labels[tied[0]] if len(tied) == 1 else _aligned_words(query, tied[0])
        return FuzzyMatch(kind="title", label=label, score=best, positions=positions)

    def _best(self, kind: str, keys: KeysByLength, query: str, cutoff: float) -> FuzzyMatch | None:
        """The key(s) of best fuzz.ratio >= cutoff: the first CANDIDATES of the ties, in the
        order the keys were given (as one scan of the whole list with limit=CANDIDATES)."""
        candidates, at = keys.ratio_candidates(query, cutoff)
        hits = process.extract(
            query, candidates, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
        )
        if not hits:
            return None
        best = hits[0][1]
        ties = sorted((keys.given[at[i]], key) for key, score, i in hits if score == best)
        tied = [key for _, key in ties[:CANDIDATES]]
        if kind == "title":
            lookup, labels = self.titles, self.title_labels
        else:
            lookup, labels = self.people, self.person_labels
        positions = tuple(dict.fromkeys(p for key in tied for p in lookup[key]))
        return FuzzyMatch(kind=kind, label=labels[tied[0]], score=best, positions=positions)

    def _titles_that_can_start_like(self, query: str) -> list[str]:
        """The titles at least as long as `query` whose start can align with it at
        PARTIAL_CUTOFF, in order. Such a start, title[:k], is at most the query's length
        and at least kmin long (ratio's Indel distance is at least the difference in
        length), and its letters differ from the query's by at most that distance: the
        query's letters are nearly all in title[:n], title[:kmin]'s nearly all in the
        query's. A whole scan with partial_ratio took 8-10 ms a query at 36k films."""
        by_length, n = self._titles_by_length, len(query)
        first = by_length.longer_from(n)
        spread = 1 - PARTIAL_CUTOFF / 100
        edits = math.floor(2 * spread * n + _HAIR)  # at most spread x (n + k), k <= n
        kmin = math.ceil(n * (1 - spread) / (1 + spread) - _HAIR)
        letters = letter_sets([query])[0]
        # title[:n] as a letter set, or one holding it where n is past the starts kept
        covering = (
            self._title_starts[first:, n] if n <= START_LETTERS else by_length.letters[first:]
        )
        shortest = self._title_starts[first:, min(kmin, START_LETTERS)]
        near = (np.bitwise_count(letters & ~covering) <= edits) & (
            np.bitwise_count(shortest & ~letters) <= edits
        )
        return [by_length.keys[i] for i in (first + np.flatnonzero(near)).tolist()]


def _aligned_words(query: str, key: str) -> str:
    """The whole words of `key` that the query's best alignment covers."""
    aligned = fuzz.partial_ratio_alignment(query, key)
    start = key.rfind(" ", 0, aligned.dest_start) + 1
    end = key.find(" ", max(aligned.dest_end - 1, start))
    return key[start : end if end >= 0 else len(key)]
