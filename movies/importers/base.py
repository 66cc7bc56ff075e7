"""What every source format shares: the validated row record, the row error, the field checks,
and the Importer interface (one subclass per format, in a module of its own)."""

from __future__ import annotations

import csv
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

MIN_YEAR, MAX_YEAR = 1870, 2100  # the same bounds as Movie's check constraint
ID_FIELDS = ("imdb_id", "tmdb_id", "movielens_id", "netflix_id", "wikipedia_slug")
SCALAR_FIELDS = (
    "title",
    "original_title",
    "year",
    "kind",
    "synopsis",
    "tagline",
    "runtime",
    "certificate",
    "countries",
    "languages",
    "poster_url",
    "popularity",
    "vote_average",
    "vote_count",
)
RELATED_FIELDS = ("genres", "keywords", "directors", "writers", "cast")
ALL_FIELDS = frozenset(SCALAR_FIELDS + ID_FIELDS + RELATED_FIELDS)
KINDS = ("film", "series")

_IMDB_ID = re.compile(r"^tt\d{7,10}$")
_URL = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)
_MAX_LENGTHS = {
    "title": 255,
    "original_title": 255,
    "tagline": 500,
    "certificate": 16,
    "poster_url": 500,
    "netflix_id": 16,
    "wikipedia_slug": 255,
}
_NAME_MAX_LENGTHS = {"genres": 64, "keywords": 128, "directors": 255, "writers": 255, "cast": 255}


class InvalidRow(ValueError):
    """Raised by the field checks; the parser turns it into a RowError with the row's place."""


@dataclass(frozen=True, slots=True)
class RowError:
    location: str  # "tmdb_5000_movies.csv:12"
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass(frozen=True, slots=True)
class MovieRecord:
    """One validated source row. Empty values ("", None, ()) mean "this source does not say"."""

    location: str
    title: str
    original_title: str = ""
    year: int | None = None
    kind: str | None = None
    synopsis: str = ""
    tagline: str = ""
    runtime: int | None = None
    certificate: str = ""
    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    poster_url: str = ""
    popularity: float | None = None
    vote_average: float | None = None
    vote_count: int | None = None
    imdb_id: str | None = None
    tmdb_id: int | None = None
    movielens_id: int | None = None
    netflix_id: str | None = None
    wikipedia_slug: str | None = None
    genres: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    cast: tuple[str, ...] = field(default=())  # billing order


