"""Reads: a film's current values in the shape the scraper extracts, and the diff between them."""

from __future__ import annotations

from typing import Any

from movies.models import Credit, Movie
from scraping.extract import FIELDS, LIST_FIELDS

# Scraped field -> Movie attribute, for the fields that are plain columns.
MOVIE_COLUMNS: dict[str, str] = {
    "title": "title",
    "year": "year",
    "kind": "kind",
    "plot": "synopsis",
    "runtime": "runtime",
    "rating": "vote_average",
    "vote_count": "vote_count",
    "poster_url": "poster_url",
    "certificate": "certificate",
}
CREDIT_ROLES: dict[str, str] = {"directors": Credit.Role.DIRECTOR, "cast": Credit.Role.CAST}
FIELD_LABELS: dict[str, str] = {
    "title": "Title",
    "year": "Year",
    "kind": "Kind",
    "plot": "Plot (synopsis)",
    "genres": "Genres",
    "runtime": "Runtime (minutes)",
    "rating": "Rating (vote average)",
    "vote_count": "Vote count",
    "poster_url": "Poster URL",
    "directors": "Directors",
    "cast": "Top cast",
    "certificate": "Certificate",
}


def movie_current_values(*, movie: Movie) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: getattr(movie, column) for name, column in MOVIE_COLUMNS.items()
    }
    values["genres"] = [genre.name for genre in movie.genres.all()]
    for name, role in CREDIT_ROLES.items():
        credits = movie.credits.filter(role=role).select_related("person").order_by("order")
        values[name] = [
            {"name": c.person.name, "imdb_id": c.person.imdb_id, "character": c.character}
            for c in credits
        ]
    return values


def _comparable(name: str, value: Any) -> Any:
    if value in (None, "", []):
        return None
    if name == "genres":
        return sorted(g.lower() for g in value)
    if name in LIST_FIELDS:
        return [p["name"].lower() for p in value]
    if name == "rating":
        return round(float(value), 1)
    return value


def scrape_diff(*, movie: Movie, fields: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"old": current, "new": scraped}} for each scraped field that would change."""
    current = movie_current_values(movie=movie)
    return {
        name: {"old": current[name], "new": fields[name]}
        for name in FIELDS
        if name in fields and _comparable(name, fields[name]) != _comparable(name, current[name])
    }


def display_value(name: str, value: Any) -> str:
    """A one-line rendering of a field's value for the review page."""
    if value in (None, "", []):
        return "—"
    if name in LIST_FIELDS and name != "genres":
        return ", ".join(
            f"{p['name']} ({p['character']})" if p.get("character") else p["name"] for p in value
        )
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
