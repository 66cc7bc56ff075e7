"""Dense search past one machine: exact in-process scoring, a shared memory-mapped matrix and
Chroma's HNSW (approximate), side by side, at catalogue sizes made of synthetic films.

    python -m bench.dense_scale [--films 36000,500000] [--queries 200] [--workers 4] \
        [--recall tmdb]

Synthetic films are random unit vectors (384-d, a film vector and a synopsis view each,
seeded): enough for time and memory, whose cost does not depend on what the vectors say.
Each size's store is made once under var/bench/dense-scale/<films>/ (the matrices as .npy
files and an embedded Chroma collection of the film vectors with the project's HNSW settings;
its build time is kept beside it), then every mode is measured through the serving code
(`recommendations.search.dense.DenseIndex.position_scores`, top 100 of the blended score
as the pipeline asks, synopsis weight 0.3):

- exact: each web worker holds the film vectors, synopsis views and their blend privately
  (what serving did before issue 20: loaded from Chroma, blended on first use);
- mmap: each worker maps the files one process wrote (`dense.map_store`): the page cache
  holds them once for every worker;
- approximate: candidates from HNSW (a Chroma server, as in production: one process holds the
  graph for every worker), their exact scores read from the mapped files.

`--workers` processes are started per mode (gunicorn's workers); each loads, runs the queries
once (so the pages it needs are in), and reports its memory from /proc/self/smaps_rollup
against its own figures before loading: RSS, PSS (shared pages divided among the processes
that map them) and private. Then the first worker alone times the queries (p50/p95 of the
dense stage). Recall@100 of the approximate path against exact is measured on random query
vectors at every synthetic size (a worst case: random points have no structure for the graph
to use) and, with `--recall NAME`, on a bench catalogue's real film vectors and synopsis views
with the first 300 tomt-dev queries encoded by the project's model (bench.hnsw_recall's cache).
"""

import argparse
import json
import math
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.catalogues import BENCH_DIR

DIMENSIONS = 384
DEPTH = 100  # top-k timed and compared (the pipeline asks for config.depth, 200)
SYNOPSIS_WEIGHT = 0.3  # PipelineConfig.synopsis_weight
COLLECTION = "dense-scale"
STORE = BENCH_DIR / "dense-scale"


def unit_rows(path: Path, count: int, seed: int) -> None:
    """A .npy file of `count` random unit rows, made a chunk at a time (little memory)."""
    rng = np.random.default_rng(seed)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(count, DIMENSIONS))
    for start in range(0, count, 50_000):
        chunk = rng.standard_normal((min(50_000, count - start), DIMENSIONS), dtype=np.float32)
        out[start : start + len(chunk)] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    out.flush()


def build_store(films: int) -> Path:
    """var/bench/dense-scale/<films>/: ids, vectors and synopsis views as .npy files, and an
    embedded Chroma collection of the film vectors (HNSW as recommendations.vector_store)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    directory = STORE / str(films)
    if (directory / "built.json").exists():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    np.save(directory / "ids.npy", np.arange(1, films + 1, dtype=np.int64))
    unit_rows(directory / "vectors.npy", films, seed=1)
    unit_rows(directory / "synopses.npy", films, seed=2)
    vectors = np.load(directory / "vectors.npy", mmap_mode="r")
    client = chromadb.PersistentClient(
        str(directory / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection(
        COLLECTION, configuration={"hnsw": _hnsw(films)}, embedding_function=None
    )
    started = time.perf_counter()
    step = 5000
    for start in range(0, films, step):
        ids = [str(i + 1) for i in range(start, min(start + step, films))]
        collection.upsert(ids=ids, embeddings=np.asarray(vectors[start : start + step]))
        if start // step % 10 == 0:
            print(
                f"  {films}: {start + len(ids)} films in HNSW, {time.perf_counter() - started:.0f}s"
            )
    build = time.perf_counter() - started
    (directory / "built.json").write_text(json.dumps({"hnsw_build_s": build, **_hnsw(films)}))
    return directory


# The project's HNSW settings (recommendations.vector_store.HNSW_CONFIGURATION), except that
# stores this large get Chroma's default ef_construction: on the shared 2-core machine the
# 500k graph took over 10 minutes for its first 50k random vectors at 200. ef_construction
# shapes the graph's quality (recall), not what a query costs (ef_search, max_neighbors).
CHEAP_BUILD_FROM = 100_000


def _hnsw(films: int) -> dict:
    build = 100 if films >= CHEAP_BUILD_FROM else 200
    return {"space": "cosine", "ef_construction": build, "ef_search": 128, "max_neighbors": 32}


# --- One web worker: loads the index one way, answers queries, reports its memory ------------


def memory() -> dict[str, int]:
    """This process's resident memory in kB, from /proc/self/smaps_rollup."""
    return _smaps("/proc/self/smaps_rollup")


