"""Index TMDB 5000 through the real pipeline and compare with a bare model.encode, same run.

Pipeline: a Celery worker process (prefork, one child, model warmed up) fed by the broker,
writing to a Chroma server; the sync is queued as the admin/importer would queue it and timed
from the queueing to the Job's end. Reference: the same texts through SentenceTransformer.encode
in this process (batch 64, normalised), measured before and after; the faster run is used.
Then a second sync with nothing changed is timed (what `sync_index` does).

    .venv/bin/python bench/ingest.py [--broker redis|embedded]

Runs in a temporary data dir with its own Chroma server: your var/ is not touched.
"""

import argparse
import io
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _support


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--broker", choices=["redis", "embedded"], default="embedded")
    args = parser.parse_args()
    stack = _support.isolated_environment(broker=args.broker)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from jobs.models import Job
    from recommendations.embedding import get_model
    from recommendations.indexing import services
    from recommendations.tasks import index_sync_task
    from tests.workers import CeleryWorker

    worker = None
    try:
        call_command("migrate", verbosity=0)
        films = _support.import_tmdb()
        worker = CeleryWorker(
            queue=stack["env"]["CELERY_QUEUE"],
            broker_url=stack["broker_url"],
            env=stack["env"] | {"INDEX_SWEEP_SECONDS": "3600"},
            log_path=stack["data_dir"] / "worker.log",
        ).start()
        _support.wait_for_ping(warm=True)
        latency = sorted(_support.wait_for_ping() for _ in range(20))

        texts = [f.text for f in services.film_texts(None)]
        model = get_model()

        def bare() -> float:
            started = time.perf_counter()
            model.encode(texts, batch_size=settings.EMBEDDING_BATCH_SIZE, normalize_embeddings=True)
            return time.perf_counter() - started

        bare_before = bare()

        started = time.perf_counter()
        index_sync_task.delay()
        job = None
        while job is None or job.is_active:
            time.sleep(0.1)
            job = Job.objects.filter(kind=Job.Kind.SYNC).first()
        pipeline = time.perf_counter() - started
        assert job.status == Job.Status.SUCCEEDED and job.done == films, job

        bare_after = bare()
        started = time.perf_counter()
        assert services.index_sync() is None
        resync = time.perf_counter() - started
        started = time.perf_counter()
        call_command("sync_index", stdout=io.StringIO())
        resync_command = time.perf_counter() - started
        report = services.index_check()
        assert report.ok and report.vectors == films, report
    finally:
        if worker:
            worker.stop()
        stack["chroma"].stop()
        shutil.rmtree(stack["data_dir"], ignore_errors=True)

    reference = min(bare_before, bare_after)
    print(f"TMDB 5000: {films} films, broker {args.broker}, batch {settings.INDEX_BATCH_SIZE}")
    print(
        f"broker wait before a task starts: median {1000 * latency[10]:.0f} ms, "
        f"max {1000 * latency[-1]:.0f} ms (20 pings)"
    )
    print(
        f"bare model.encode:  {films / reference:7.1f} films/s "
        f"({bare_before:.1f}s before, {bare_after:.1f}s after the pipeline run)"
    )
    print(
        f"pipeline (worker):  {films / pipeline:7.1f} films/s ({pipeline:.1f}s, queue to job end)"
    )
    print(f"ratio pipeline/bare: {reference / pipeline:.3f}   (target >= 0.9)")
    print(
        f"no-change re-sync of {films} films: {resync:.2f}s service, "
        f"{resync_command:.2f}s `sync_index`   (target <= 2 s)"
    )
    print("check_index: nothing missing, stale or extra")


if __name__ == "__main__":
    main()
