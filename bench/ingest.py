"""Index TMDB 5000 through the real pipeline and compare with a bare encode, same run.
(The bare encode is `encode_batch`, the ONNX encoder the workers use.)

Pipeline: a Celery worker process (prefork, one child, model warmed up) fed by the broker,
writing to a Chroma server; the sync is queued as the admin/importer queue it and timed from the
queueing to the Job's end. Reference: the same texts through SentenceTransformer.encode in this
process (batch 64, normalised). Then a second sync with nothing changed is timed (the service
call and the `sync_index` command).

Both throughputs are given in wall time and in CPU time (worker processes + Chroma server for
the pipeline, this process for the bare encode): on a machine shared with other work the CPU
figures are the fair comparison, the wall figures move with the neighbours' load.

    python -m bench.ingest [--broker redis|embedded] [--rebuild]

Runs in a temporary data dir with its own Chroma server: your var/ is not touched.
"""

import argparse
import io
import os
import shutil
import time
from pathlib import Path

from bench import _support

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (and their reaped children)."""
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(x) for x in fields[11:15]) / CLOCK_TICKS
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--broker", choices=["redis", "embedded"], default="embedded")
    parser.add_argument("--rebuild", action="store_true", help="also time `sync_index --rebuild`")
    args = parser.parse_args()
    stack = _support.isolated_environment(broker=args.broker)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from bench.processes import CeleryWorker
    from jobs.models import Job
    from recommendations.indexing import services
    from recommendations.query_encoder import encode_batch
    from recommendations.tasks import index_sync_task

    worker = None
    try:
        call_command("migrate", verbosity=0)
        films = _support.import_tmdb()
        # The import queued its own sync of every film (the curator's path); this bench times
        # a sync it queues itself, so that one is dropped before a worker can take it.
        from recsys_site.celery import app

        print(f"dropped {app.control.purge()} queued task(s) the import sent", flush=True)
        worker = CeleryWorker(
            queue=stack["env"]["CELERY_TASK_DEFAULT_QUEUE"],
            broker_url=stack["broker_url"],
            env=stack["env"] | {"RECSYS_INDEX_SWEEP_SECONDS": "3600"},
            log_path=stack["data_dir"] / "worker.log",
        ).start()
        _support.wait_for_ping(warm=True)
        latency = sorted(_support.wait_for_ping() for _ in range(20))
        pipeline_pids = [worker.pid, *worker.pool_children(), stack["chroma"].pid]

        cpu_before = cpu_seconds(pipeline_pids)
        started = time.perf_counter()
        index_sync_task.delay()
        job = None
        while job is None or job.is_active:
            time.sleep(0.1)
            job = Job.objects.filter(kind=Job.Kind.SYNC).first()
        pipeline = time.perf_counter() - started
        pipeline_cpu = cpu_seconds(pipeline_pids) - cpu_before
        assert job.status == Job.Status.SUCCEEDED and job.done == films, job

        texts = services.embedding_inputs(services.film_texts(None))  # what the pipeline encodes
        encode_batch(["warm up"])
        started, cpu_started = time.perf_counter(), time.process_time()
        encode_batch(texts)
        bare, bare_cpu = time.perf_counter() - started, time.process_time() - cpu_started

        started = time.perf_counter()
        assert services.index_sync() is None
        resync = time.perf_counter() - started
        started = time.perf_counter()
        call_command("sync_index", stdout=io.StringIO())
        resync_command = time.perf_counter() - started
        report = services.index_check()
        assert report.ok and report.vectors == films, report
        rebuild = None
        if args.rebuild:
            started = time.perf_counter()
            call_command("sync_index", "--rebuild", stdout=io.StringIO())
            rebuild = time.perf_counter() - started
    finally:
        if worker:
            worker.stop()
        stack["chroma"].stop()
        shutil.rmtree(stack["data_dir"], ignore_errors=True)

    print(
        f"TMDB 5000: {films} films, broker {args.broker}, batch {settings.RECSYS_INDEX_BATCH_SIZE}"
    )
    print(
        f"broker wait before a task starts: median {1000 * latency[10]:.0f} ms, "
        f"max {1000 * latency[-1]:.0f} ms (20 pings)"
    )
    print(f"{'':22}{'wall s':>8}{'films/s':>9}{'CPU s':>8}{'films/CPU s':>13}")
    for label, wall, cpu in [
        ("bare encode_batch", bare, bare_cpu),
        ("pipeline", pipeline, pipeline_cpu),
    ]:
        print(f"{label:22}{wall:8.1f}{films / wall:9.1f}{cpu:8.1f}{films / cpu:13.1f}")
    print(
        f"ratio pipeline/bare: wall {bare / pipeline:.3f}, CPU {bare_cpu / pipeline_cpu:.3f}"
        "   (target >= 0.9)"
    )
    print(
        f"no-change re-sync of {films} films: {resync:.2f}s service, "
        f"{resync_command:.2f}s `sync_index`   (target <= 2 s)"
    )
    print("check_index after the sync: nothing missing, stale or extra")
    if rebuild is not None:
        print(
            f"`sync_index --rebuild` in this process: {rebuild:.1f}s, {films / rebuild:.1f} films/s"
        )


if __name__ == "__main__":
    main()
