"""Our own format: one JSON object a line (see docs/architecture.md, "Catalogue import").
Only title is required; cast is in billing order."""

from collections.abc import Iterator, Sequence
from pathlib import Path

from movies.importers.base import (
    ALL_FIELDS,
    ID_FIELDS,
    SCALAR_FIELDS,
    Importer,
    InvalidRow,
    MovieRecord,
    RowError,
    json_value,
    make_record,
    read_text_lines,
)
from movies.importers.vocabulary import genre_names


class JsonlImporter(Importer):
    format = "jsonl"
    label = "Catalogue JSONL (our own format)"
    # Our own catalogue: what it says about a film's fields is the truth.
    owned_fields = frozenset(SCALAR_FIELDS + ID_FIELDS)

    def rows(self, paths: Sequence[Path]) -> Iterator[MovieRecord | RowError]:
        for path in paths:
            yield from self._file_rows(path)

    def _file_rows(self, path: Path) -> Iterator[MovieRecord | RowError]:
        text = read_text_lines(path)
        if isinstance(text, RowError):
            yield text
            return
        for number, line in enumerate(text.lines, start=1):
            if line.strip():
                yield text.problem(number, number) or _row(f"{text.name}:{number}", line)


def _row(location: str, line: str) -> MovieRecord | RowError:
    try:
        data = json_value(line.rstrip())
        if not isinstance(data, dict):
            raise InvalidRow("a line must hold one JSON object")
        unknown = sorted(set(data) - ALL_FIELDS)
        if unknown:
            raise InvalidRow(f"unknown field(s) {', '.join(unknown)}")
        if isinstance(data.get("genres"), list):
            data["genres"] = genre_names(g for g in data["genres"] if isinstance(g, str))
        return make_record(location, **data)
    except InvalidRow as error:
        return RowError(location, str(error))
