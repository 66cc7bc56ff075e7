"""How long a queued task waits before a worker starts it, per broker.

    python -m bench.broker_latency --broker embedded|redis [--pings 50]

A real worker (prefork, one child) consumes a queue of its own; each ping task records
time.time() at its start minus the time it was sent (same machine clock). Target: a task starts
within ~100 ms on the embedded SQLite broker.
"""

import argparse
import shutil
import statistics

from bench import _support


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--broker", choices=["redis", "embedded"], default="embedded")
    parser.add_argument("--pings", type=int, default=50)
    args = parser.parse_args()
    stack = _support.isolated_environment(broker=args.broker)

    import django

    django.setup()
    from bench.processes import CeleryWorker

    worker = CeleryWorker(
        queue=stack["env"]["CELERY_TASK_DEFAULT_QUEUE"],
        broker_url=stack["broker_url"],
        env=stack["env"] | {"RECSYS_INDEX_SWEEP_SECONDS": "3600"},
        log_path=stack["data_dir"] / "worker.log",
    )
    try:
        worker.start()
        _support.wait_for_ping()  # the first one also opens connections
        waits = sorted(1000 * _support.wait_for_ping() for _ in range(args.pings))
    finally:
        worker.stop()
        stack["chroma"].stop()
        shutil.rmtree(stack["data_dir"], ignore_errors=True)
    p95 = waits[int(0.95 * (len(waits) - 1))]
    print(
        f"{args.broker:>8} broker: task start after median {statistics.median(waits):.0f} ms, "
        f"p95 {p95:.0f} ms, max {waits[-1]:.0f} ms ({len(waits)} pings, one at a time)"
    )


if __name__ == "__main__":
    main()
