"""Catalogue importers: one module per source format, all behind movies.importers.base.Importer.
They only read and validate; movies.services.movies_import writes."""

from movies.importers.base import Importer, MovieRecord, ParseResult, RowError
from movies.importers.jsonl import JsonlImporter
from movies.importers.movielens import MovielensImporter
from movies.importers.netflix import NetflixImporter
from movies.importers.tmdb import TmdbImporter
from movies.importers.wikipedia import WikipediaImporter

IMPORTERS: dict[str, type[Importer]] = {
    importer.format: importer
    for importer in (
        JsonlImporter,
        NetflixImporter,
        TmdbImporter,
        MovielensImporter,
        WikipediaImporter,
    )
}
FORMAT_CHOICES = [(name, importer.label) for name, importer in IMPORTERS.items()]


def get_importer(format: str) -> Importer:
    try:
        return IMPORTERS[format]()
    except KeyError:
        raise ValueError(
            f"unknown format {format!r}; choose one of {', '.join(IMPORTERS)}"
        ) from None


__all__ = [
    "FORMAT_CHOICES",
    "IMPORTERS",
    "Importer",
    "MovieRecord",
    "ParseResult",
    "RowError",
    "get_importer",
]
