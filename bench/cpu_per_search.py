"""CPU time against wall time per search results partial (and per JSON API search), in one
process through Django's test client, over distinct tomt-dev first lines, and where each goes,
stage by stage.

    .venv/bin/python -m bench.catalogues tmdb        # once, cached under var/bench/
    .venv/bin/python -m bench.cpu_per_search [tmdb] [--queries 300] [--profile 25]
        [--endpoint partial|api|both] [--repeat] [--no-stages] [--tail] [--data-dir /tmp/COPY]

CPU time is the process's (time.process_time: every thread, so thread pools that spin while they
wait show up); "other threads" is that less the requesting thread's own CPU time
(time.thread_time); "garbage collection" the cyclic collector's passes that the request's
allocations set off (gc.callbacks). The stages are the functions each request passes through,
timed by wrapping them in this process only (nested stages are counted in the innermost);
"outside" is the rest: URL routing, middleware, the form, the test client. The wrappers cost CPU
of their own, counted in the figures; --no-stages leaves them out and reports the whole request
only (the figure to hold against a target). --profile N adds cProfile's N costliest functions by
their own time. Before and after figures: docs/benchmarks.md, "Throughput (issue 20)". --repeat
times the same queries a second time (what a repeated query costs: the result cache's hits, the
cache made big enough to hold them all), reported apart, never in the distinct-query figure.
--endpoint api posts each query to /api/recommend/query (top_k 20, as a page) instead; both: the
partials, then the API. Stages missing from the code under test (an older tree) are left out.
--tail adds where the slowest 5% of the requests spend their CPU, stage by stage, beside every
request's mean, and the ten slowest queries with their largest stages.
"""

import argparse
import cProfile
import functools
import gc
import importlib
import json
import os
import pstats
import shutil
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from bench.catalogues import SHARED_DATA, copy_catalogue, ensure_built, setup_django

# (stage, module, attribute): attribute may be "Class.method". A stage called inside another
# counts in its own row only (pipeline rest: run_pipeline less the stages it calls).
STAGES = (
    ("parse", "recommendations.search.pipeline", "parse_query"),
    ("snapshot", "recommendations.search.pipeline", "get_snapshot"),
    ("misspelled words", "recommendations.search.pipeline", "respelled"),
    ("surname", "recommendations.search.pipeline", "_named_by_surname"),
    ("closest name", "recommendations.search.catalogue", "CatalogueSnapshot.closest_name"),
    ("bm25", "recommendations.search.lexical", "LexicalIndex.field_scores"),
    ("encode", "recommendations.search.pipeline", "encode_query"),
    ("dense", "recommendations.search.dense", "DenseIndex.position_scores"),
    ("dense", "recommendations.search.dense", "DenseIndex.scores"),
    ("dense", "recommendations.search.dense", "DenseIndex.snapshot_scores"),
    ("dense", "recommendations.search.pipeline", "get_dense_index"),
    ("top-k", "recommendations.search.pipeline", "top_positions"),
    ("fusion", "recommendations.search.pipeline", "weighted_zscore"),
    ("learned fusion", "recommendations.search.pipeline", "_learned_fusion"),
    ("rerank", "recommendations.search.pipeline", "_rerank"),
    ("exact first", "recommendations.search.pipeline", "_exact_matches_first"),
    ("pipeline rest", "recommendations.selectors", "run_pipeline"),
    ("cards query", "recommendations.selectors", "_films_in_order"),
    ("evidence", "recommendations.selectors", "_evidence"),
    ("evidence", "recommendations.selectors", "MatchedWords.field"),
    ("result cache", "recommendations.selectors", "search_stamp"),
    ("result cache", "recommendations.selectors", "cached_results.get"),
    ("result cache", "recommendations.selectors", "cached_results.put"),
    ("search rest", "recommendations.views", "movie_search"),
    ("search rest", "recommendations.api", "movie_search"),
    ("json", "recommendations.api", "JsonResponse"),
    ("cache", "recommendations.views", "evidence_remember"),
    ("cache", "recommendations.views", "search_evidence"),
    ("template", "recommendations.views", "render"),
)


