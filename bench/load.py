"""Load on a production-like server: gunicorn with several workers on a benchmark catalogue
(TMDB 5000 by default, `--catalogue wikipedia` for the 36k films), N concurrent clients for T
seconds, next to the same request mix from one client in the same run.

    python -m bench.catalogues tmdb             # once, cached under var/bench/
    python -m bench.load [--clients 32] [--seconds 60] [--workers 4] [--catalogue tmdb]

The server runs as in production (`gunicorn -c gunicorn.conf.py recsys_site.wsgi`, DEBUG off, a
secret key, ALLOWED_HOSTS=127.0.0.1, manifest static files, Redis as the cache, a Chroma
server) with the per-IP request limit off, since every client here shares one IP. Requests:
four in five are the HTMX results partial (`GET /?q=...`, HX-Request: true; one in ten of
those with a decade), one in five `POST /api/recommend/query` (half of them with a year range).
The queries cycle through 1,500+ distinct ones (every tomt-dev.jsonl post title, moods,
catalogue titles), so the per-process cache of the last 256 query vectors rarely answers.
An error is a non-2xx answer or an exception (timeout, refused connection).

    .venv/bin/python -m bench.load --open-loop 10,20,40,80,120,160 [--seconds 20]

Open loop, as search engines are measured: requests arrive at a fixed rate whatever the
server's answers (one every 1/rate seconds), from a generator in a process of its own (asyncio
on raw keep-alive connections: a fraction of a core at 160 a second, its CPU time is printed).
A request's latency runs from its scheduled arrival, so time it waited for a free connection
counts. Per rate: the achieved rate, p50, p95, p99 and errors; the knee is the highest rate
whose p95 is at most 150 ms. A rate whose p95 passes 2 s ends the run (past the knee a queue
only grows). The closed-loop run (--clients) stays the error test.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import astuple, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench.catalogues import NAMES, SHARED_DATA, data_dir, setup_django
from bench.processes import (
    ChildProcess,
    ChromaServer,
    children_of,
    cpu_seconds,
    free_port,
    tree_of,
    wait_until,
)
from bench.search import MOODS

ROOT = Path(__file__).resolve().parent.parent
CLIENT_TIMEOUT = 60.0  # seconds; gunicorn's own worker timeout is 30
STOP_TIMEOUT = 40.0  # gunicorn.conf.py gives its workers 20 s to finish
KNEE_P95_MS = 150.0
OVERLOAD_P95_MS = 2000.0
OPEN_LOOP_TIMEOUT = 10.0  # seconds from the scheduled arrival
IDLE_REUSE = 1.0  # seconds an idle keep-alive connection is reused for


@dataclass(frozen=True)
class Request:
    kind: str  # "partial" or "api"
    query: str
    filters: dict = field(default_factory=dict)


@dataclass
class Outcome:
    kind: str
    ms: float
    error: str = ""  # "" when the answer was 2xx; else "HTTP 503" or an exception's name
    empty: bool = False  # a 2xx answer without a single film: counted, not an error


@dataclass
class Phase:
    name: str
    clients: int
    seconds: float
    outcomes: list[Outcome]

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error]

    @property
    def throughput(self) -> float:
        return len(self.outcomes) / self.seconds

    def latencies(self, kind: str | None = None) -> list[float]:
        return [o.ms for o in self.outcomes if kind is None or o.kind == kind]


def query_pool() -> list[str]:
    """Every tomt-dev post title, the moods of bench/search.py and 40 catalogue titles."""
    from movies.models import Movie

    lines = (SHARED_DATA / "queries" / "tomt-dev.jsonl").read_text().splitlines()
    posts = [json.loads(line)["query"].split("\n", 1)[0][:200] for line in lines]
    titles = Movie.objects.order_by("-popularity", "pk").values_list("title", flat=True)[:40]
    return [q for q in dict.fromkeys([*posts, *MOODS, *titles]) if q.strip()]


def request_mix(pool: list[str]) -> list[Request]:
    """One request per query: partials with now and then a decade, every fifth the API."""
    mix = []
    for i, query in enumerate(pool):
        if i % 5 == 4:
            filters = {"year_from": 1980, "year_to": 1999} if i % 10 == 9 else {}
            mix.append(Request("api", query, filters))
        else:
            mix.append(Request("partial", query, {"decade": "1990"} if i % 10 == 3 else {}))
    return mix


def send(client: httpx.Client, request: Request) -> Outcome:
    started = time.perf_counter()
    try:
        if request.kind == "partial":
            response = client.get(
                "/", params={"q": request.query, **request.filters}, headers={"HX-Request": "true"}
            )
        else:
            body = {"query": request.query, "top_k": 10}
            if request.filters:
                body["filters"] = request.filters
            response = client.post("/api/recommend/query", json=body)
        ms = (time.perf_counter() - started) * 1000
    except httpx.HTTPError as exc:
        return Outcome(request.kind, (time.perf_counter() - started) * 1000, type(exc).__name__)
    if not response.is_success:
        return Outcome(request.kind, ms, f"HTTP {response.status_code}")
    if request.kind == "partial":
        empty = 'class="card"' not in response.text
    else:
        empty = not response.json()["results"]
    return Outcome(request.kind, ms, empty=empty)


def run_phase(
    name: str, *, base_url: str, mix: list[Request], clients: int, seconds: float
) -> Phase:
    """`clients` threads, each with its own keep-alive connection, each walking the mix from
    its own starting point, sending the next request as soon as the last one answered."""
    deadline = time.monotonic() + seconds
    results: list[list[Outcome]] = [[] for _ in range(clients)]

    def client_loop(number: int) -> None:
        position = number * len(mix) // clients
        with httpx.Client(base_url=base_url, timeout=CLIENT_TIMEOUT) as client:
            while time.monotonic() < deadline:
                results[number].append(send(client, mix[position % len(mix)]))
                position += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started  # includes the last answers after the deadline
    return Phase(name, clients, elapsed, [o for r in results for o in r])


def raw_request(request: Request, host: str) -> bytes:
    """The request as HTTP/1.1 bytes, written once so that sending it costs the generator
    nothing but the write."""
    if request.kind == "partial":
        target = "/?" + urlencode({"q": request.query, **request.filters})
        head = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nHX-Request: true\r\n"
        return (head + "\r\n").encode()
    body = {"query": request.query, "top_k": 10}
    if request.filters:
        body["filters"] = request.filters
    data = json.dumps(body).encode()
    head = (
        f"POST /api/recommend/query HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes
) -> tuple[int, bool]:
    """Sends one request and reads its answer; (status, whether the connection stays open)."""
    writer.write(payload)
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
    status = int(head.split(" ", 2)[1])
    length = 0
    for line in head.split("\r\n")[1:]:
        if line.startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    if "transfer-encoding: chunked" in head:
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    else:
        await reader.readexactly(length)
    keep = "connection: keep-alive" in head if head.startswith("http/1.0") else True
    return status, keep and "connection: close" not in head


async def _open_loop(
    port: int, payloads: list[bytes], rate: float, seconds: float
) -> list[tuple[float, str]]:
    """(latency ms from the scheduled arrival, error or "") for every request sent. Idle
    connections are reused for at most IDLE_REUSE seconds (gunicorn closes them after its
    keepalive of 2 s), and a reused one that fails before answering is retried once on a new
    connection, as browsers and HTTP libraries do."""
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
    outcomes: list[tuple[float, str]] = []
    loop = asyncio.get_running_loop()

    async def connection() -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        while idle:
            reader, writer, since = idle.pop()
            if loop.time() - since < IDLE_REUSE:
                return reader, writer, True
            writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return reader, writer, False

    async def one(payload: bytes, scheduled: float) -> None:
        error, writer = "", None
        try:
            async with asyncio.timeout_at(scheduled + OPEN_LOOP_TIMEOUT):
                reader, writer, reused = await connection()
                try:
                    status, keep = await _exchange(reader, writer, payload)
                except (ConnectionError, asyncio.IncompleteReadError):
                    if not reused:
                        raise
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    status, keep = await _exchange(reader, writer, payload)
            if not 200 <= status < 300:
                error = f"HTTP {status}"
            if keep:
                idle.append((reader, writer, loop.time()))
                writer = None
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            error = type(exc).__name__
        if writer is not None:
            writer.close()
        outcomes.append(((loop.time() - scheduled) * 1000, error))

    started = loop.time() + 0.05
    tasks = []
    for i in range(int(rate * seconds)):
        scheduled = started + i / rate
        await asyncio.sleep(max(0.0, scheduled - loop.time()))
        tasks.append(asyncio.create_task(one(payloads[i % len(payloads)], scheduled)))
    await asyncio.gather(*tasks)
    for _, writer, _ in idle:
        writer.close()
    return outcomes


def _generator(port: int, payloads: list[bytes], rate: float, seconds: float, out) -> None:
    """The generator process: its outcomes, wall seconds and its own CPU seconds."""

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    started, cpu_started = time.monotonic(), cpu()
    outcomes = asyncio.run(_open_loop(port, payloads, rate, seconds))
    out.send((outcomes, time.monotonic() - started, cpu() - cpu_started))


def open_loop_phase(
    *, port: int, mix: list[Request], rate: float, seconds: float, offset: int
) -> tuple[Phase, float]:
    """Requests at `rate` a second for `seconds`, from a separate process; the phase (its
    seconds: the time the answers took to arrive) and the generator's CPU seconds."""
    host = f"127.0.0.1:{port}"
    payloads = [raw_request(r, host) for r in mix[offset:] + mix[:offset]]
    kinds = [r.kind for r in mix[offset:] + mix[:offset]]
    receive, send_end = multiprocessing.get_context("spawn").Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(
        target=_generator, args=(port, payloads, rate, seconds, send_end)
    )
    process.start()
    outcomes, elapsed, cpu = receive.recv()
    process.join()
    phase = Phase(
        f"{rate:g}/s",
        0,
        elapsed,
        [Outcome(kinds[i % len(kinds)], ms, error) for i, (ms, error) in enumerate(outcomes)],
    )
    return phase, cpu


