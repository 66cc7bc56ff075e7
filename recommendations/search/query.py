"""Query understanding: year filters said in words, quoted titles, and the text that the
lexical and dense stages read (long queries split into chunks the embedding model can read)."""

import re
from dataclasses import dataclass, field

from django.conf import settings

from movies.text import normalize_title

# "2000s", "the 90s", "'90s", "nineties" ... a decade; "1994", "1990-1995", "before 1980".
_DECADE = re.compile(r"\b(?:(19|20)(\d)0|'?(\d)0)'?s\b", re.IGNORECASE)
_RANGE = re.compile(r"\b((?:19|20)\d\d)\s*(?:-|\u2013|to|and)\s*((?:19|20)\d\d)\b", re.IGNORECASE)
_BEFORE = re.compile(r"\b(?:before|pre|older than)\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_AFTER = re.compile(r"\b(?:after|post|since|newer than)\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“]([^\"”]{2,80})[\"”]")
_WORDS_PER_CHUNK = 160  # MiniLM reads 256 word pieces; ~1.4 pieces a word in English


# Words a viewer uses for a genre without naming it. Keys are TMDB's genre names, lower case.
GENRE_CUES: dict[str, tuple[str, ...]] = {
    "action": ("action", "fight", "explosion", "shootout", "martial art"),
    "adventure": ("adventure", "quest", "treasure", "expedition", "journey"),
    "animation": ("animated", "animation", "cartoon", "anime", "pixar", "disney"),
    "comedy": ("comedy", "funny", "hilarious", "comedic", "laugh", "spoof", "parody"),
    "crime": ("crime", "heist", "robbery", "gangster", "mafia", "mob", "cop", "detective"),
    "documentary": ("documentary",),
    "drama": ("drama", "dramatic"),
    "family": ("family film", "kid movie", "kids movie"),
    "fantasy": ("fantasy", "magic", "wizard", "witch", "dragon", "fairy", "elf"),
    "history": ("historical", "history", "ancient", "medieval", "period piece"),
    "horror": ("horror", "scary", "creepy", "terrifying", "slasher", "haunted", "ghost"),
    "music": ("music", "musical", "band", "singer", "concert", "song"),
    "mystery": ("mystery", "whodunit", "mysterious", "investigation"),
    "romance": ("romance", "romantic", "love story", "fall in love", "falls in love"),
    "science fiction": ("sci-fi", "scifi", "science fiction", "alien", "spaceship", "robot"),
    "thriller": ("thriller", "suspense", "suspenseful", "tense"),
    "war": ("war", "soldier", "army", "military", "battlefield", "ww2", "wwii"),
    "western": ("western", "cowboy", "outlaw", "sheriff", "frontier"),
}
_GENRE_WORDS = frozenset(
    normalize_title(word) for genre, cues in GENRE_CUES.items() for word in (genre, *cues)
)


def names_a_genre(normalized: str) -> bool:
    """Whether a whole query (normalize_title's) is a genre's name or a word viewers use for
    one ("war", "ghost", "heist"): a description as much as a title, where a film has it as
    its title (TMDB 5000 has War, Ghost and Heist)."""
    return normalized in _GENRE_WORDS


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    normalized: str  # movies.text.normalize_title of the whole query: exact title lookups
    year_from: int | None = None
    year_to: int | None = None
    quoted: tuple[str, ...] = ()  # normalized quoted phrases: possible titles
    chunks: tuple[str, ...] = field(default=())  # what the dense stage encodes

    @property
    def has_years(self) -> bool:
        return self.year_from is not None or self.year_to is not None


def _decade_start(match: re.Match) -> int:
    if match.group(1):
        return int(match.group(1) + match.group(2) + "0")
    digit = int(match.group(3))
    return (1900 if digit >= 2 else 2000) + digit * 10


def parse_years(text: str) -> tuple[int | None, int | None]:
    """The year range a query names, or (None, None). The first expression wins."""
    if m := _RANGE.search(text):
        low, high = sorted((int(m.group(1)), int(m.group(2))))
        return low, high
    if m := _BEFORE.search(text):
        return None, int(m.group(1)) - 1
    if m := _AFTER.search(text):
        return int(m.group(1)) + 1, None
    if m := _DECADE.search(text):
        start = _decade_start(m)
        return start, start + 9
    return None, None


def max_query_chunks() -> int:
    """How many chunks of a query are read at most (RECSYS_QUERY_MAX_CHUNKS): each one is a
    model pass, so a query's cost is bounded whatever its length."""
    return max(1, settings.RECSYS_QUERY_MAX_CHUNKS)


def split_chunks(
    text: str, words_per_chunk: int = _WORDS_PER_CHUNK, max_chunks: int | None = None
) -> tuple[str, ...]:
    """Consecutive chunks of at most `words_per_chunk` words, so nothing past the model's
    256-token window is silently dropped; at most `max_chunks` of them (default: the
    setting), the words after those are not read."""
    words = text.split()
    if not words:
        return ()
    limit = words_per_chunk * (max_chunks or max_query_chunks())
    return tuple(
        " ".join(words[i : i + words_per_chunk])
        for i in range(0, min(len(words), limit), words_per_chunk)
    )


def query_words_read(text: str) -> int:
    """How many words of a query the search reads (and the model encodes): what the request
    limit charges a search for, since a chunk's encoding time grows with its length."""
    return min(len(text.split()), _WORDS_PER_CHUNK * max_query_chunks())


def capped_text(text: str) -> str:
    """The query as the search reads it, bounded for the lexical and the dense stage alike:
    past the chunk cap, its beginning and its last chunk's worth of words. A long story
    often sets the scene first and ends on the detail the asker remembers best."""
    limit = _WORDS_PER_CHUNK * max_query_chunks()
    words = text.split()
    if len(words) <= limit:
        return text
    tail = min(_WORDS_PER_CHUNK, limit // 2)
    return " ".join(words[: limit - tail] + words[-tail:])


def parse_query(text: str) -> ParsedQuery:
    text = capped_text(text.strip())
    year_from, year_to = parse_years(text)
    return ParsedQuery(
        text=text,
        normalized=normalize_title(text),
        year_from=year_from,
        year_to=year_to,
        quoted=tuple(normalize_title(q) for q in _QUOTED.findall(text)),
        chunks=split_chunks(text),
    )