def _smaps(path: str) -> dict[str, int]:
    fields = {}
    for line in Path(path).read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return {
        "rss": fields["Rss"],
        "pss": fields["Pss"],
        "private": fields["Private_Clean"] + fields["Private_Dirty"],
        "shared": fields["Shared_Clean"] + fields["Shared_Dirty"],
    }


def _django(data_dir: Path) -> None:
    os.environ["RECSYS_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ["REDIS_URL"] = ""
    import django

    django.setup()


def load_index(mode: str, directory: Path, server: str):
    """The DenseIndex a web worker holds in `mode` for the store in `directory`."""
    from recommendations.search import dense

    ids = np.load(directory / "ids.npy")
    positions = np.arange(len(ids), dtype=np.int64)
    if mode == "exact":
        vectors = np.load(directory / "vectors.npy")
        synopses = np.load(directory / "synopses.npy")
        index = dense.DenseIndex((), ids, vectors, positions, synopses)
    else:
        _, vectors, synopses = dense.map_store(directory)
        nearest = None
        if mode == "approximate":
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            host, port = server.rsplit(":", 1)
            client = chromadb.HttpClient(
                host=host, port=int(port), settings=ChromaSettings(anonymized_telemetry=False)
            )
            nearest = dense._chroma_nearest(client.get_collection(COLLECTION))
        index = dense.DenseIndex((), ids, vectors, positions, synopses, mode, directory, nearest)
    index._blended(
        SYNOPSIS_WEIGHT
    )  # made (exact) or mapped (mmap) on load, as serving's first search
    return index


def search(index, query: np.ndarray, synopsis_weight: float = SYNOPSIS_WEIGHT) -> np.ndarray:
    """The dense stage as the pipeline runs it: scores by position, then the top DEPTH."""
    from recommendations.search.fusion import top_positions

    size = len(index.ids)
    scores = index.position_scores(
        query[None, :], size, synopsis_weight=synopsis_weight, depth=DEPTH
    )
    return top_positions(scores, DEPTH)


def worker(mode: str, directory: str, server: str, queries: np.ndarray, conn) -> None:
    import threadpoolctl

    _django(Path(directory))
    threadpoolctl.threadpool_limits(1)  # as a web worker (RECSYS_SERVING_THREADS)
    import chromadb  # noqa: F401  (every serving process has both loaded)

    from recommendations.search import dense  # noqa: F401
    from recommendations.search.fusion import top_positions  # noqa: F401

    before = memory()
    started = time.perf_counter()
    index = load_index(mode, Path(directory), server)
    load_s = time.perf_counter() - started
    for query in queries:  # the pages a search needs are in, as in a worker that has served
        search(index, query)
    after = memory()
    conn.send({"load_s": load_s, "memory": {k: after[k] - before[k] for k in after}})
    while (command := conn.recv()) != "stop":
        if command == "time":
            times, cpu = [], []
            for query in queries:
                started, thread = time.perf_counter(), time.thread_time()
                search(index, query)
                cpu.append((time.thread_time() - thread) * 1000)
                times.append((time.perf_counter() - started) * 1000)
            conn.send((times, cpu))
        elif command == "recall":  # HNSW vs the exact top by the film vector, same files
            found = []
            for query in queries:
                exact = index.scores(query[None, :])
                truth = set(np.argsort(-exact)[:DEPTH].tolist())
                found.append(len(truth & set(search(index, query, 0.0).tolist())) / DEPTH)
            conn.send(float(np.mean(found)))
    conn.close()


# --- One catalogue size, every mode ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(directory: Path) -> tuple[subprocess.Popen, str]:
    """A Chroma server over the store's collection (production's shape: one process holds the
    HNSW graph for every web worker)."""
    port = _free_port()
    chroma = str(Path(sys.executable).parent / "chroma")
    log = (directory / "chroma-server.log").open("ab")
    args = [chroma, "run", "--path", str(directory / "chroma"), "--host", "127.0.0.1"]
    process = subprocess.Popen([*args, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"127.0.0.1:{port}"
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the Chroma server did not start")


def available_kb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1])
    return 0


def _cpu_s(pid: int) -> float:
    """CPU seconds a process has used (user + system), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    mode: str,
    directory: Path,
    workers: int,
    queries: np.ndarray,
    server: str = "",
    server_pid: int = 0,
) -> dict:
    context = multiprocessing.get_context("spawn")
    pipes, processes = [], []
    if mode == "exact":  # each worker holds 3 matrices: start only as many as memory allows
        per_worker_kb = 3 * os.path.getsize(directory / "vectors.npy") // 1024
        workers = max(1, min(workers, int(0.6 * available_kb()) // per_worker_kb))
    for _ in range(workers):
        ours, theirs = context.Pipe()
        process = context.Process(
            target=worker, args=(mode, str(directory), server, queries, theirs)
        )
        process.start()
        pipes.append(ours)
        processes.append(process)
    try:
        reports = [pipe.recv() for pipe in pipes]
        server_cpu = _cpu_s(server_pid) if server_pid else 0.0
        pipes[0].send("time")
        times, cpu = pipes[0].recv()
        server_cpu = (_cpu_s(server_pid) - server_cpu) if server_pid else 0.0
        recall = None
        if mode == "approximate":
            pipes[0].send("recall")
            recall = pipes[0].recv()
    finally:
        for pipe in pipes:
            pipe.send("stop")
        for process in processes:
            process.join(60)
    per_worker = {
        key: statistics.mean(r["memory"][key] for r in reports) / 1024
        for key in reports[0]["memory"]
    }
    return {
        "mode": mode,
        "workers": workers,
        "p50": statistics.median(times),
        "p95": float(np.percentile(times, 95)),
        "cpu": statistics.mean(cpu),
        "server_cpu": server_cpu * 1000 / len(times),
        "load_s": statistics.mean(r["load_s"] for r in reports),
        "memory_mb": per_worker,
        "recall": recall,
    }


def chroma_read_s(directory: Path) -> float:
    """What exact serving pays in every worker (and mmap once) on each reload: every film
    vector read from the collection, as vector_store.all_vectors pages it."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(
        str(directory / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_collection(COLLECTION)
    started = time.perf_counter()
    offset, count = 0, 0
    while True:
        got = collection.get(include=["embeddings"], limit=5000, offset=offset)
        count += len(got["ids"])
        if len(got["ids"]) < 5000:
            break
        offset += 5000
    return time.perf_counter() - started


def _chroma_read_in_child(directory: str, conn) -> None:
    conn.send(chroma_read_s(Path(directory)))


def run_size(films: int, workers: int, count: int, wait_for_hnsw: bool = True) -> list[dict]:
    directory = STORE / str(films)
    hnsw = wait_for_hnsw or (directory / "built.json").exists()
    if hnsw:
        directory = build_store(films)
    elif not (directory / "synopses.npy").exists():
        raise SystemExit(
            f"{films}: no store yet (python -m bench.dense_scale --build-only {films})"
        )
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    read_s = math.nan
    if hnsw:
        reader = context.Process(target=_chroma_read_in_child, args=(str(directory), theirs))
        reader.start()
        read_s = ours.recv()
        reader.join()
    rng = np.random.default_rng(3)
    queries = rng.standard_normal((count, DIMENSIONS), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    rows = []
    for mode in ("exact", "mmap"):
        row = measure(mode, directory, workers, queries)
        row["films"], row["read_s"] = films, read_s
        rows.append(row)
    if not hnsw:
        print(f"  {films}: the HNSW graph is still being built: approximate not measured")
        return rows
    build = json.loads((directory / "built.json").read_text())
    server, address = start_server(directory)
    try:
        row = measure("approximate", directory, workers, queries, address, server.pid)
        row["server_mb"] = _smaps(f"/proc/{server.pid}/smaps_rollup")["rss"] / 1024
    finally:
        server.terminate()
        server.wait(30)
    row["films"], row["read_s"], row["build_s"] = films, read_s, build["hnsw_build_s"]
    rows.append(row)
    return rows


# --- Recall on a real catalogue --------------------------------------------------------------


def real_recall(name: str, count: int) -> list[tuple[str, int, float, float]]:
    """Recall@100 (and @200, the pipeline's depth) of approximate dense search against exact on
    a bench catalogue's vectors, through get_dense_index as a search builds it, for the first
    `count` tomt-dev queries, with no filter and with a broad one (Drama)."""
    from bench.catalogues import setup_django

    setup_django(name)
    from django.conf import settings

    from bench.hnsw_recall import query_vectors
    from recommendations.search import dense
    from recommendations.search.catalogue import Filters, get_snapshot
    from recommendations.search.fusion import top_positions

    settings.RECSYS_DATA_DIR = Path(tempfile.mkdtemp(prefix="dense-scale-"))  # mapped files here
    vectors = query_vectors(count)
    snapshot = get_snapshot()
    indexes = {}
    for mode in ("exact", "approximate"):
        settings.RECSYS_DENSE_SEARCH = mode
        dense.clear_dense_index()
        indexes[mode] = dense.get_dense_index(snapshot)
    out = []
    for label, filters in [("no filter", Filters()), ("genre Drama", Filters(genres=("Drama",)))]:
        mask = snapshot.mask(filters)
        found = {100: [], 200: []}
        for query in vectors:
            tops = {}
            for mode, index in indexes.items():
                scores = index.position_scores(
                    query[None, :],
                    snapshot.size,
                    synopsis_weight=SYNOPSIS_WEIGHT,
                    depth=200,
                    mask=mask,
                )
                tops[mode] = top_positions(scores, 200, mask)
            for k in found:
                truth = set(tops["exact"][:k].tolist())
                found[k].append(
                    len(truth & set(tops["approximate"][:k].tolist())) / max(len(truth), 1)
                )
        kept = int(mask.sum()) if mask is not None else snapshot.size
        out.append((label, kept, float(np.mean(found[100])), float(np.mean(found[200]))))
    return out


def wikipedia_store() -> Path:
    """var/bench/dense-scale/wikipedia/: the 36k Wikipedia films' vectors as the Wikipedia bench
    catalogue embeds them (the first 24 word pieces; its full build takes hours here): the film
    text from the source record (title, year, genres, cast, then the article's extract) and
    the extract as the synopsis view, with an embedded Chroma collection of the film vectors
    (the project's HNSW settings). Needs Django set up."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from bench.catalogues import SHARED_DATA, WIKIPEDIA_MAX_SEQ_LENGTH
    from recommendations.embedding import encode, get_model
    from recommendations.vector_store import HNSW_CONFIGURATION

    directory = STORE / "wikipedia"
    if (directory / "built.json").exists():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    films, synopses = [], []
    for path in sorted((SHARED_DATA / "wikipedia-movies").glob("movies-*.json")):
        for record in json.loads(path.read_text()):
            genres = ", ".join(_listed(record.get("genres")))
            cast = ", ".join(_listed(record.get("cast"))[:5])
            extract = (record.get("extract") or "").strip()
            parts = [
                f"{record['title']} ({record['year']})",
                f"Genres: {genres}." if genres else "",
                f"Starring {cast}." if cast else "",
                extract,
            ]
            films.append(" ".join(p for p in parts if p))
            synopses.append(extract or films[-1])
    model = get_model()
    cap, model.max_seq_length = model.max_seq_length, WIKIPEDIA_MAX_SEQ_LENGTH
    started = time.perf_counter()
    try:
        vectors, views = encode(films), encode(synopses)
    finally:
        model.max_seq_length = cap
    print(f"  wikipedia: {len(films)} films encoded twice in {time.perf_counter() - started:.0f}s")
    np.save(directory / "ids.npy", np.arange(1, len(films) + 1, dtype=np.int64))
    np.save(directory / "vectors.npy", vectors)
    np.save(directory / "synopses.npy", views)
    client = chromadb.PersistentClient(
        str(directory / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection(
        COLLECTION, configuration={"hnsw": HNSW_CONFIGURATION}, embedding_function=None
    )
    started = time.perf_counter()
    for start in range(0, len(films), 5000):
        ids = [str(i + 1) for i in range(start, min(start + 5000, len(films)))]
        collection.upsert(ids=ids, embeddings=vectors[start : start + 5000])
    build = time.perf_counter() - started
    (directory / "built.json").write_text(json.dumps({"hnsw_build_s": build}))
    return directory


def _listed(value) -> list[str]:
    """The source's lists come as Python literals in strings ("['Drama', 'War']")."""
    import ast

    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        parsed = ast.literal_eval(value or "[]")
    except (ValueError, SyntaxError):
        return []
    return [str(v) for v in parsed] if isinstance(parsed, list) else []


def wikipedia_recall(count: int) -> tuple[int, float, float]:
    """Recall@100 and @200 of approximate dense search (depth 200, as the pipeline asks)
    against exact, over the Wikipedia films' real vectors, for the first `count` tomt-dev
    queries. Needs Django set up."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from bench.hnsw_recall import query_vectors
    from recommendations.search import dense
    from recommendations.search.fusion import top_positions

    queries = query_vectors(count)  # before the store's encode changes the model's cap
    directory = wikipedia_store()
    exact = load_index("exact", directory, "")
    client = chromadb.PersistentClient(
        str(directory / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    _, vectors, synopses = dense.map_store(directory)
    approximate = dense.DenseIndex(
        (),
        exact.ids,
        vectors,
        exact.positions,
        synopses,
        "approximate",
        directory,
        dense._chroma_nearest(client.get_collection(COLLECTION)),
    )
    size = len(exact.ids)
    found = {100: [], 200: []}
    for query in queries:
        tops = [
            top_positions(
                index.position_scores(
                    query[None, :], size, synopsis_weight=SYNOPSIS_WEIGHT, depth=200
                ),
                200,
            )
            for index in (exact, approximate)
        ]
        for k in found:
            found[k].append(len(set(tops[0][:k].tolist()) & set(tops[1][:k].tolist())) / k)
    return size, float(np.mean(found[100])), float(np.mean(found[200]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--films", default="36000,500000", help="synthetic sizes, comma-separated")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--recall", default="tmdb", help="a bench catalogue, or '' for none")
    parser.add_argument("--recall-queries", type=int, default=300)
    parser.add_argument(
        "--skip-unbuilt",
        action="store_true",
        help="a size whose HNSW graph is still being built (--build-only) gets exact and mmap only",
    )
    parser.add_argument(
        "--wikipedia",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="recall on the 36k Wikipedia films' real vectors (embedded once, cached)",
    )
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    rows = []
    for films in [int(f) for f in args.films.split(",") if f]:
        rows += run_size(films, args.workers, args.queries, not args.skip_unbuilt)
    print(
        f"\ndense stage, top {DEPTH} of {args.queries} random queries (one worker timing, "
        f"the others idle); memory per worker after loading and answering them (MB)"
    )
    print(
        f"{'films':>8} {'mode':<12}{'workers':>8}{'p50 ms':>8}{'p95 ms':>8}{'CPU ms':>8}"
        f"{'+server':>8}{'RSS':>8}{'PSS':>8}{'private':>8}{'load s':>8}{'recall@100':>11}"
    )
    for r in rows:
        m = r["memory_mb"]
        recall = f"{r['recall']:.4f}" if r["recall"] is not None else ""
        server = f"{r['server_cpu']:.2f}" if r["mode"] == "approximate" else ""
        print(
            f"{r['films']:>8} {r['mode']:<12}{r['workers']:>8}{r['p50']:>8.2f}{r['p95']:>8.2f}"
            f"{r['cpu']:>8.2f}{server:>8}{m['rss']:>8.0f}{m['pss']:>8.0f}{m['private']:>8.0f}"
            f"{r['load_s']:>8.2f}{recall:>11}"
        )
    for r in rows:
        if r["mode"] == "approximate":
            print(
                f"{r['films']:>8}: Chroma server RSS {r['server_mb']:.0f} MB (once for all "
                f"workers); HNSW build {r['build_s']:.0f} s; every vector read from Chroma "
                f"{r['read_s']:.1f} s"
            )
    if args.recall:
        print(f"\nrecall of approximate dense search vs exact, {args.recall}, real vectors")
        print(f"{'filter':<14}{'films':>8}{'recall@100':>12}{'recall@200':>12}")
        for label, kept, at100, at200 in real_recall(args.recall, args.recall_queries):
            print(f"{label:<14}{kept:>8}{at100:>12.4f}{at200:>12.4f}")
    if args.wikipedia:
        if not args.recall:
            _django(Path(tempfile.mkdtemp(prefix="dense-scale-")))
        films, at100, at200 = wikipedia_recall(args.recall_queries)
        print("\nrecall of approximate dense search vs exact, Wikipedia films' real vectors")
        print(f"{'no filter':<14}{films:>8}{at100:>12.4f}{at200:>12.4f}")
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--build-only"]:
        for size in sys.argv[2:]:
            build_store(int(size))
    else:
        sys.exit(main())