@dataclass
class ServerCpu:
    """CPU seconds of the server's processes: gunicorn (master and workers), the Chroma server
    and Redis (its own count, INFO cpu: the machine's Redis may serve others too)."""

    gunicorn: float
    chroma: float
    redis: float

    @classmethod
    def now(cls, server: ChildProcess, chroma: ChildProcess, redis_url: str) -> "ServerCpu":
        return cls(
            cpu_seconds(tree_of(server.pid)),
            cpu_seconds(tree_of(chroma.pid)),
            _redis_cpu(redis_url),
        )

    def per_request(self, before: "ServerCpu", requests: int) -> "ServerCpu":
        """Milliseconds a request since `before`."""
        n = max(requests, 1)
        return ServerCpu(
            *(1000 * (a - b) / n for a, b in zip(astuple(self), astuple(before), strict=True))
        )


def _redis_cpu(redis_url: str) -> float:
    if not redis_url:
        return 0.0
    import redis

    try:
        info = redis.Redis.from_url(redis_url).info("cpu")
    except redis.RedisError:
        return 0.0
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def open_loop_report(rows: list[tuple[float, Phase, float, ServerCpu]]) -> None:
    """Per rate: latencies, errors, the generator's share of a core and the server side's CPU
    per answered request (gunicorn, Chroma, Redis)."""
    print(
        f"\n{'offered/s':>9} {'achieved/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6} {'generator CPU':>13}   server CPU ms a request: gunicorn chroma redis"
    )
    knee, below = None, True  # below: every rate so far held p95 and had no error
    for rate, phase, cpu, server in rows:
        ms = phase.latencies()
        p95 = percentile(ms, 95)
        print(
            f"{rate:>9g} {phase.throughput:>10.1f} {percentile(ms, 50):>8.1f} {p95:>8.1f} "
            f"{percentile(ms, 99):>8.1f} {len(phase.errors):>6} {cpu / phase.seconds:>13.0%}"
            f"   {server.gunicorn:>36.2f} {server.chroma:>6.2f} {server.redis:>5.2f}"
        )
        below = below and p95 <= KNEE_P95_MS and not phase.errors
        knee = rate if below else knee
        kinds: dict[str, int] = {}
        for outcome in phase.errors:
            kinds[outcome.error] = kinds.get(outcome.error, 0) + 1
        if kinds:
            print(f"{'':>9} errors: {', '.join(f'{k} x{n}' for k, n in kinds.items())}")
    print(
        f"knee (highest rate with p95 <= {KNEE_P95_MS:g} ms, 0 errors up to it): {knee or 'none'}"
    )


