"""Small catalogue files in every source format, written fresh for each test."""

import csv
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User

from movies.models import Credit, Genre, Keyword, Movie, Person

HEAT_JSONL = {
    "title": "Heat",
    "original_title": "",
    "year": 1995,
    "kind": "film",
    "genres": ["Crime", "Dramas"],
    "keywords": ["heist", "los angeles"],
    "directors": ["Michael Mann"],
    "writers": ["Michael Mann"],
    "cast": ["Al Pacino", "Robert De Niro", "Val Kilmer"],
    "synopsis": "A group of high-end professional thieves start to feel the heat.",
    "tagline": "A Los Angeles crime saga.",
    "runtime": 170,
    "certificate": "R",
    "countries": ["United States"],
    "languages": ["English"],
    "imdb_id": "tt0113277",
    "tmdb_id": 949,
    "movielens_id": 6,
    "netflix_id": None,
    "poster_url": "",
    "popularity": None,
    "vote_average": None,
    "vote_count": None,
}
TMDB_COLUMNS = [
    "budget", "genres", "homepage", "id", "keywords", "original_language", "original_title",
    "overview", "popularity", "production_companies", "production_countries", "release_date",
    "revenue", "runtime", "spoken_languages", "status", "tagline", "title", "vote_average",
    "vote_count",
]  # fmt: skip
NETFLIX_COLUMNS = [
    "show_id", "type", "title", "director", "cast", "country", "date_added", "release_year",
    "rating", "duration", "listed_in", "description",
]  # fmt: skip


def write_jsonl(path: Path, rows: list[dict | str]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_csv(path: Path, header: list[str], rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def tmdb_row(**values) -> dict:
    names = lambda *items: json.dumps([{"id": i, "name": n} for i, n in enumerate(items)])  # noqa: E731
    row = dict.fromkeys(TMDB_COLUMNS, "")
    row.update(
        id="949",
        title="Heat",
        original_title="Heat",
        overview="Obsessive master thief Neil McCauley leads a top-notch crew.",
        genres=names("Action", "Crime", "Drama", "Thriller"),
        keywords=names("robbery", "heist"),
        production_countries=json.dumps([{"iso_3166_1": "US", "name": "United States of America"}]),
        spoken_languages=json.dumps(
            [{"iso_639_1": "en", "name": "English"}, {"iso_639_1": "es", "name": "Español"}]
        ),
        release_date="1995-12-15",
        runtime="170",
        popularity="70.5",
        vote_average="7.7",
        vote_count="1886",
        tagline="A Los Angeles Crime Saga",
    )
    row.update(values)
    return row


def netflix_row(**values) -> dict:
    row = dict.fromkeys(NETFLIX_COLUMNS, "")
    row.update(
        show_id="s1",
        type="Movie",
        title="Dick Johnson Is Dead",
        director="Kirsten Johnson",
        country="United States",
        release_year="2020",
        rating="PG-13",
        duration="90 min",
        listed_in="Documentaries",
        description="A filmmaker stages her father's death.",
    )
    row.update(values)
    return row


@pytest.fixture
def heat_jsonl(tmp_path) -> Path:
    return write_jsonl(tmp_path / "catalogue.jsonl", [HEAT_JSONL, {"title": "Ronin"}])


@pytest.fixture
def tmdb_csv(tmp_path) -> Path:
    return write_csv(
        tmp_path / "tmdb.csv",
        TMDB_COLUMNS,
        [
            tmdb_row(),
            tmdb_row(
                id="8195",
                title="Ronin",
                original_title="Ronin",
                release_date="1998-09-12",
                overview="A briefcase everybody wants.",
                runtime="0",
                tagline="",
                genres="[]",
                keywords="[]",
            ),
        ],
    )


@pytest.fixture
def movielens_dir(tmp_path) -> Path:
    folder = tmp_path / "ml"
    folder.mkdir()
    write_csv(
        folder / "movies.csv",
        ["movieId", "title", "genres"],
        [
            {"movieId": "6", "title": "Heat (1995)", "genres": "Action|Crime|Thriller"},
            {"movieId": "2571", "title": "Matrix, The (1999)", "genres": "Action|Sci-Fi"},
            {"movieId": "29", "title": "City of Lost Children, The (Cité des enfants perdus, "
             "La) (1995)", "genres": "Adventure|Drama|Fantasy|Mystery|Sci-Fi"},
        ],
    )  # fmt: skip
    write_csv(
        folder / "links.csv",
        ["movieId", "imdbId", "tmdbId"],
        [
            {"movieId": "6", "imdbId": "0113277", "tmdbId": "949"},
            {"movieId": "2571", "imdbId": "0133093", "tmdbId": "603"},
            {"movieId": "29", "imdbId": "0112682", "tmdbId": ""},
        ],
    )
    return folder


WIKIPEDIA_ROWS = [
    {
        "title": "Heat",
        "year": 1995,
        "cast": ["Al Pacino", "Robert De Niro", "Val Kilmer", "Jon Voight"],
        "genres": ["Crime", "Drama"],
        "href": "Heat_(1995_film)",
        "extract": "Heat is a 1995 American crime film written and directed by Michael Mann.",
        "thumbnail": "https://upload.wikimedia.org/wikipedia/en/6/6c/Heatposter.jpg",
    },
    {"title": "The Train Wreckers", "year": 1905, "cast": [], "genres": ["Silent"],
     "href": "The_Train_Wreckers"},
    {"title": "The Train Wreckers", "year": 1925, "cast": [], "genres": ["Noir"],
     "href": "The_Train_Wreckers"},
    {"title": "Caught", "year": 1900, "cast": [], "genres": [], "href": None},
    {"title": "Caught", "year": 1900, "cast": [], "genres": ["Short"], "href": None},
]  # fmt: skip


@pytest.fixture
def wikipedia_json(tmp_path) -> Path:
    path = tmp_path / "movies-1990s.json"
    path.write_text(json.dumps(WIKIPEDIA_ROWS, indent=2), encoding="utf-8")
    return path


def catalogue_snapshot() -> dict:
    """Counts and the content of every catalogue table, to compare before and after."""
    movie_fields = [f.attname for f in Movie._meta.concrete_fields]
    return {
        "movies": list(Movie.objects.order_by("pk").values_list(*movie_fields)),
        "genres": list(Genre.objects.order_by("pk").values_list("pk", "name")),
        "keywords": list(Keyword.objects.order_by("pk").values_list("pk", "name")),
        "people": list(Person.objects.order_by("pk").values_list("pk", "name")),
        "credits": list(Credit.objects.order_by("pk").values_list()),
        "movie_genres": list(Movie.genres.through.objects.order_by("pk").values_list()),
        "movie_keywords": list(Movie.keywords.through.objects.order_by("pk").values_list()),
    }


@pytest.fixture
def curator(db) -> User:
    """A staff user with the catalogue permissions, not a superuser."""
    user = User.objects.create_user("curator", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="movies"))
    return user
