"""Wikipedia American films (prust/wikipedia-movie-data): JSON arrays of
{title, year, cast[], genres[], href, extract, thumbnail}. Each row's place is the line where
its object starts."""

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from movies.importers.base import (
    Importer,
    InvalidRow,
    MovieRecord,
    RowError,
    make_record,
    read_text_lines,
)
from movies.importers.vocabulary import genre_names
from movies.text import reads_as_person_name

# Some titles and extracts carry the CSS of a Wikipedia template ("Naked Gun 33⅓").
_TEMPLATE_CSS = re.compile(r"(?:\.mw-parser-output[^{}]*\{[^{}]*\})+")
_LEADING_AND = re.compile(r"^and\s+(?=[A-Z])")
_DECODER = json.JSONDecoder()


class WikipediaImporter(Importer):
    format = "wikipedia"
    label = "Wikipedia films JSON (movies-<decade>s.json)"
    owned_fields = frozenset({"wikipedia_slug"})

    def rows(self, paths: Sequence[Path]) -> Iterator[MovieRecord | RowError]:
        for path in paths:
            for location, item in _array_items(path):
                if isinstance(item, RowError):
                    yield item
                    continue
                try:
                    yield _record(location, item)
                except InvalidRow as error:
                    yield RowError(location, str(error))


def _array_items(path: Path) -> Iterator[tuple[str, Any]]:
    """Decode a JSON array element by element, keeping the line each one starts on."""
    lines = read_text_lines(path)
    if isinstance(lines, RowError):
        yield lines.location, lines
        return
    name, text = lines.name, "".join(lines.lines)
    position, line = _skip_space(text, 0), 1
    if position >= len(text) or text[position] != "[":
        where = f"{name}:{1 + text.count(chr(10), 0, position)}"
        yield where, RowError(where, "broken JSON: the file must hold a JSON array")
        return
    position = _skip_space(text, position + 1)
    counted, elements = 0, 0
    while position < len(text) and text[position] != "]":
        line += text.count("\n", counted, position)
        counted = position
        location = f"{name}:{line}"
        try:
            item, position = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as error:
            where = f"{name}:{error.lineno}"
            yield where, RowError(where, f"broken JSON: {error.msg} (column {error.colno})")
            return
        except (RecursionError, ValueError) as error:  # too deep; a number of 4300+ digits
            reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
            yield location, RowError(location, f"broken JSON: {reason}")
            return
        elements += 1
        last_line = line + text.count("\n", counted, position)
        yield location, lines.problem(line, last_line) or item
        position = _skip_space(text, position)
        if position < len(text) and text[position] == ",":
            position = _skip_space(text, position + 1)
        elif position >= len(text) or text[position] != "]":
            where = f"{name}:{line + text.count(chr(10), counted, position)}"
            yield where, RowError(where, "broken JSON: expected ',' or ']' after an element")
            return
    if position >= len(text):  # "[" and nothing after it
        where = f"{name}:{1 + text.count(chr(10))}"
        yield where, RowError(where, "broken JSON: the array is never closed (a cut-off file?)")
    elif not elements:
        yield f"{name}:1", RowError(f"{name}:1", "the array holds no films")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _record(location: str, item: Any) -> MovieRecord:
    if not isinstance(item, dict):
        raise InvalidRow("an element must be a JSON object")
    title = item.get("title")
    genres = item.get("genres") or []
    if not isinstance(genres, list):
        raise InvalidRow("genres must be a list of names")
    return make_record(
        location,
        title=_without_template_css(title),
        year=item.get("year"),
        kind="film",
        cast=_people(item.get("cast") or ()),
        genres=genre_names(g for g in genres if isinstance(g, str)),
        wikipedia_slug=item.get("href"),
        synopsis=_without_template_css(item.get("extract")),
        poster_url=item.get("thumbnail") or "",
    )


def _people(cast: Any) -> Any:
    """The cast's names without the words of sentences the source's parser left among them
    ("Voices of", "Narrated by"), and "and " off a name it left in front ("and Lauren K.
    Sokolov"); anything but a list as it is, for make_record to name."""
    if not isinstance(cast, list):
        return cast
    names = [_LEADING_AND.sub("", n) if isinstance(n, str) else n for n in cast]
    return [n for n in names if not isinstance(n, str) or reads_as_person_name(n)]


def _without_template_css(value: Any) -> Any:
    """Text without template CSS; anything else as it is, for make_record to name."""
    return _TEMPLATE_CSS.sub("", value) if isinstance(value, str) else value