class StageClock:
    """Wall and CPU time (process-wide), in ms, spent in each stage, nested stages excluded."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self._stack: list[list[float]] = []  # per open stage: [wall, cpu] of nested stages

    def wrap(self, stage: str, function: Callable) -> Callable:
        @functools.wraps(function)
        def timed(*args, **kwargs):
            self._stack.append([0.0, 0.0])
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                wall = (time.perf_counter() - wall) * 1000
                cpu = (time.process_time() - cpu) * 1000
                nested_wall, nested_cpu = self._stack.pop()
                self.wall[stage] += wall - nested_wall
                self.cpu[stage] += cpu - nested_cpu
                if self._stack:
                    self._stack[-1][0] += wall
                    self._stack[-1][1] += cpu

        return timed

    def install(self, stages: tuple[tuple[str, str, str], ...] = STAGES) -> None:
        for stage, module_name, attribute in stages:
            owner = importlib.import_module(module_name)
            *classes, name = attribute.split(".")
            for class_name in classes:
                owner = getattr(owner, class_name, None)
            if owner is not None and hasattr(owner, name):  # else not in this tree
                setattr(owner, name, self.wrap(stage, getattr(owner, name)))

    def reset(self) -> None:
        self.wall.clear()
        self.cpu.clear()


def tomt_first_lines(count: int, *, whole: bool = False) -> list[str]:
    """Distinct tomt-dev first lines; whole: the whole stories (as long as the form takes)."""
    from recommendations.forms import MAX_QUERY_CHARS

    lines = (SHARED_DATA / "queries" / "tomt-dev.jsonl").read_text().splitlines()
    queries = (json.loads(line)["query"] for line in lines)
    if whole:
        first = (" ".join(q.split())[:MAX_QUERY_CHARS] for q in queries)
    else:
        first = (q.split("\n", 1)[0][:200].strip() for q in queries)
    return [q for q in dict.fromkeys(first) if q][:count]


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def partial(client, query: str) -> None:
    response = client.get("/", {"q": query}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b'class="card"' in response.content, query


def api(client, query: str) -> None:
    body = json.dumps({"query": query, "top_k": 20})
    response = client.post("/api/recommend/query", body, content_type="application/json")
    assert response.status_code == 200 and b'"results": [{' in response.content, query


ENDPOINTS = {"partial": (partial, "results partials"), "api": (api, "API searches")}


class GcClock:
    """CPU time the cyclic garbage collector spends, in ms, counted from its own callbacks:
    part of the figures, at whichever request's allocations happen to trigger a pass."""

    def __init__(self) -> None:
        self.total = 0.0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.total += (time.process_time() - self._started) * 1000


GC_CLOCK = GcClock()


def measure(
    client,
    queries: list[str],
    modes: dict[str, Callable[[], None]] | None = None,
    request: Callable = partial,
    clock: StageClock | None = None,
) -> dict[str, dict[str, list]]:
    """Per mode, per request: wall, process CPU and this thread's CPU, in milliseconds, and
    with a clock each stage's CPU ("stages"). The modes take turns, request by request, so that
    a busy machine weighs on each alike."""
    modes = modes or {"": lambda: None}
    names = list(modes)
    by_mode: dict[str, dict[str, list]] = {name: defaultdict(list) for name in names}
    for i, query in enumerate(queries):
        modes[names[i % len(names)]]()
        figures = by_mode[names[i % len(names)]]
        collected = GC_CLOCK.total
        stages_before = dict(clock.cpu) if clock else {}
        wall, cpu, own = time.perf_counter(), time.process_time(), time.thread_time()
        request(client, query)
        figures["wall"].append((time.perf_counter() - wall) * 1000)
        figures["cpu"].append((time.process_time() - cpu) * 1000)
        figures["own"].append((time.thread_time() - own) * 1000)
        figures["gc"].append(GC_CLOCK.total - collected)
        if clock:
            spent = {s: t - stages_before.get(s, 0.0) for s, t in clock.cpu.items()}
            spent["outside"] = figures["cpu"][-1] - sum(spent.values())
            figures["stages"].append(spent)
    return by_mode


