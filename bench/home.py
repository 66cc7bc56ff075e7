"""Home page server time for a viewer with 20 likes, on the MovieLens catalogue (9,742 films,
100,836 ratings, the trained hybrid). Prints p50/p95 of the page shell and of every lazily loaded
row side by side with the 100 ms target.

    python -m bench.home [--requests 50]

Runs in its own data dir (var/bench-home: database, Chroma, models), set up once and reused:
a copy of the MovieLens bench catalogue (imported and indexed by bench/catalogues.py, built
first if missing), then `import_ratings` and a trained recommender.
"""

import argparse
import os
import statistics
import time
from pathlib import Path

from bench.catalogues import copy_catalogue

ROOT = Path(__file__).resolve().parent.parent
RECSYS_DATA_DIR = Path(os.environ.setdefault("RECSYS_DATA_DIR", str(ROOT / "var" / "bench-home")))
if not (RECSYS_DATA_DIR / "db.sqlite3").exists():
    copy_catalogue("movielens", RECSYS_DATA_DIR)
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")  # required with DEBUG off
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")  # the test client speaks http
os.environ.setdefault("DJANGO_SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("DJANGO_CSRF_COOKIE_SECURE", "false")
os.environ["REDIS_URL"] = ""  # the bench needs no broker; the cache stays on file
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from recommendations import home  # noqa: E402
from recommendations.lab.recommender_training import recommender_train  # noqa: E402
from recommendations.models import TrainedModel  # noqa: E402
from viewers.identity import SESSION_KEY, Viewer  # noqa: E402
from viewers.models import Rating, Reaction  # noqa: E402
from viewers.selectors import viewer_taste  # noqa: E402

MOVIELENS = ROOT.parent / "shared" / "data" / "movielens"
TARGET_MS = 100.0
LIKES = 20
VIEWER = "bench" + "0" * 27


def set_up() -> None:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: manifest files
    if not TrainedModel.objects.filter(kind="recommender", is_active=True).exists():
        call_command("import_ratings", str(MOVIELENS / "ratings.csv"), verbosity=0)
        print("trained", recommender_train().metrics, flush=True)
    # The viewer: the 20 films MovieLens user 1 rated highest, liked most recent first.
    Reaction.objects.filter(anonymous_id=VIEWER).delete()
    favourites = Rating.objects.filter(rater=1).order_by("-score", "rated_at")[:LIKES]
    Reaction.objects.bulk_create(
        Reaction(anonymous_id=VIEWER, movie_id=r.movie_id, value=Reaction.Value.LIKE)
        for r in favourites
    )


def timed(client: Client, url: str, n: int, htmx: bool) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per request. CPU time is what the request costs the
    server; wall time adds waiting for a core on a machine shared with other work."""
    headers = {"HX-Request": "true"} if htmx else {}
    client.get(url, headers=headers)  # warm: the model is loaded once per process
    wall, cpu = [], []
    for _ in range(n):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return wall, cpu


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    set_up()
    client = Client()
    session = client.session
    session[SESSION_KEY] = VIEWER
    session.save()
    specs = home.home_row_specs(viewer_taste(Viewer(anonymous_id=VIEWER)))
    print(
        f"\nviewer with {LIKES} likes, {Rating.objects.count():,} ratings, "
        f"{len(specs)} rows, {args.requests} requests each (DEBUG off, SQLite)\n"
    )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print(f"{'':<44}{'wall clock':>16}{'CPU time':>16}")
    print(f"{'endpoint':<44}{'p50 ms':>8}{'p95 ms':>8}{'p50 ms':>8}{'p95 ms':>8}{'target':>8}")
    rows = [("reference: sign-in page (no recommender)", "/accounts/login/", False)]
    rows += [("home page shell /home/", "/home/", False)]
    rows += [(f"row: {s.title}"[:43], s.url, True) for s in specs]
    worst_wall = worst_cpu = 0.0
    for label, url, htmx in rows:
        wall, cpu = timed(client, url, args.requests, htmx)
        if not label.startswith("reference"):
            worst_wall, worst_cpu = max(worst_wall, p95(wall)), max(worst_cpu, p95(cpu))
        print(
            f"{label:<44}{statistics.median(wall):>8.1f}{p95(wall):>8.1f}"
            f"{statistics.median(cpu):>8.1f}{p95(cpu):>8.1f}{TARGET_MS:>8.0f}"
        )
    print(
        f"\nworst p95: wall {worst_wall:.1f} ms, CPU {worst_cpu:.1f} ms; target {TARGET_MS:.0f} ms"
    )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
