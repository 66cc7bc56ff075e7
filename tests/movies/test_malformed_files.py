"""Malformed files through `import_movies`, for every format: a truncated file, binary
garbage, latin-1 bytes, a CSV without a required column, an empty file. The command fails
naming the file (and the line where there is one) and the catalogue is exactly as before;
with --skip-invalid the good rows land and the bad ones are listed."""

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from movies.importers import get_importer
from movies.models import Movie
from tests.movies.conftest import (
    NETFLIX_COLUMNS,
    TMDB_COLUMNS,
    catalogue_snapshot,
    netflix_row,
    tmdb_row,
)

pytestmark = pytest.mark.django_db

GOOD = ["Alpha Film", "Beta Film", "Gamma Film"]
ACCENTED = ["Alpha Film", "Amélie", "Gamma Film"]  # the second row goes bad in latin-1


def _csv(header: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@dataclass(frozen=True)
class Format:
    name: str
    file_name: str
    first_row_line: int  # rows are one a line from here on
    text: Callable[[list[str]], str]
    title_column: str | None = None  # CSV formats: the required column a bad header lacks

    def __str__(self) -> str:
        return self.name


FORMATS = [
    Format(
        "jsonl",
        "catalogue.jsonl",
        1,
        lambda titles: "".join(
            json.dumps({"title": t, "year": 2001 + n}, ensure_ascii=False) + "\n"
            for n, t in enumerate(titles)
        ),
    ),
    Format(
        "netflix",
        "netflix_titles.csv",
        2,
        lambda titles: _csv(
            NETFLIX_COLUMNS, [netflix_row(show_id=f"s{n}", title=t) for n, t in enumerate(titles)]
        ),
        "title",
    ),
    Format(
        "tmdb",
        "tmdb_5000_movies.csv",
        2,
        lambda titles: _csv(
            TMDB_COLUMNS,
            [tmdb_row(id=str(100 + n), title=t, original_title=t) for n, t in enumerate(titles)],
        ),
        "title",
    ),
    Format(
        "movielens",
        "movies.csv",
        2,
        lambda titles: _csv(
            ["movieId", "title", "genres"],
            [
                {"movieId": str(100 + n), "title": f"{t} ({2001 + n})", "genres": "Drama"}
                for n, t in enumerate(titles)
            ],
        ),
        "title",
    ),
    Format(
        "wikipedia",
        "movies-2000s.json",
        2,
        lambda titles: (
            "[\n"
            + ",\n".join(
                json.dumps(
                    {"title": t, "year": 2001 + n, "cast": [], "genres": [], "href": f"W{n}"},
                    ensure_ascii=False,
                )
                for n, t in enumerate(titles)
            )
            + "\n]\n"
        ),
    ),
]
CSV_FORMATS = [f for f in FORMATS if f.title_column]


def truncated(fmt: Format) -> tuple[bytes, int, list[str]]:
    """The file cut off halfway through its third row: (bytes, bad line, titles that land)."""
    lines = fmt.text(GOOD).splitlines(keepends=True)
    third = fmt.first_row_line + 1  # index of the third row's line
    cut = "".join(lines[:third]) + lines[third][: len(lines[third]) // 2]
    return cut.encode(), third + 1, GOOD[:2]


def latin1(fmt: Format) -> tuple[bytes, int, list[str]]:
    return (
        fmt.text(ACCENTED).encode("latin-1"),
        fmt.first_row_line + 1,
        ["Alpha Film", "Gamma Film"],
    )


# A PNG's first bytes, then everything else a byte can be: what a wrong file looks like.
GARBAGE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def garbage(fmt: Format) -> tuple[bytes, int | None, list[str]]:
    return GARBAGE, 3, []  # the first NUL byte is on line 3


def empty(fmt: Format) -> tuple[bytes, int | None, list[str]]:
    return b"", None, []


def missing_column(fmt: Format) -> tuple[bytes, int | None, list[str]]:
    rows = list(csv.DictReader(io.StringIO(fmt.text(GOOD))))
    header = [c for c in rows[0] if c != fmt.title_column]
    for row in rows:
        del row[fmt.title_column]
    return _csv(header, rows).encode(), 1, []


MALFORMED = {"truncated": truncated, "latin-1": latin1, "garbage": garbage, "empty": empty}
EXPECTED_MESSAGE = {
    "truncated": r"broken JSON|broken CSV|expected \d+ fields",
    "latin-1": "not UTF-8 text: byte 0xe9 .*save the file as UTF-8",
    "garbage": "binary data",
    "empty": "the file is empty",
    "missing-column": "the header lacks column",
}
CASES = [
    pytest.param(fmt, kind, make, id=f"{fmt}-{kind}")
    for fmt in FORMATS
    for kind, make in MALFORMED.items()
] + [
    pytest.param(fmt, "missing-column", missing_column, id=f"{fmt}-missing-column")
    for fmt in CSV_FORMATS
]


@pytest.fixture
def existing_catalogue(heat_jsonl):
    """A catalogue that is not empty, so that "as before" means something."""
    call_command("import_movies", "--format", "jsonl", str(heat_jsonl), verbosity=0)
    assert Movie.objects.count() == 2


def where(fmt: Format, line: int | None) -> str:
    return f"{fmt.file_name}:{line}: " if line else f"{fmt.file_name}: "


@pytest.mark.parametrize(("fmt", "kind", "make"), CASES)
def test_a_malformed_file_fails_the_command_naming_it_and_changes_nothing(
    existing_catalogue, tmp_path, capsys, fmt, kind, make
):
    content, line, _ = make(fmt)
    path = tmp_path / fmt.file_name
    path.write_bytes(content)
    before = catalogue_snapshot()

    with pytest.raises(CommandError, match=r"invalid row\(s\); nothing was imported"):
        call_command("import_movies", "--format", fmt.name, str(path), verbosity=0)

    errors = capsys.readouterr().err.splitlines()
    named = [e for e in errors if e.startswith(where(fmt, line))]
    assert named, errors
    assert any(re.search(EXPECTED_MESSAGE[kind], e) for e in named), named
    assert catalogue_snapshot() == before
    assert Movie.objects.count() == 2


@pytest.mark.parametrize(("fmt", "kind", "make"), CASES)
def test_skip_invalid_imports_the_good_rows_of_a_malformed_file_and_lists_the_bad(
    existing_catalogue, tmp_path, capsys, fmt, kind, make
):
    content, line, landing = make(fmt)
    path = tmp_path / fmt.file_name
    path.write_bytes(content)

    call_command("import_movies", "--format", fmt.name, "--skip-invalid", str(path), verbosity=0)

    out, err = capsys.readouterr()
    assert f"skipped {where(fmt, line)}" in err
    new_titles = set(
        Movie.objects.exclude(title__in=["Heat", "Ronin"]).values_list("title", flat=True)
    )
    assert new_titles == set(landing)
    assert f"created {len(landing)}," in out


TMDB_HEADER = ",".join(TMDB_COLUMNS) + "\n"


def tmdb_line(**cells) -> str:
    return _csv(TMDB_COLUMNS, [tmdb_row(**cells)]).split("\n", 1)[1]


@pytest.mark.parametrize(
    ("fmt", "content", "expected"),
    [
        ("jsonl", '{"title": "A", "year": ' + "9" * 5000 + "}\n", "catalogue.jsonl:1: broken "
         "JSON: Exceeds the limit (4300 digits) for integer string conversion"),
        ("jsonl", "[" * 100_000 + "\n", "catalogue.jsonl:1: broken JSON: nested too deeply"),
        ("jsonl", '{"title": "A\\u0000B"}\n', "catalogue.jsonl:1: title holds a NUL character"),
        ("jsonl", '{"title": "A", "cast": ["\\u0000"]}\n', "catalogue.jsonl:1: cast holds a NUL"),
        ("jsonl", "\ufeff\n \n", "catalogue.jsonl: the file is empty"),
        ("wikipedia", '[\n{"title": "A", "extract": 5}\n]', "catalogue.jsonl:2: synopsis must be "
         "text, not int"),
        ("wikipedia", "[" * 100_000, "catalogue.jsonl:1: broken JSON: nested too deeply"),
        ("wikipedia", "[\n]\n", "catalogue.jsonl:1: the array holds no films"),
        ("wikipedia", "[\n\n", "catalogue.jsonl:3: broken JSON: the array is never closed"),
        ("tmdb", TMDB_HEADER + tmdb_line(genres="[" * 5000), "catalogue.jsonl:2: genres is "
         "broken JSON: nested too deeply"),
        ("tmdb", TMDB_HEADER + tmdb_line(spoken_languages='[{"iso_639_1": [1], "name": "x"}]'),
         "catalogue.jsonl:2: iso_639_1 must be text, not list"),
        ("tmdb", TMDB_HEADER, "catalogue.jsonl:1: the file has a header but no rows"),
    ],
    ids=["huge-number", "deep-nesting", "nul-title", "nul-name", "bom-only", "extract-not-text",
         "deep-array", "empty-array", "unclosed-array", "deep-cell", "language-code-list",
         "header-only"],
)  # fmt: skip
def test_odd_content_is_a_row_error_not_a_crash(tmp_path, fmt, content, expected):
    path = tmp_path / "catalogue.jsonl"  # the parsers go by the format, not the name
    path.write_text(content, encoding="utf-8")

    result = get_importer(fmt).read([path])

    assert [str(e)[: len(expected)] for e in result.errors] == [expected]