def report_tail(queries: list[str], figures: dict[str, list], share: float = 0.05) -> None:
    """Where the slowest requests' CPU goes: per stage, the mean over the slowest `share` of
    the requests beside the mean over all, then the slowest ten, each with its largest
    stages."""
    by_cpu = sorted(range(len(queries)), key=lambda i: figures["cpu"][i], reverse=True)
    slow = by_cpu[: max(1, round(len(queries) * share))]
    stages = figures["stages"]
    print(f"\nthe slowest {len(slow)} requests by CPU, against all {len(queries)}")
    print(f"{'stage, CPU ms per request':32}{'slowest':>9}{'all':>8}")
    names = sorted(
        {s for spent in stages for s in spent},
        key=lambda s: -sum(stages[i].get(s, 0.0) for i in slow),
    )
    rows = [(name, [spent.get(name, 0.0) for spent in stages]) for name in names]
    rows += [("whole request", figures["cpu"]), ("  of it garbage collection", figures["gc"])]
    for label, values in rows:
        slowest, every = (statistics.fmean(values[i] for i in part) for part in (slow, by_cpu))
        print(f"{label:32}{slowest:>9.2f}{every:>8.2f}")
    print("\nthe slowest ten: CPU ms, of it garbage collection, the query, its largest stages")
    for i in by_cpu[:10]:
        largest = sorted(stages[i].items(), key=lambda item: -item[1])[:3]
        where = ", ".join(f"{s} {t:.1f}" for s, t in largest)
        print(f"{figures['cpu'][i]:7.1f} {figures['gc'][i]:6.1f}  {queries[i][:56]!r:60} {where}")


def report(title: str, figures: dict[str, list[float]], what: str = "results partials") -> None:
    other = [c - o for c, o in zip(figures["cpu"], figures["own"], strict=True)]
    print(f"\n{title}: {len(figures['wall'])} {what}")
    print(f"{'ms per request':32}{'mean':>8}{'p50':>8}{'p95':>8}")
    for label, values in (
        ("wall time", figures["wall"]),
        ("CPU time, all threads", figures["cpu"]),
        ("  of it the request's thread", figures["own"]),
        ("  of it other threads", other),
        ("  of it garbage collection", figures["gc"]),
    ):
        mean = statistics.fmean(values)
        print(f"{label:32}{mean:>8.2f}{percentile(values, 50):>8.2f}{percentile(values, 95):>8.2f}")
    ratio = sum(figures["cpu"]) / sum(figures["wall"])
    print(f"CPU / wall: {ratio:.2f}")


def report_stages(clock: StageClock, figures: dict[str, list[float]]) -> None:
    n = len(figures["wall"])
    total_wall, total_cpu = sum(figures["wall"]), sum(figures["cpu"])
    rows = [*dict.fromkeys(s for s, _, _ in STAGES)]
    print(f"\n{'stage, ms per request':32}{'wall':>8}{'CPU':>8}")
    for stage in rows:
        print(f"{stage:32}{clock.wall[stage] / n:>8.2f}{clock.cpu[stage] / n:>8.2f}")
    outside_wall = (total_wall - sum(clock.wall.values())) / n
    outside_cpu = (total_cpu - sum(clock.cpu.values())) / n
    print(f"{'outside (middleware, client)':32}{outside_wall:>8.2f}{outside_cpu:>8.2f}")


def thread_modes(before: dict[str, int]) -> dict[str, Callable[[], None]]:
    """The numeric thread pools as the libraries size them (as before issue 20), and as a web
    process caps them (recsys_site.warmup)."""
    from threadpoolctl import threadpool_limits

    from recsys_site.warmup import limit_serving_threads

    return {
        "library defaults": lambda: threadpool_limits(limits=before),
        "serving caps": limit_serving_threads,
    }


