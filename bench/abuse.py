"""One abusive client against the request budgets: does a second client's search stay fast?

    python -m bench.abuse [--seconds 60] [--abusers 2] [--workers 2]

A production-like gunicorn (DEBUG off, Redis as the cache, so every worker shares the
counts; the request limits at their defaults) serves the bundled catalogue
(data/catalogue.jsonl, built once under var/bench/abuse/) on 127.0.0.1. Loopback only: the
victim connects from 127.0.0.3, the abuser from 127.0.0.2, so each has its own budget.

1. reference: the victim alone sends short searches (the HTMX results partial of
   bench/search.py's moods), one after another with a 300 ms pause, for --seconds;
2. abuse: the same, while --abusers threads from one address POST 20,000-character queries
   to /api/recommend/query (64 different ones, so no cache answers) back to back: as fast as
   the limit allows (told 429, an abuser waits the Retry-After it got; with --flood it sends
   on at once, and the run also measures what a flood of refused requests costs). The API,
   because gunicorn refuses a request line over 4,094 bytes (414) before Django sees it: a
   20,000-character `GET /?q=` never reaches the search behind gunicorn.

It prints the victim's latency in both phases and whether the p95 under abuse is within 2x the
reference (issue 21's acceptance). Bounded: each phase stops after --seconds (the abuse phase
lasts at least one 60-second budget window) or --max-requests per client.
"""