@dataclass
class ParseResult:
    records: list[MovieRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def as_int(value: Any, name: str) -> int | None:
    """None, "" -> None; 12, "12", "12.0" -> 12; anything else is an InvalidRow."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InvalidRow(f"{name} {value!r} is not a whole number")
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidRow(f"{name} {value!r} is not a whole number") from None
    if not number.is_integer():
        raise InvalidRow(f"{name} {value!r} is not a whole number")
    return int(number)


def as_float(value: Any, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InvalidRow(f"{name} {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidRow(f"{name} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise InvalidRow(f"{name} {value!r} is not a number")
    return number


def as_text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidRow(f"{name} must be text, not {type(value).__name__}")
    return value.strip()


def as_names(value: Any, name: str) -> tuple[str, ...]:
    """A list of names, stripped, empty ones dropped, duplicates dropped (first one kept)."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidRow(f"{name} must be a list of names")
    names: dict[str, None] = {}
    for item in value:
        if not isinstance(item, str):
            raise InvalidRow(f"{name} must be a list of names, found {item!r}")
        item = item.strip()
        if item:
            names.setdefault(item, None)
    return tuple(names)


def split_names(value: str | None, sep: str = ",") -> tuple[str, ...]:
    return as_names((value or "").split(sep), "list")


def make_record(location: str, **values: Any) -> MovieRecord:
    """Check one row's values against what a Movie can hold; raise InvalidRow on the first
    problem, with a message that names the field and the value."""
    title = as_text(values.pop("title", None), "title")
    if not title:
        raise InvalidRow("title is missing")
    clean: dict[str, Any] = {"title": title}
    for name, value in values.items():
        if name in ("year", "runtime", "vote_count", "tmdb_id", "movielens_id"):
            value = as_int(value, name)
        elif name in ("popularity", "vote_average"):
            value = as_float(value, name)
        elif name in ("countries", "languages", *RELATED_FIELDS):
            value = as_names(value, name)
        elif name in ("imdb_id", "netflix_id", "wikipedia_slug"):
            value = as_text(value, name) or None
        elif name == "kind":
            value = as_text(value, name).lower() or None
        else:
            value = as_text(value, name)
        clean[name] = value
    _check(clean)
    return MovieRecord(location=location, **clean)


def _check(values: dict[str, Any]) -> None:
    for name, limit in _MAX_LENGTHS.items():
        value = values.get(name)
        if value and len(value) > limit:
            raise InvalidRow(f"{name} is {len(value)} characters long (at most {limit})")
    for name, limit in _NAME_MAX_LENGTHS.items():
        for item in values.get(name, ()):
            if len(item) > limit:
                raise InvalidRow(f"{name}: {item[:40]!r}… is longer than {limit} characters")
    year = values.get("year")
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidRow(f"year {year} is not a year ({MIN_YEAR} to {MAX_YEAR})")
    kind = values.get("kind")
    if kind is not None and kind not in KINDS:
        raise InvalidRow(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    runtime = values.get("runtime")
    if runtime is not None and not 0 < runtime <= 32767:
        raise InvalidRow(f"runtime {runtime} is not a number of minutes")
    for name in ("tmdb_id", "movielens_id"):
        value = values.get(name)
        if value is not None and not 0 < value < 2**31:
            raise InvalidRow(f"{name} {value} is not an id")
    imdb_id = values.get("imdb_id")
    if imdb_id is not None and not _IMDB_ID.match(imdb_id):
        raise InvalidRow(f"imdb_id {imdb_id!r} is not an IMDb title id (tt0113277)")
    poster_url = values.get("poster_url")
    if poster_url and not _URL.match(poster_url):
        raise InvalidRow(f"poster_url {poster_url!r} is not an http(s) address")
    vote_average = values.get("vote_average")
    if vote_average is not None and not 0 <= vote_average <= 10:
        raise InvalidRow(f"vote_average {vote_average} is not between 0 and 10")
    vote_count = values.get("vote_count")
    if vote_count is not None and not 0 <= vote_count < 2**31:
        raise InvalidRow(f"vote_count {vote_count} is not a count")
    popularity = values.get("popularity")
    if popularity is not None and popularity < 0:
        raise InvalidRow(f"popularity {popularity} is negative")


class Importer(ABC):
    """One source format. `rows` yields a MovieRecord or a RowError for every row it reads,
    in file order; it never writes anything."""

    format: ClassVar[str]
    label: ClassVar[str]
    # Fields this source is the authority for: they are updated when the value differs.
    # Every other field is only filled where the film has none yet. Kept disjoint between
    # sources, so that importing two sources in turn never flips a field back and forth.
    owned_fields: ClassVar[frozenset[str]]

    @abstractmethod
    def rows(self, paths: Sequence[Path]) -> Iterator[MovieRecord | RowError]: ...

    def read(self, paths: Sequence[Path], progress=None) -> ParseResult:
        result = ParseResult()
        rows = self.rows([Path(p) for p in paths])
        for row in progress(rows, desc=f"read {self.format}", unit=" rows") if progress else rows:
            if isinstance(row, RowError):
                result.errors.append(row)
            else:
                result.records.append(row)
        return result


def csv_rows(
    path: Path, required: Sequence[str]
) -> Iterator[tuple[str, dict[str, str]] | RowError]:
    """(location, row) for each data row of a CSV file with a header, or a RowError for a row
    that cannot be read (wrong number of fields, broken quoting). The line is where the row
    starts, so multi-line quoted fields are counted right."""
    name = path.name
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        yield RowError(f"{name}:0", f"cannot open: {error.strerror}")
        return
    with handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = [column.strip() for column in next(reader)]
        except StopIteration:
            yield RowError(f"{name}:1", "the file is empty (no header row)")
            return
        except (csv.Error, UnicodeDecodeError) as error:
            yield RowError(f"{name}:1", f"broken CSV: {error}")
            return
        missing = [column for column in required if column not in header]
        if missing:
            yield RowError(f"{name}:1", f"the header lacks column(s) {', '.join(missing)}")
            return
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as error:
                yield RowError(f"{name}:{start}", f"broken CSV: {error}")
                return  # the reader cannot find the next row boundary reliably
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                yield RowError(
                    f"{name}:{start}", f"expected {len(header)} fields, found {len(row)}"
                )
                continue
            yield f"{name}:{start}", dict(zip(header, row, strict=True))
