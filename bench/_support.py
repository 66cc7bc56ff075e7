"""Shared by the bench scripts: an isolated data dir, real services, the TMDB catalogue."""

import csv
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TMDB_CSV = ROOT.parent / "shared" / "data" / "catalogues" / "tmdb_5000_movies.csv"
sys.path.insert(0, str(ROOT))


def isolated_environment(*, broker: str) -> dict:
    """Point this process (before django.setup) at a fresh data dir, a Chroma server started
    here, and a broker queue of its own. Returns what the worker needs too."""
    from tests.workers import ChromaServer, free_port

    data_dir = Path(tempfile.mkdtemp(prefix="recsys-bench-"))
    chroma = ChromaServer(path=data_dir / "chroma", port=free_port(), log_path=data_dir / "c.log")
    chroma.start()
    if broker == "redis":
        db = os.environ.get("RECSYS_TEST_REDIS_DB", "1")
        broker_url = f"redis://127.0.0.1:6379/{db}"
    else:
        broker_url = f"sqlitequeue+sqlite:///{data_dir / 'broker.sqlite3'}"
    env = {
        "RECSYS_DATA_DIR": str(data_dir),
        "RECSYS_CHROMA_URL": chroma.url,
        "REDIS_URL": "",
        "CELERY_RESULT_BACKEND": "",
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
    }
    os.environ.update(env)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")
    return {"env": env, "chroma": chroma, "data_dir": data_dir, "broker_url": broker_url}


def import_tmdb(limit: int | None = None) -> int:
    """Load TMDB 5000 through the project's importer when it exists, else a throwaway loader
    (limit: the first rows only, for a quick trial of a bench script)."""
    from django.core.management import call_command, get_commands

    if "import_movies" in get_commands() and limit is None:
        call_command("import_movies", "--format", "tmdb", str(TMDB_CSV))
    else:
        _throwaway_tmdb_loader(limit)
    from movies.models import Movie

    return Movie.objects.count()


def _throwaway_tmdb_loader(limit: int | None) -> None:
    from django.db import transaction

    from movies.models import Genre, Keyword, Movie
    from movies.text import normalize_title

    with open(TMDB_CSV, newline="") as f:
        rows = list(csv.DictReader(f))[:limit]
    with transaction.atomic():
        movies = Movie.objects.bulk_create(
            Movie(
                title=r["title"],
                original_title=r["original_title"],
                normalized_title=normalize_title(r["title"]),
                year=int(r["release_date"][:4]) if r["release_date"] else None,
                synopsis=r["overview"],
                tagline=r["tagline"],
                tmdb_id=int(r["id"]),
            )
            for r in rows
        )
        names = {
            field: {x["name"] for r in rows for x in json.loads(r[field] or "[]")}
            for field in ("genres", "keywords")
        }
        genres = {
            g.name: g for g in Genre.objects.bulk_create(Genre(name=n) for n in names["genres"])
        }
        keywords = {
            k.name: k
            for k in Keyword.objects.bulk_create(Keyword(name=n) for n in names["keywords"])
        }
        genre_links, keyword_links = [], []
        for movie, r in zip(movies, rows, strict=True):
            for g in json.loads(r["genres"] or "[]"):
                genre_links.append(Movie.genres.through(movie=movie, genre=genres[g["name"]]))
            for k in json.loads(r["keywords"] or "[]"):
                keyword_links.append(
                    Movie.keywords.through(movie=movie, keyword=keywords[k["name"]])
                )
        Movie.genres.through.objects.bulk_create(genre_links, ignore_conflicts=True)
        Movie.keywords.through.objects.bulk_create(keyword_links, ignore_conflicts=True)


def wait_for_ping(*, warm: bool = False, timeout: float = 300) -> float:
    """Send a ping task; returns the seconds it waited in the broker before a worker ran it."""
    from django.core.cache import cache

    from recommendations.tasks import ping

    token = uuid.uuid4().hex
    ping.delay(token, time.time(), warm)
    deadline = time.monotonic() + timeout
    while (waited := cache.get(f"ping:{token}")) is None:
        if time.monotonic() > deadline:
            raise TimeoutError("no worker answered the ping")
        time.sleep(0.005)
    return waited
