"""Typo tolerance: the title or person name closest in spelling to a short query ("godfahter",
"shawshank redemtion", "leonardo dicapro"), for the pipeline to put first and the page to offer
as "Did you mean …".

Matched with rapidfuzz (normalised Indel similarity, 0-100) over the snapshot's normalised titles
and names, lists made once per catalogue version. Only a query short enough to be a title or a
name, that nothing matched exactly, is looked up; a query whose every word the catalogue knows
(a plain description: "zombie apocalypse") must be nearly a title to count.
"""

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

MAX_WORDS = 6  # longer queries describe a film rather than name it
MIN_CHARS = 5  # one edit in a shorter word makes too many other words
CUTOFF = 80.0  # similarity with a misspelled word: ~1 edit in 5 characters, 2 in 10
KNOWN_WORDS_CUTOFF = 90.0  # every word is a real one: only a near-exact title or name
CANDIDATES = 8  # best few looked at, ties kept
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


@dataclass(frozen=True)
class KeysByLength:
    """Keys sorted by length (ties in their given order), each with its index in the given
    list: a scan at a similarity cutoff reads only the keys whose length can reach it. At 36k
    films a whole list took ~1.4 ms a query (titles, and again names; docs/benchmarks.md)."""

    keys: list[str]
    lengths: list[int]
    given: list[int]  # each key's index in the list given, by which ties are broken

    @classmethod
    def of(cls, keys: list[str]) -> "KeysByLength":
        ranked = sorted(range(len(keys)), key=lambda i: len(keys[i]))  # stable: given order
        return cls([keys[i] for i in ranked], [len(keys[i]) for i in ranked], ranked)

    def window(self, length: int, cutoff: float) -> tuple[int, int]:
        """The slice of keys whose length allows fuzz.ratio >= cutoff with a query this long:
        ratio = 100 x (1 - indel / (a + b)) and the Indel distance is at least |a - b|, so a
        key of length b can reach the cutoff only if |a - b| <= (1 - cutoff / 100)(a + b).
        Rounded outwards: a key that might reach it is always read."""
        spread = 1 - cutoff / 100
        if spread >= 1:
            return 0, len(self.keys)
        low = math.floor(length * (1 - spread) / (1 + spread)) - 1
        high = math.ceil(length * (1 + spread) / (1 - spread)) + 1
        return bisect_left(self.lengths, low), bisect_right(self.lengths, high)

    def alignment_window(self, length: int, share: float) -> tuple[int, int]:
        """The slice of keys whose length allows an optimal string alignment similarity
        (1 - distance / the longer length) >= share with a query this long: the distance is
        at least the difference in length, so a shorter key needs length >= share x the
        query's, a longer one length <= the query's / share. Rounded outwards."""
        if share <= 0:
            return 0, len(self.keys)
        low = math.floor(length * share) - 1
        high = math.ceil(length / share) + 1
        return bisect_left(self.lengths, low), bisect_right(self.lengths, high)


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

    def __post_init__(self) -> None:
        self._titles_by_length = KeysByLength.of(list(self.titles))
        self._people_by_length = KeysByLength.of(list(self.people))

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
        by_length = self._titles_by_length
        longer = by_length.keys[bisect_left(by_length.lengths, len(query)) :]
        hits = process.extract(
            query,
            longer,
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
        start, end = keys.window(len(query), cutoff)
        hits = process.extract(
            query, keys.keys[start:end], scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
        )
        if not hits:
            return None
        best = hits[0][1]
        ties = sorted((keys.given[start + i], key) for key, score, i in hits if score == best)
        tied = [key for _, key in ties[:CANDIDATES]]
        if kind == "title":
            lookup, labels = self.titles, self.title_labels
        else:
            lookup, labels = self.people, self.person_labels
        positions = tuple(dict.fromkeys(p for key in tied for p in lookup[key]))
        return FuzzyMatch(kind=kind, label=labels[tied[0]], score=best, positions=positions)


def _aligned_words(query: str, key: str) -> str:
    """The whole words of `key` that the query's best alignment covers."""
    aligned = fuzz.partial_ratio_alignment(query, key)
    start = key.rfind(" ", 0, aligned.dest_start) + 1
    end = key.find(" ", max(aligned.dest_end - 1, start))
    return key[start : end if end >= 0 else len(key)]
