"""Kaggle "TMDB 5000" (tmdb_5000_movies.csv): genres, keywords, countries and languages are
JSON lists inside CSV cells."""

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from movies.importers.base import (
    Importer,
    InvalidRow,
    MovieRecord,
    RowError,
    as_int,
    as_text,
    csv_records,
    json_value,
    make_record,
)
from movies.importers.vocabulary import country_names, genre_names, language_name

COLUMNS = ("id", "title", "genres", "keywords", "overview", "release_date")


class TmdbImporter(Importer):
    format = "tmdb"
    label = "TMDB 5000 movies CSV (tmdb_5000_movies.csv)"
    owned_fields = frozenset({"tmdb_id", "popularity", "vote_average", "vote_count"})

    def rows(self, paths: Sequence[Path]) -> Iterator[MovieRecord | RowError]:
        return csv_records(paths, COLUMNS, _record)


def _record(location: str, row: dict[str, str]) -> MovieRecord:
    title = row["title"].strip()
    original_title = row.get("original_title", "").strip()
    runtime = as_int(row.get("runtime"), "runtime")
    return make_record(
        location,
        title=title,
        original_title="" if original_title == title else original_title,
        year=_year(row["release_date"]),
        kind="film",
        tmdb_id=row["id"],
        synopsis=row["overview"],
        tagline=row.get("tagline", ""),
        runtime=runtime or None,  # TMDB writes 0 for "unknown"
        popularity=row.get("popularity"),
        vote_average=row.get("vote_average"),
        vote_count=row.get("vote_count"),
        genres=genre_names(item["name"] for item in _json_list(row, "genres")),
        keywords=tuple(item["name"] for item in _json_list(row, "keywords")),
        countries=country_names(item["name"] for item in _json_list(row, "production_countries")),
        languages=tuple(
            name
            for item in _json_list(row, "spoken_languages")
            if (name := language_name(as_text(item.get("iso_639_1"), "iso_639_1"), item["name"]))
        ),
    )


def _year(release_date: str) -> int | None:
    release_date = release_date.strip()
    if not release_date:
        return None
    year = release_date.split("-", 1)[0]
    if len(year) != 4 or not year.isdigit():
        raise InvalidRow(f"release_date {release_date!r} is not a date (YYYY-MM-DD)")
    return int(year)


def _json_list(row: dict[str, str], column: str) -> list[dict[str, Any]]:
    text = (row.get(column) or "").strip()
    if not text:
        return []
    items = json_value(text, column)
    if not isinstance(items, list) or not all(
        isinstance(item, dict) and isinstance(item.get("name"), str) for item in items
    ):
        raise InvalidRow(f"{column} must be a JSON list of {{'name': ...}} objects")
    return items
