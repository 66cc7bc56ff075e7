"""What an explainer reads (the query, the film's facts, optional pipeline evidence) and what it
returns. Plain frozen dataclasses: no ORM below this line, so the search pipeline, a benchmark
or a test can build them from anything."""

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from recommendations.explain.text import split_sentences

if TYPE_CHECKING:
    from movies.models import Movie

_SPACES = re.compile(r"\s+")
_QUOTE_CHARS = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
# A quoted phrase in an explanation: curly quotes (ours) or straight ones (a model's).
_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"")


def clean_text(text: str | None) -> str:
    """One line of text: Unicode-normalised, whitespace collapsed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text or "")).strip()


def comparable(text: str) -> str:
    """Text as compared for quoting: case, quote style and spacing ignored."""
    return clean_text(text).translate(_QUOTE_CHARS).casefold()


def film_sentences(synopsis: str | None, tagline: str | None) -> list[str]:
    """What the explainer may quote: each synopsis sentence, then the tagline. Their vectors
    are kept in the index from the film's first explanation (explain/selectors.py)."""
    synopsis, tagline = clean_text(synopsis), clean_text(tagline)
    return split_sentences(synopsis) + ([tagline] if tagline else [])


@dataclass(frozen=True)
class FilmFacts:
    movie_id: int
    title: str
    year: int | None = None
    synopsis: str = ""
    tagline: str = ""
    genres: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("title", "synopsis", "tagline"):
            object.__setattr__(self, name, clean_text(getattr(self, name)))
        for name in ("genres", "keywords", "directors", "writers", "cast", "countries"):
            values = (clean_text(v) for v in getattr(self, name))
            object.__setattr__(self, name, tuple(dict.fromkeys(v for v in values if v)))
        object.__setattr__(self, "languages", tuple(clean_text(v) for v in self.languages if v))

    @property
    def sentences(self) -> list[str]:
        return film_sentences(self.synopsis, self.tagline)

    @classmethod
    def from_movie(cls, movie: "Movie") -> "FilmFacts":
        """Expects genres, keywords and credits__person prefetched (see facts_queryset)."""
        credits = sorted(movie.credits.all(), key=lambda c: (c.role, c.order))

        def people(role: str) -> tuple[str, ...]:
            return tuple(c.person.name for c in credits if c.role == role)

        return cls(
            movie_id=movie.pk,
            title=movie.title,
            year=movie.year,
            synopsis=movie.synopsis,
            tagline=movie.tagline,
            genres=tuple(g.name for g in movie.genres.all()),
            keywords=tuple(k.name for k in movie.keywords.all()),
            directors=people("director"),
            writers=people("writer"),
            cast=people("cast"),
            countries=tuple(movie.countries or ()),
            languages=tuple(movie.languages or ()),
        )

    @property
    def people(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.directors + self.writers + self.cast))

    def fields(self) -> dict[str, str]:
        """Every fact as text, by field: what the film's data says, and all an explanation may
        quote."""
        return {
            "title": self.title,
            "year": str(self.year or ""),
            "genres": ", ".join(self.genres),
            "keywords": ", ".join(self.keywords),
            "directors": ", ".join(self.directors),
            "writers": ", ".join(self.writers),
            "cast": ", ".join(self.cast),
            "countries": ", ".join(self.countries),
            "languages": ", ".join(self.languages),
            "tagline": self.tagline,
            "synopsis": self.synopsis,
        }

    def fingerprint(self) -> str:
        """Changes whenever a fact changes, so a cached explanation never outlives its facts."""
        return hashlib.sha1(repr(sorted(self.fields().items())).encode()).hexdigest()[:16]


def quoted_phrases(text: str) -> list[str]:
    return [a or b for a, b in _QUOTED.findall(text)]


def unfaithful_quotes(text: str, facts: FilmFacts) -> list[str]:
    """The phrases quoted in `text` that do not appear, word for word, in the film's data."""
    haystack = "\n".join(comparable(value) for value in facts.fields().values())
    return [q for q in quoted_phrases(text) if comparable(q.strip(" .,;…")) not in haystack]


@dataclass(frozen=True)
class ExplainRequest:
    """One film for one query. `evidence` is what the search pipeline already knows, all keys
    optional: ``stage_scores`` {stage: score}, ``matched_fields`` {field: [values]},
    ``sentences`` [nearest synopsis sentences], ``query_vector`` (unit vector, list of float),
    ``title_match`` (search put it first for its title), ``people`` [normalised names matched].
    What is absent the explainer computes itself."""

    query: str
    film: FilmFacts
    evidence: dict[str, Any] | None = None


@dataclass(frozen=True)
class Reason:
    kind: str  # title | synopsis | keyword | genre | person | period | facts
    text: str


@dataclass(frozen=True)
class Explanation:
    movie_id: int
    query: str
    text: str
    source: str  # "grounded" or "<provider>:<model>"
    reasons: tuple[Reason, ...] = ()
    signals: dict[str, float] = field(default_factory=dict)
    fallback_reason: str = ""  # why the configured LLM was not used, when it was not

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = [asdict(r) for r in self.reasons]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Explanation":
        reasons = tuple(Reason(**r) for r in data.get("reasons", ()))
        return cls(**{**data, "reasons": reasons})
