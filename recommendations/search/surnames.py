"""A person named by surname alone: "kubrick", "films by tarantino", and misspelled, "spielburg"
or "di caprio", as viewers often name a director. A full name is recommendations.search
.catalogue's `person_matches`, a misspelled one recommendations.search.fuzzy's.

A person's surnames are the trailing words of their name ("robert de niro": "de niro" and
"niro"). A surname names the person who holds most of its films when they hold at least twice
as many as anyone else who shares it ("coppola": Francis Ford, not Sofia); otherwise ("allen":
Woody or Tim) it names no one, and search reads it as a word.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from recommendations.search.fuzzy import KeysByLength
from recommendations.search.lexical import tokenize

MIN_CHARS = 4  # "lee", "ha": too many other words and names are this short
DOMINANCE = 2  # films of the person a surname names against anyone else's who shares it
MAX_WORDS = 2  # "de niro", "del toro"


def surnames_of(name: str) -> list[str]:
    """The trailing words of a normalised name, longest first, each word two letters or more
    (an initial or the "o" of "o connor" starts none)."""
    words = name.split()
    return [
        " ".join(words[start:])
        for start in range(max(1, len(words) - MAX_WORDS), len(words))
        if all(len(w) >= 2 for w in words[start:]) and len("".join(words[start:])) >= MIN_CHARS
    ]


@dataclass
class Surnames:
    """Surnames by their lexical tokens (as a query's are read) and by spelling (for a
    misspelled one), each with the person it names, or "" where it names no one."""

    by_tokens: dict[tuple[str, ...], str]
    by_spelling: dict[str, str]
    _by_length: KeysByLength = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_length = KeysByLength.of(list(self.by_spelling))

    @classmethod
    def of(cls, people: dict[str, list[int]]) -> "Surnames":
        """From normalised names and the positions of their films."""
        films: dict[str, Counter[str]] = defaultdict(Counter)
        for name, positions in people.items():
            for surname in surnames_of(name):
                films[surname][name] = len(set(positions))
        by_spelling: dict[str, str] = {}
        by_tokens: dict[tuple[str, ...], str] = {}
        for surname, counts in films.items():
            tokens = tuple(tokenize(surname))
            if len(tokens) != len(surname.split()):
                continue  # a stop word in it ("do won", "will"): read as words, not a name
            name = by_spelling[surname] = _named(counts)
            # Two spellings read alike ("hank", "hanks") name someone only if both name them
            by_tokens[tokens] = name if by_tokens.get(tokens, name) == name else ""
        return cls(by_tokens, by_spelling)

    def named(self, tokens: list[str]) -> str:
        """The person a query's tokens name by surname ("films by kubrick": "kubrick"), or ""."""
        return self.by_tokens.get(tuple(tokens), "") if 0 < len(tokens) <= MAX_WORDS else ""

    def closest(self, normalized: str, cutoff: float) -> tuple[str, str, float] | None:
        """The person whose surname is spelled nearest a short query (fuzz.ratio >= cutoff),
        with that surname and the score; None where none is as near, or the nearest names no
        one."""
        if len(normalized.split()) > MAX_WORDS:
            return None
        candidates, _ = self._by_length.ratio_candidates(normalized, cutoff)
        hit = process.extractOne(normalized, candidates, scorer=fuzz.ratio, score_cutoff=cutoff)
        if hit is None or not (name := self.by_spelling[hit[0]]):
            return None
        return name, hit[0], hit[1]


def _named(films: Counter[str]) -> str:
    (first, most), *others = films.most_common(2)
    return first if not others or most >= DOMINANCE * others[0][1] else ""
