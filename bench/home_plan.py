"""How long the home rows' allocation (recommendations.home.home_plan: every row's films, reasons,
no repeats) takes when a viewer's taste changes, and a row read from the cached plan after.

Runs on whatever RECSYS_DATA_DIR holds; set one up once with the bundled catalogue:

    RECSYS_DATA_DIR=var/bench-plan .venv/bin/python manage.py migrate
    RECSYS_DATA_DIR=var/bench-plan .venv/bin/python manage.py bootstrap_demo
    RECSYS_DATA_DIR=var/bench-plan python -m bench.home_plan [--repeats 20]

The viewer likes the first three of LIKES found in the catalogue (the bundled one has them all).
"""

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402

from movies.models import Movie  # noqa: E402
from recommendations import home  # noqa: E402
from recommendations.recommenders.live import single_threaded_blas  # noqa: E402
from viewers.selectors import ViewerTaste  # noqa: E402

LIKES = ["Heat", "Alien", "The Godfather", "Toy Story", "Casablanca"]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    found = dict(Movie.objects.filter(title__in=LIKES).values_list("title", "pk"))
    liked = [found[t] for t in LIKES if t in found][:3]
    taste = ViewerTaste(liked=liked)
    specs = home.home_row_specs(taste)
    home.home_plan(taste, specs)  # warm: snapshot, vectors, recommender
    plan_ms, row_ms = [], []
    for _ in range(args.repeats):
        cache.clear()
        started = time.perf_counter()
        home.home_plan(taste, specs)
        plan_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        spec = specs[1]
        home.home_row(spec.kind, taste, film=spec.param)
        row_ms.append((time.perf_counter() - started) * 1000)
    print(f"{Movie.objects.count()} films, {len(specs)} rows, {args.repeats} repeats")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"plan (taste changed): p50 {statistics.median(plan_ms):.1f} ms, p95 {p95(plan_ms):.1f}")
    print(f"row from the plan:   p50 {statistics.median(row_ms):.1f} ms, p95 {p95(row_ms):.1f}")


if __name__ == "__main__":
    with single_threaded_blas():
        main()
