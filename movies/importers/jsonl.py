"""Our own format: one JSON object a line (see docs/architecture.md, "Catalogue import").
Only title is required; cast is in billing order."""

import json
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
    make_record,
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
        try:
            handle = path.open(encoding="utf-8-sig")
        except OSError as error:
            yield RowError(f"{path.name}:0", f"cannot open: {error.strerror}")
            return
        with handle:
            try:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        yield _row(f"{path.name}:{number}", line)
            except UnicodeDecodeError as error:
                yield RowError(f"{path.name}:{number + 1}", f"not UTF-8 text: {error.reason}")


def _row(location: str, line: str) -> MovieRecord | RowError:
    try:
        data = json.loads(line.rstrip())
    except json.JSONDecodeError as error:
        return RowError(location, f"broken JSON: {error.msg} (column {error.colno})")
    if not isinstance(data, dict):
        return RowError(location, "a line must hold one JSON object")
    unknown = sorted(set(data) - ALL_FIELDS)
    if unknown:
        return RowError(location, f"unknown field(s) {', '.join(unknown)}")
    try:
        if isinstance(data.get("genres"), list):
            data["genres"] = genre_names(g for g in data["genres"] if isinstance(g, str))
        return make_record(location, **data)
    except InvalidRow as error:
        return RowError(location, str(error))