def forget_searches() -> None:
    """Empty the caches a search fills: the query vectors, the results and the cards' films
    (where the tree has them)."""
    from recommendations.search.dense import clear_query_cache

    clear_query_cache()
    try:
        from recommendations.selectors import film_cache
    except ImportError:
        pass
    else:
        film_cache.clear()
    try:
        from recommendations.search.result_cache import clear_search_results
    except ImportError:
        return
    clear_search_results()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("catalogue", nargs="?", default="tmdb")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="a copy of the catalogue to run on (made if missing): for settings that write "
        "beside it (RECSYS_DENSE_SEARCH=mmap|binary write their files under dense/)",
    )
    parser.add_argument("--repeat", action="store_true")
    parser.add_argument(
        "--tail",
        action="store_true",
        help="where the slowest 5%% of the requests spend their CPU, stage by stage",
    )
    parser.add_argument(
        "--no-stages",
        action="store_true",
        help="the whole request only, without the stage clock's wrappers (their CPU counts in "
        "the figures otherwise: about 0.2 ms a partial)",
    )
    parser.add_argument("--endpoint", choices=("partial", "api", "both"), default="partial")
    parser.add_argument(
        "--whole", action="store_true", help="whole tomt-dev stories instead of first lines"
    )
    parser.add_argument(
        "--compare-threads",
        action="store_true",
        help="twice the queries, turn about with the libraries' own thread pools (their idle "
        "threads spin on into the next turn: it understates the difference)",
    )
    args = parser.parse_args()
    # The request limit runs as in production, with a budget no run of this bench reaches.
    os.environ.setdefault("RECSYS_RATELIMIT_PER_MINUTE", str(10**9))
    if args.data_dir and not (args.data_dir / "db.sqlite3").exists():
        copy_catalogue(args.catalogue, args.data_dir)
        models = ensure_built(args.catalogue) / "models"  # the ONNX export: not made again
        if models.is_dir():
            shutil.copytree(models, args.data_dir / "models", dirs_exist_ok=True)
    setup_django(args.catalogue, args.data_dir)
    from django.conf import settings
    from django.test import Client
    from threadpoolctl import threadpool_info

    from movies.models import Movie
    from recsys_site.warmup import warm_up

    before = {pool["prefix"]: pool["num_threads"] for pool in threadpool_info()}
    warm_up()  # as gunicorn's post_worker_init: models, indexes, thread pools
    clock = StageClock()
    if not args.no_stages:
        clock.install()
    client = Client(REMOTE_ADDR=f"127.{os.getpid() % 250}.{int(time.time()) % 250}.2")
    modes = thread_modes(before) if args.compare_threads else None
    queries = tomt_first_lines(args.queries * (2 if modes else 1), whole=args.whole)
    # Room for every query where the tree has a result cache: a repeat's figure is what a hit
    # costs, not a hit rate (the distinct queries' figure is the same either way)
    if args.repeat and 0 < getattr(settings, "RECSYS_SEARCH_CACHE_SIZE", 0) < len(queries):
        settings.RECSYS_SEARCH_CACHE_SIZE = len(queries)
    endpoints = ("partial", "api") if args.endpoint == "both" else (args.endpoint,)
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"catalogue: {args.catalogue}, {Movie.objects.count()} films; cache: {cache}")
    for endpoint in endpoints:
        request, what = ENDPOINTS[endpoint]
        forget_searches()  # each endpoint's queries are new to it
        warm = ["warm up", "a film about a bank robbery", "comedy", "the 90s", "paris"]
        measure(client, [f"{q} ({endpoint})" for q in warm], request=request)
        clock.reset()
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        tail_clock = clock if args.tail and not args.no_stages else None
        by_mode = measure(client, queries, modes, request=request, clock=tail_clock)
        if profiler:
            profiler.disable()
        for mode, figures in by_mode.items():
            report(f"{endpoint}, distinct queries{', ' + mode if mode else ''}", figures, what)
        if not modes and not args.no_stages:
            report_stages(clock, by_mode[""])
            if args.tail:
                report_tail(queries, by_mode[""])
        if args.repeat:
            clock.reset()
            figures = measure(client, queries, request=request)[""]
            report(f"{endpoint}, the same queries again", figures, what)
            if not args.no_stages:
                report_stages(clock, figures)
        if profiler:
            print()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
