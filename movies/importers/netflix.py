"""Kaggle "Netflix Movies and TV Shows" (netflix_titles.csv)."""

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from movies.importers.base import (
    Importer,
    InvalidRow,
    MovieRecord,
    RowError,
    csv_records,
    make_record,
    split_names,
)
from movies.importers.vocabulary import country_names, genre_names

COLUMNS = ("show_id", "type", "title", "director", "cast", "country", "release_year")
_MINUTES = re.compile(r"^(\d+)\s*min$")
_KINDS = {"movie": "film", "tv show": "series"}


class NetflixImporter(Importer):
    format = "netflix"
    label = "Netflix titles CSV (netflix_titles.csv)"
    owned_fields = frozenset({"netflix_id"})

    def rows(self, paths: Sequence[Path]) -> Iterator[MovieRecord | RowError]:
        return csv_records(paths, COLUMNS, _record)


def _record(location: str, row: dict[str, str]) -> MovieRecord:
    kind = _KINDS.get(row["type"].strip().lower())
    if kind is None:
        raise InvalidRow(f"type {row['type']!r} is neither Movie nor TV Show")
    rating, duration = row.get("rating", "").strip(), row.get("duration", "").strip()
    if _MINUTES.match(rating) and not duration:  # a few rows carry the duration as rating
        rating, duration = "", rating
    minutes = _MINUTES.match(duration)
    return make_record(
        location,
        title=row["title"],
        year=row["release_year"],
        kind=kind,
        netflix_id=row["show_id"],
        directors=split_names(row["director"]),
        cast=split_names(row["cast"]),
        countries=country_names(split_names(row["country"])),
        certificate=rating,
        runtime=minutes.group(1) if minutes and kind == "film" else None,
        genres=genre_names(split_names(row.get("listed_in", ""))),
        synopsis=row.get("description", ""),
    )
