"""Shared by the bench scripts that need a throwaway stack: an isolated data dir, a Chroma
server and a broker queue of their own, the TMDB import, a ping through a worker."""

import os
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TMDB_CSV = ROOT.parent / "shared" / "data" / "catalogues" / "tmdb_5000_movies.csv"


def isolated_environment(*, broker: str, catalogue: str | None = None) -> dict:
    """Point this process (before django.setup) at a fresh data dir, a Chroma server started
    here, and a broker queue of its own. Returns what the worker needs too. With `catalogue`,
    the data dir starts as a copy of that bench catalogue (database and index, see
    bench/catalogues.py); without, empty."""
    from bench.catalogues import copy_catalogue
    from bench.processes import ChromaServer, free_port

    data_dir = Path(tempfile.mkdtemp(prefix="recsys-bench-"))
    if catalogue:
        copy_catalogue(catalogue, data_dir)
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


def import_tmdb() -> int:
    """Imports TMDB 5000 as a curator does (`import_movies --format tmdb`); returns the films."""
    from django.core.management import call_command

    from movies.models import Movie

    call_command("import_movies", "--format", "tmdb", str(TMDB_CSV), verbosity=0)
    return Movie.objects.count()


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