def server_env(
    *, catalogue: Path, port: int, workers: int, threads: int, chroma_url: str, redis_url: str
):
    """Production settings (see recsys_site/settings.py), the request limit off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    env.pop("DATABASE_URL", None)  # the catalogue's own SQLite file
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",  # no TLS proxy in front of this loopback server
        RECSYS_DATA_DIR=str(catalogue),
        RECSYS_RATELIMIT_PER_MINUTE="0",  # one IP sends everything here
        RECSYS_READYZ_TOKEN=secrets.token_urlsafe(16),  # /readyz details for wait_ready
        RECSYS_CHROMA_URL=chroma_url,
        REDIS_URL=redis_url,
        RECSYS_CACHE_PREFIX=f"bench-load-{uuid.uuid4().hex[:8]}",
        CELERY_RESULT_BACKEND="",
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY=str(workers),
        GUNICORN_THREADS=str(threads),
        RECSYS_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args, "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )


def wait_ready(base_url: str, server: ChildProcess, timeout: float = 300) -> dict:
    def ready() -> dict | None:
        if not server.alive():
            raise RuntimeError(f"gunicorn exited:\n{server.log()[-4000:]}")
        try:
            token = (server.env or {}).get("RECSYS_READYZ_TOKEN", "")
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = httpx.get(f"{base_url}/readyz", headers=headers, timeout=10)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    return wait_until(ready, timeout=timeout, interval=0.5, what="/readyz answering 200")


def stop_server(server: ChildProcess) -> bool:
    """SIGTERM to the gunicorn master; it lets its workers finish, then exits. True when it
    exited 0 and left no worker behind."""
    workers = children_of(server.pid) if server.alive() else []
    server.stop(timeout=STOP_TIMEOUT)
    assert server.process is not None
    left = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    clean = server.process.returncode == 0 and not left
    verdict = "cleanly" if clean else "NOT cleanly"
    print(f"gunicorn stopped {verdict}: exit {server.process.returncode}, {len(left)} workers left")
    return clean


def drop_cache_keys(redis_url: str, prefix: str) -> None:
    if not redis_url:
        return
    import redis

    try:
        connection = redis.Redis.from_url(redis_url)
        keys = list(connection.scan_iter(f"{prefix}:*", count=1000))
        if keys:
            connection.delete(*keys)
    except redis.RedisError as error:
        print(f"cache keys {prefix}:* left in {redis_url}: {error}")


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def phase_row(phase: Phase, kind: str | None = None) -> str:
    ms = phase.latencies(kind)
    errors = len([o for o in phase.errors if kind is None or o.kind == kind])
    label = f"{phase.name} {kind or 'all'}"
    return (
        f"{label:<22} {phase.clients:>7} {len(ms):>8} {len(ms) / phase.seconds:>8.1f} "
        f"{percentile(ms, 50):>8.1f} {percentile(ms, 95):>8.1f} {percentile(ms, 99):>8.1f} "
        f"{errors:>6}"
    )


def report(reference: Phase, load: Phase) -> None:
    print(
        f"\n{'phase':<22} {'clients':>7} {'requests':>8} {'req/s':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}"
    )
    for phase in (reference, load):
        for kind in (None, "partial", "api"):
            print(phase_row(phase, kind))
    ref, big = reference.latencies(), load.latencies()
    print(
        f"\nload / reference: throughput {load.throughput / reference.throughput:.2f}x, "
        f"p50 {percentile(big, 50) / percentile(ref, 50):.2f}x, "
        f"p95 {percentile(big, 95) / percentile(ref, 95):.2f}x, "
        f"p99 {percentile(big, 99) / percentile(ref, 99):.2f}x"
    )
    for phase in (reference, load):
        kinds: dict[str, int] = {}
        for outcome in phase.errors:
            kinds[outcome.error] = kinds.get(outcome.error, 0) + 1
        if kinds:
            print(f"{phase.name} errors: {', '.join(f'{k} x{n}' for k, n in kinds.items())}")
        if empty := sum(o.empty for o in phase.outcomes):
            print(f"{phase.name}: {empty} answers without a film")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (32)")
    parser.add_argument("--seconds", type=float, default=60, help="length of the load (60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument(
        "--reference-seconds", type=float, help="length of the 1-client reference (= --seconds)"
    )
    parser.add_argument("--warmup-seconds", type=float, default=10)
    parser.add_argument(
        "--redis-url",
        default=f"redis://127.0.0.1:6379/{os.environ.get('RECSYS_TEST_REDIS_DB', '1')}",
        help="cache; '' for the file cache (default: RECSYS_TEST_REDIS_DB's database, else 1)",
    )
    parser.add_argument(
        "--open-loop",
        metavar="RATES",
        help="arrival rates a second, comma-separated (10,20,40,80,120,160): each for --seconds",
    )
    parser.add_argument("--catalogue", choices=NAMES, default="tmdb", help="bench catalogue")
    args = parser.parse_args()
    catalogue = data_dir(args.catalogue)
    if not (catalogue / "built").exists():
        print(f"No catalogue: run `python -m bench.catalogues {args.catalogue}` first.")
        return 2
    setup_django(args.catalogue)  # this process only reads the query titles
    mix = request_mix(query_pool())

    run_dir = Path(tempfile.mkdtemp(prefix="recsys-load-"))
    chroma = ChromaServer(
        path=catalogue / "chroma", port=free_port(), log_path=run_dir / "chroma.log"
    )
    port = free_port()
    env = server_env(
        catalogue=catalogue,
        port=port,
        workers=args.workers,
        threads=args.threads,
        chroma_url=chroma.url,
        redis_url=args.redis_url,
    )
    server = ChildProcess(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "recsys_site.wsgi"],
        log_path=run_dir / "gunicorn.log",
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}"
    print(
        f"{len(mix)} distinct requests; gunicorn {args.workers} workers x {args.threads} threads "
        f"on {base_url}; logs in {run_dir}; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    try:
        chroma.start()
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")  # DEBUG off serves the manifest's files
        server.start()
        started = time.monotonic()
        checks = wait_ready(base_url, server)["checks"]
        print(f"ready in {time.monotonic() - started:.1f}s: {json.dumps(checks)}", flush=True)
        run_phase(  # every worker loads its catalogue snapshot and vectors
            "warm-up",
            base_url=base_url,
            mix=[Request("partial", f"{mood}, warming up") for mood in MOODS],
            clients=args.workers * args.threads,
            seconds=args.warmup_seconds,
        )
        if args.open_loop:
            rows = []
            for number, rate in enumerate(float(r) for r in args.open_loop.split(",")):
                offset = number * len(mix) // 7  # each rate starts elsewhere in the mix
                before = ServerCpu.now(server, chroma, args.redis_url)
                phase, cpu = open_loop_phase(
                    port=port, mix=mix, rate=rate, seconds=args.seconds, offset=offset
                )
                used = ServerCpu.now(server, chroma, args.redis_url)
                rows.append((rate, phase, cpu, used.per_request(before, len(phase.outcomes))))
                print(
                    f"{rate:g}/s done: p95 {percentile(phase.latencies(), 95):.0f} ms", flush=True
                )
                if percentile(phase.latencies(), 95) > OVERLOAD_P95_MS:
                    break
            open_loop_report(rows)
            return 0 if not any(phase.errors for _, phase, _, _ in rows) else 1
        reference = run_phase(
            "reference",
            base_url=base_url,
            mix=mix,
            clients=1,
            seconds=args.reference_seconds or args.seconds,
        )
        print(f"reference done: {len(reference.outcomes)} requests", flush=True)
        load = run_phase(
            "load", base_url=base_url, mix=mix, clients=args.clients, seconds=args.seconds
        )
        report(reference, load)
    finally:
        stopped_cleanly = stop_server(server)
        chroma.stop()
        drop_cache_keys(args.redis_url, env["RECSYS_CACHE_PREFIX"])
        print(f"load average {os.getloadavg()[0]:.1f}")
    return 0 if stopped_cleanly and not (load.errors or reference.errors) else 1


if __name__ == "__main__":
    sys.exit(main())
