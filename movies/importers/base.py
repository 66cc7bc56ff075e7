"""What every source format shares: the validated row record, the row error, the field checks,
and the Importer interface (one subclass per format, in a module of its own)."""

from __future__ import annotations

import codecs
import csv
import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    return _without_nul(value, name).strip()


def _without_nul(value: str, name: str) -> str:
    """No NUL characters: PostgreSQL refuses them in text, so the import would fail on write."""
    if "\x00" in value:
        raise InvalidRow(f"{name} holds a NUL character (\\u0000)")
    return value


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
        item = _without_nul(item, name).strip()
        if item:
            names.setdefault(item, None)
    return tuple(names)


def json_value(text: str, what: str = "") -> Any:
    """json.loads, every failure an InvalidRow: broken syntax, nesting too deep for the
    parser, a number of more than 4300 digits."""
    prefix = f"{what} is broken JSON" if what else "broken JSON"
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        column = "" if what else f" (column {error.colno})"
        raise InvalidRow(f"{prefix}: {error.msg}{column}") from None
    except RecursionError:
        raise InvalidRow(f"{prefix}: nested too deeply") from None
    except ValueError as error:
        raise InvalidRow(f"{prefix}: {error}") from None


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


@dataclass(frozen=True, slots=True)
class TextLines:
    """A file's lines, decoded as UTF-8 one by one, so that a line that is not UTF-8 is named
    by its own number (a stream decoder fails wherever its buffer ends) and the other lines
    can still be read. Undecodable bytes are replaced; `problem` says where they were."""

    name: str
    lines: list[str]  # with their line ends
    undecodable: dict[int, str]  # line number (1-based) -> what is wrong with it

    def problem(self, first: int, last: int) -> RowError | None:
        """The first undecodable line from `first` to `last` (a row's lines), as a RowError."""
        for number in range(first, last + 1):
            if number in self.undecodable:
                return RowError(f"{self.name}:{number}", self.undecodable[number])
        return None


def read_text_lines(path: Path) -> TextLines | RowError:
    """A catalogue file's text, or the RowError that says why it is not a text file we can
    read: missing, empty, binary (a NUL byte: an image, an archive, a spreadsheet)."""
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as error:
        return RowError(f"{name}:0", f"cannot open: {error.strerror}")
    data = data.removeprefix(codecs.BOM_UTF8)
    if not data.strip():
        return RowError(name, "the file is empty")
    raw_lines = data.splitlines(keepends=True)  # \n, \r\n and \r, as csv and open() split
    lines: list[str] = []
    undecodable: dict[int, str] = {}
    for number, raw in enumerate(raw_lines, start=1):
        if b"\x00" in raw:
            return RowError(
                f"{name}:{number}",
                "binary data (a NUL byte), not a text file: is it compressed, or another file?",
            )
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            lines.append(raw.decode("utf-8", errors="replace"))
            undecodable[number] = (
                f"not UTF-8 text: byte 0x{raw[error.start]:02x} at column {error.start + 1} "
                "(latin-1 or Windows-1252?); save the file as UTF-8"
            )
    return TextLines(name, lines, undecodable)


def csv_rows(
    path: Path, required: Sequence[str]
) -> Iterator[tuple[str, dict[str, str]] | RowError]:
    """(location, row) for each data row of a CSV file with a header, or a RowError for a row
    that cannot be read (wrong number of fields, broken quoting, not UTF-8). The line is where
    the row starts, so multi-line quoted fields are counted right."""
    text = read_text_lines(path)
    if isinstance(text, RowError):
        yield text
        return
    name = text.name
    reader = csv.reader(text.lines, strict=True)
    try:
        header = [column.strip() for column in next(reader)]
    except csv.Error as error:
        yield RowError(f"{name}:1", f"broken CSV: {error}")
        return
    if problem := text.problem(1, reader.line_num):
        yield problem
        return  # a header we cannot read names no column
    missing = [column for column in required if column not in header]
    if missing:
        yield RowError(f"{name}:1", f"the header lacks column(s) {', '.join(missing)}")
        return
    rows = 0
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            yield RowError(f"{name}:{start}", f"broken CSV: {error}")
            return  # the reader cannot find the next row boundary reliably
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        rows += 1
        if problem := text.problem(start, reader.line_num):
            yield problem
        elif len(row) != len(header):
            yield RowError(f"{name}:{start}", f"expected {len(header)} fields, found {len(row)}")
        else:
            yield f"{name}:{start}", dict(zip(header, row, strict=True))
    if not rows:
        yield RowError(f"{name}:1", "the file has a header but no rows")


def csv_records(
    paths: Sequence[Path],
    required: Sequence[str],
    to_record: Callable[[str, dict[str, str]], MovieRecord],
) -> Iterator[MovieRecord | RowError]:
    """A MovieRecord for each row of the CSV files, or a RowError naming the row that cannot be
    read or that to_record refuses (InvalidRow)."""
    for path in paths:
        for row in csv_rows(path, required):
            if isinstance(row, RowError):
                yield row
                continue
            location, values = row
            try:
                yield to_record(location, values)
            except InvalidRow as error:
                yield RowError(location, str(error))
