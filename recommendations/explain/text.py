"""Small text tools for matching a viewer's words against a film's facts: sentences, content
words reduced to a crude stem (both sides are reduced the same way, which is all matching
needs), and the period a query mentions."""

import re
from dataclasses import dataclass

_SENTENCE_END = re.compile(
    r"(?<=[.!?\u2026])[\"\u201d\u2019')\]]*\s+(?=[\"\u201c\u2018'(\[]?[A-Z0-9])"
)
_WORD = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?")
_STOPWORD_TEXT = """
    a about above after again against all also am an and any are around as at be because
    been before being below between both but by can could did do does doing down during each
    even ever few for from further get gets got had has have having he her here hers herself
    him himself his how i if in into is it its itself just kind like ll me might more most
    much my myself no nor not now of off on once one only or other our ours out over own
    pretty probably quite re really remember remembered same she should so some something
    sort still such than that the their theirs them themselves then there these they thing
    things think this those though through to too under until up us ve very was watch watched
    watching way we were what when where which while who whom why will with would you your
    yours yourself movie movies film films scene scenes thanks thank help anyone know im i'm
    it's don't didn't can't saw seen see maybe main character characters guy girl"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Lt|Col|Gen|Capt|Prof|vs|U\.S)\.$")


def split_sentences(text: str) -> list[str]:
    sentences: list[str] = []
    for piece in (p.strip() for p in _SENTENCE_END.split(text)):
        if sentences and _ABBREVIATION.search(sentences[-1]):
            sentences[-1] += " " + piece
        elif piece:
            sentences.append(piece)
    return sentences


def stem(word: str) -> str:
    word = word.replace("\u2019", "'").removesuffix("'s")
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def content_stems(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


def phrase_in(phrase: str, stems: set[str]) -> bool:
    """Every content word of `phrase` is among `stems` (a query's)."""
    needed = content_stems(phrase)
    return bool(needed) and all(s in stems for s in needed)


_CLAUSE_END = (",", ";", ":")
_DASHES = frozenset({"-", "\u2013", "\u2014"})


def brief_quote(sentence: str, stems: set[str], *, max_words: int = 30) -> str:
    """The sentence, or, when long, its last clauses: the run from a clause start to the end of
    the sentence, within `max_words`, holding the most of the query's words. A verbatim quote
    that ends where the sentence ends, never mid-phrase; the whole sentence when no such run
    keeps the query's words (or none fits)."""
    tokens = sentence.split(" ")
    if len(tokens) <= max_words:
        return sentence
    hits = [int(stem(w) in stems) for t in tokens for w in [next(iter(words(t)), "")]]
    starts = [
        i
        for i in range(1, len(tokens))
        if len(tokens) - i <= max_words
        and (tokens[i - 1].endswith(_CLAUSE_END) or tokens[i - 1] in _DASHES)
    ]
    if not starts:
        return sentence
    best = max(starts, key=lambda i: (sum(hits[i:]), -i))  # most query words, then longest
    if sum(hits[best:]) < sum(hits):
        return sentence
    return " ".join(tokens[best:]).strip(" ,;:-\u2013\u2014")


@dataclass(frozen=True)
class Period:
    label: str  # as the viewer put it, normalised: "the early 2000s", "1995"
    first: int
    last: int

    def contains(self, year: int) -> bool:
        return self.first - 1 <= year <= self.last + 1  # memories of dates are loose


_DECADE_WORDS = {
    "twenties": 1920,
    "thirties": 1930,
    "forties": 1940,
    "fifties": 1950,
    "sixties": 1960,
    "seventies": 1970,
    "eighties": 1980,
    "nineties": 1990,
}
_PART = r"(?:\b(early|mid|late)[\s-]*)?"
# "1990s", "early 2000's"; "nineties"; "'90s", "the 80s", "late 70s" (a bare "30s" is often an
# age: "a man in his 30s"); a year.
_FULL_DECADE = re.compile(_PART + r"\b((?:19|20)\d)0\s?'?s\b", re.IGNORECASE)
_WORD_DECADE = re.compile(_PART + r"\b(" + "|".join(_DECADE_WORDS) + r")\b", re.IGNORECASE)
_SHORT_DECADE = re.compile(
    r"(?:\b(early|mid|late)[\s-]*|\bthe\s+|(?<!\w)')(\d)0\s?'?s\b|()\b(\d)0's\b", re.IGNORECASE
)
_YEAR = re.compile(r"\b(19\d\d|20[0-3]\d)\b")
_PART_SPAN = {"early": (0, 3), "mid": (3, 6), "late": (6, 9), "": (0, 9)}


def _decade(query: str) -> tuple[str, int] | None:
    if match := _FULL_DECADE.search(query):
        return match.group(1) or "", int(match.group(2) + "0")
    if match := _WORD_DECADE.search(query):
        return match.group(1) or "", _DECADE_WORDS[match.group(2).lower()]
    if match := _SHORT_DECADE.search(query):
        part, digit = match.group(1) or "", int(match.group(2) or match.group(4))
        return part, (2000 if digit <= 2 else 1900) + digit * 10
    return None


def query_period(query: str) -> Period | None:
    """The decade or year a query places the film in, if it says."""
    if found := _decade(query):
        part, start = found[0].lower(), found[1]
        lo, hi = _PART_SPAN[part]
        label = f"the {part + ' ' if part else ''}{start}s"
        return Period(label=label, first=start + lo, last=start + hi)
    match = _YEAR.search(query)
    if match:
        year = int(match.group(1))
        return Period(label=f"the year {year}", first=year, last=year)
    return None