import argparse
import json
import os
import random
import secrets
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.catalogues import data_dir
from bench.load import drop_cache_keys, manage, percentile, server_env, stop_server, wait_ready
from bench.processes import ChildProcess, ChromaServer, free_port
from bench.search import MOODS

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = "abuse"
VICTIM_ADDRESS, ABUSER_ADDRESS = "127.0.0.3", "127.0.0.2"
MAX_QUERY_CHARS = 20_000  # recommendations/forms.py (importing it needs Django set up)
# Seconds between the victim's searches: a brisk person (about 150 a minute, inside the
# search budget of 300), not a script.
VICTIM_PAUSE = 0.3
TIMEOUT = 60.0


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    def add(self, status: int, ms: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 200:
            self.latencies_ms.append(ms)


def vocabulary() -> list[str]:
    words: set[str] = set()
    for line in (ROOT / "data" / "catalogue.jsonl").read_text().splitlines():
        words.update(w.strip(".,;:!?\"'()").lower() for w in json.loads(line)["synopsis"].split())
    return sorted(w for w in words if w.isalpha() and len(w) > 2)


def long_query(words: list[str], rng: random.Random) -> str:
    """A story of fresh words, exactly as long as the search accepts."""
    text = ""
    while len(text) < MAX_QUERY_CHARS:
        text += " ".join(rng.choices(words, k=200)) + " "
    return text[:MAX_QUERY_CHARS].strip()


def client_for(base_url: str, address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base_url, transport=transport, timeout=TIMEOUT)


def victim_loop(base_url: str, seconds: float, max_requests: int) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    with client_for(base_url, VICTIM_ADDRESS) as client:
        for number in range(max_requests):
            if time.monotonic() >= deadline:
                break
            query = MOODS[number % len(MOODS)]
            started = time.perf_counter()
            try:
                response = client.get("/", params={"q": query}, headers={"HX-Request": "true"})
                tally.add(response.status_code, (time.perf_counter() - started) * 1000)
            except httpx.HTTPError:
                tally.errors += 1
            time.sleep(VICTIM_PAUSE)
    return tally


def abuser_loop(
    base_url: str, stop: threading.Event, max_requests: int, tally: Tally, *, flood: bool
) -> None:
    """Long queries back to back. Told 429, it waits the Retry-After it was given (as fast as
    the limit allows), or with `flood` sends the next one at once."""
    words, rng = vocabulary(), random.Random()
    pool = [long_query(words, rng) for _ in range(64)]  # made up front: the client stays light
    with client_for(base_url, ABUSER_ADDRESS) as client:
        for number in range(max_requests):
            if stop.is_set():
                break
            started = time.perf_counter()
            try:
                body = {"query": pool[number % len(pool)], "top_k": 10}
                response = client.post("/api/recommend/query", json=body)
                tally.add(response.status_code, (time.perf_counter() - started) * 1000)
            except httpx.HTTPError:
                tally.errors += 1
                continue
            if response.status_code == 429 and not flood:
                stop.wait(float(response.headers.get("Retry-After", "1")))


def build_catalogue(env: dict[str, str]) -> None:
    """The bundled catalogue, imported and indexed once (bootstrap_demo without debug makes
    no admin account)."""
    built = Path(env["RECSYS_DATA_DIR"]) / "built"
    if built.exists():
        return
    manage(env, "migrate", "--noinput")
    manage(env, "bootstrap_demo")
    built.touch()


def row(name: str, tally: Tally) -> str:
    ms = tally.latencies_ms
    return (
        f"{name:<28} {len(ms):>6} {percentile(ms, 50):>8.1f} {percentile(ms, 95):>8.1f} "
        f"{percentile(ms, 99):>8.1f}  {json.dumps(tally.statuses)} errors {tally.errors}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase (60)")
    parser.add_argument("--abusers", type=int, default=2, help="abusive connections (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument("--max-requests", type=int, default=5_000, help="per client, per phase")
    parser.add_argument(
        "--flood",
        action="store_true",
        help="the abuser ignores Retry-After and sends on through the 429s",
    )
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/1", help="the shared cache (counts)"
    )
    args = parser.parse_args()
    seconds = max(args.seconds, 1.0)

    run_dir = Path(tempfile.mkdtemp(prefix="recsys-abuse-"))
    data = data_dir(CATALOGUE)
    data.mkdir(parents=True, exist_ok=True)
    chroma = ChromaServer(path=data / "chroma", port=free_port(), log_path=run_dir / "chroma.log")
    port = free_port()
    env = server_env(
        port=port,
        workers=args.workers,
        threads=args.threads,
        chroma_url=chroma.url,
        redis_url=args.redis_url,
    )
    env.pop("RECSYS_RATELIMIT_PER_MINUTE")  # the limits as shipped: that is what is measured
    env.update(
        RECSYS_DATA_DIR=str(data),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        RECSYS_CACHE_PREFIX=f"bench-abuse-{uuid.uuid4().hex[:8]}",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        GUNICORN_ACCESS_LOG="/dev/null",
    )
    server = ChildProcess(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "recsys_site.wsgi"],
        log_path=run_dir / "gunicorn.log",
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}"
    print(
        f"gunicorn {args.workers} workers x {args.threads} threads on {base_url}; "
        f"{args.abusers} abusive connections{' (flood)' if args.flood else ''}; logs in {run_dir}; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    try:
        chroma.start()
        build_catalogue(env)
        manage(env, "collectstatic", "--noinput")
        server.start()
        wait_ready(base_url, server)
        victim_loop(base_url, 5, 50)  # every worker loads its snapshot and vectors
        reference = victim_loop(base_url, seconds, args.max_requests)
        print(row("reference: victim alone", reference), flush=True)

        stop, abuse = threading.Event(), Tally()
        abusers = [
            threading.Thread(
                target=abuser_loop,
                args=(base_url, stop, args.max_requests, abuse),
                kwargs={"flood": args.flood},
            )
            for _ in range(args.abusers)
        ]
        for thread in abusers:
            thread.start()
        loaded = victim_loop(base_url, max(seconds, 61.0), args.max_requests)
        stop.set()
        for thread in abusers:
            thread.join()
    finally:
        stop_server(server)
        chroma.stop()
        drop_cache_keys(args.redis_url, env["RECSYS_CACHE_PREFIX"])

    print(f"\n{'phase':<28} {'ok':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    print(row("reference: victim alone", reference))
    print(row("abuse: victim", loaded))
    print(row("abuse: abuser (20,000 chars)", abuse))
    ratio = percentile(loaded.latencies_ms, 95) / percentile(reference.latencies_ms, 95)
    served = abuse.statuses.get(200, 0)
    print(
        f"\nabuser: {served} long queries served, {abuse.statuses.get(429, 0)} refused (429) "
        f"in {max(seconds, 61.0):.0f} s; victim p95 under abuse / alone: {ratio:.2f}x "
        f"({'within' if ratio <= 2 else 'OVER'} the 2x bound)"
    )
    return 0 if ratio <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
