"""Server time of the curator's console pages at 36k films: the dashboard (every chart's
figures), a job page and its live panel, the job list, a confirmation page. Prints p50/p95 per
page beside the 300 ms target.

    python -m bench.admin_pages [--films 36000] [--requests 30]

Runs in a fresh data dir (var/bench-admin, rebuilt each run): films are bulk-created rows (the
pages read counts, not texts), with 2,000 jobs over two weeks, 8 reranker and 8 recommender
versions with loss curves, 40 saved evaluations and an hour of search latency (720 batches of
50 samples, as written at about 10 searches a second).
"""

import argparse
import os
import random
import shutil
import statistics
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "var" / "bench-admin"
shutil.rmtree(DATA, ignore_errors=True)
os.environ["RECSYS_DATA_DIR"] = str(DATA)
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("DJANGO_CSRF_COOKIE_SECURE", "false")
os.environ["REDIS_URL"] = ""
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

TARGET_MS = 300


def build(films: int) -> int:
    from django.contrib.auth import get_user_model

    from jobs.models import Job
    from movies.models import Movie
    from recommendations.embedding import index_fingerprint
    from recommendations.models import Evaluation, SearchLatencyBatch, TrainedModel

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: manifest files
    rng = random.Random(7)
    states = ["indexed"] * 90 + ["pending"] * 8 + ["failed"] * 2
    Movie.objects.bulk_create(
        [
            Movie(
                title=f"Film {i}",
                year=1950 + i % 75,
                index_state=rng.choice(states),
                indexed_model=index_fingerprint() if i % 10 else "old-model",
            )
            for i in range(films)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    jobs = []
    for _ in range(2000):
        started = now - timedelta(minutes=rng.randrange(14 * 24 * 60))
        jobs.append(
            Job(
                kind=rng.choice([k for k, _ in Job.Kind.choices]),
                status=rng.choice(["succeeded"] * 9 + ["failed"]),
                total=100,
                done=100,
                started_at=started,
                finished_at=started + timedelta(seconds=rng.uniform(1, 900)),
                log="".join(f"[00:00:{s:02d}] step {s}\n" for s in range(60)),
            )
        )
    Job.objects.bulk_create(jobs)
    Job.objects.update(created_at=now - timedelta(days=3))  # spread below
    for job in Job.objects.all().only("pk", "started_at"):
        Job.objects.filter(pk=job.pk).update(created_at=job.started_at)
    for i in range(8):
        TrainedModel.objects.create(
            kind="reranker",
            version=f"r{i}",
            path=f"r{i}",
            metrics={
                "held_out": {
                    "baseline": {"ndcg@10": 0.2, "queries": 372},
                    "cross-encoder": {"ndcg@10": 0.2 + i / 100},
                },
                "loss_curve": [2 - s / 10 - i / 50 for s in range(10)],
            },
        )
        TrainedModel.objects.create(
            kind="recommender", version=f"m{i}", path=f"m{i}", metrics={"films": films}
        )
    stages = {s: {"ndcg@10": 0.3, "mrr@10": 0.3} for s in ["dense", "lexical", "fused", "reranked"]}
    Evaluation.objects.bulk_create(
        [Evaluation(kind="search", figures=stages, queries=300) for _ in range(40)]
    )
    batches = [
        SearchLatencyBatch(samples_ms=[round(rng.gammavariate(3, 10), 1) for _ in range(50)])
        for _ in range(720)
    ]
    SearchLatencyBatch.objects.bulk_create(batches)
    for offset, batch in enumerate(SearchLatencyBatch.objects.values_list("pk", flat=True)):
        SearchLatencyBatch.objects.filter(pk=batch).update(
            created_at=now - timedelta(seconds=5 * offset)
        )
    get_user_model().objects.create_superuser("bench", "b@example.com", "pw")
    return Job.objects.order_by("-pk").values_list("pk", flat=True).first()


def timed(client: Client, url: str, requests: int) -> tuple[float, float]:
    client.get(url)  # warm
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--films", type=int, default=36_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    started = time.perf_counter()
    job_id = build(args.films)
    print(f"built {args.films} films, 2000 jobs in {time.perf_counter() - started:.1f} s")
    client = Client()
    client.login(username="bench", password="pw")
    pages = {
        "dashboard": reverse("admin:recommendations_dashboard"),
        "job page": reverse("admin:jobs_job_change", args=[job_id]),
        "job live panel": reverse("jobs:panel", args=[job_id]),
        "job list": reverse("admin:jobs_job_changelist"),
        "rebuild confirmation": reverse(
            "admin:recommendations_heavy_action", args=["rebuild-index"]
        ),
    }
    print(f"{'page':<22}{'p50 ms':>9}{'p95 ms':>9}   target {TARGET_MS} ms")
    for name, url in pages.items():
        p50, p95 = timed(client, url, args.requests)
        print(f"{name:<22}{p50:>9.1f}{p95:>9.1f}   {'ok' if p95 <= TARGET_MS else 'OVER'}")


if __name__ == "__main__":
    main()
