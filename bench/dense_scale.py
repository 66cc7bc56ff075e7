"""Dense search past one machine: exact in-process scoring, a shared memory-mapped matrix,
HNSW (approximate), binary and int8 codes with exact rescoring, side by side, at catalogue
sizes made of synthetic films.

    python -m bench.dense_scale [--films 36000,500000] [--queries 200] [--workers 4] \
        [--recall tmdb] [--modes exact,mmap,graph,approximate,binary,int8] [--store DIR]
    python -m bench.dense_scale --films '' --recall wikipedia --binary-sweep 5,10,20
    python -m bench.dense_scale --films '' --recall wikipedia --int8-sweep 1,1.5,2,3
    python -m bench.dense_scale --films '' --recall '' --kernels 36248

Synthetic films are random unit vectors (384-d, a film vector and a synopsis view each,
seeded): enough for time and memory, whose cost does not depend on what the vectors say.
Each size's store is made once under var/bench/dense-scale/<films>/: the matrices as .npy
files, an HNSW graph of the film vectors with the project's settings in hnswlib (the library
Chroma's index is ported from) and, up to --chroma-up-to films, an embedded Chroma collection
of them (Chroma's ingest of 500k random vectors ran at ~100 films a second on this shared
machine: hours). Graphs of 100k films and more are built with ef_construction 40 (ours is
200) to be built in minutes: it shapes recall more than what a query costs. Every mode is
measured through the serving code (`recommendations.search.dense.DenseIndex.position_scores`
and `fusion.top_positions`: the top 100 of the blended score, synopsis weight 0.3):

- exact: each web worker holds the film vectors, synopsis views and their blend privately
  (what serving did before issue 20: loaded from Chroma, blended on first use);
- mmap: each worker maps the files (`dense.map_store`, `dense.map_blend`): the page cache
  holds them once for every worker;
- approx, Chroma srv: serving's approximate mode: candidates from a Chroma server's HNSW (as
  in production, one process holds the graph for every worker), their exact scores read from
  the mapped files; the server's CPU per search is its own column;
- approx, hnswlib: the same with the graph searched inside the worker (as embedded Chroma
  does: each worker holds the graph), the only approximate row at sizes Chroma cannot ingest
  here;
- binary: serving's binary mode: the blend's sign bits (a mapped file, 48 bytes a film), a
  shortlist by Hamming distance, scored exactly from the mapped blend;
- int8: serving's int8 mode: the centred blend as int8 codes and scales (mapped files, 384
  bytes a film), a shortlist by ONNX Runtime's integer product, scored exactly from the
  mapped blend.

`--workers` processes are started per mode (gunicorn's workers; exact starts fewer when
memory is short, each holding the same private matrices); each loads, runs the queries once
(so the pages it needs are in) and reports its memory from /proc/self/smaps_rollup against
its own figures before loading: RSS, PSS (shared pages divided among the processes that map
them) and private. Then the first worker alone times the queries: p50/p95 wall and mean CPU
(its thread's) of the dense stage. Recall@100 of HNSW against exact at each synthetic size
is by the film vector alone (random synopsis views are unrelated to the film vectors, which
real ones are not), and random points are HNSW's worst case. Real recall, through the
blended score as served (`--recall NAME`): a bench catalogue's film vectors and synopsis
views through get_dense_index, with the first 300 tomt-dev queries encoded by the project's
model (bench.hnsw_recall's cache). `--binary-sweep` measures the binary mode instead, on real
vectors as served (each query's chunks encoded by encode_query, several chunks max-pooled):
recall@100/@200 of its top against exact for each shortlist multiple given and each way to
make the codes (the blend centred on its mean, the blend, the film vector alone), with no
filter and a broad one, and the dense stage's mean time (one thread) beside exact's.
`--int8-sweep` does the same for the int8 mode, its codes scaled per film or per dimension,
and counts the queries whose top 100 is exact's, in exact's order. `--kernels N` times ways
to compute one query's int8 product with N random films in one thread, beside the float32
product the exact mode computes.
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
LABELS = {
    "exact": "exact",
    "mmap": "mmap",
    "graph": "approx, hnswlib",  # the graph in the worker, as embedded Chroma holds it
    "approximate": "approx, Chroma srv",
    "binary": "binary",
    "int8": "int8",
}
SHORTLIST_MODES = ("binary", "int8")
MODES = tuple(LABELS)


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
# graphs this large are built with ef_construction 40 (ours 200, Chroma's default 100): on the
# shared 2-core machine 500k random vectors took 200 s a 50k at 100. ef_construction shapes the
# graph's quality (recall), much less what a query costs (ef_search, max_neighbors).
CHEAP_BUILD_FROM = 100_000


def _hnsw(films: int) -> dict:
    build = 40 if films >= CHEAP_BUILD_FROM else 200
    return {"space": "cosine", "ef_construction": build, "ef_search": 128, "max_neighbors": 32}


def build_graph(films: int) -> Path:
    """The same HNSW settings as an hnswlib graph file beside the store (hnswlib is the library
    Chroma's index is ported from), built with both cores: Chroma's own ingest of 500k random
    vectors ran at about 100 films a second on this shared machine (80k in 17 minutes)."""
    import hnswlib

    directory = STORE / str(films)
    path = directory / "hnsw.bin"
    if path.exists():
        return path
    settings = _hnsw(films)
    vectors = np.load(directory / "vectors.npy", mmap_mode="r")
    graph = hnswlib.Index(space="cosine", dim=DIMENSIONS)
    graph.init_index(
        max_elements=films, ef_construction=settings["ef_construction"], M=settings["max_neighbors"]
    )
    started = time.perf_counter()
    for start in range(0, films, 50_000):
        rows = np.asarray(vectors[start : start + 50_000])
        graph.add_items(rows, np.arange(start + 1, start + 1 + len(rows)), num_threads=2)
        elapsed = time.perf_counter() - started
        print(f"  {films}: {start + len(rows)} films in the hnswlib graph, {elapsed:.0f}s")
    partial = directory / "hnsw.partial"
    graph.save_index(str(partial))
    partial.rename(path)
    (directory / "graph.json").write_text(
        json.dumps({"build_s": time.perf_counter() - started, **settings})
    )
    return path


def _graph_nearest(path: Path, films: int):
    """nearest() for DenseIndex over an hnswlib graph in this process, searched as Chroma
    searches (ef = max(ef_search, k))."""
    import hnswlib

    graph = hnswlib.Index(space="cosine", dim=DIMENSIONS)
    graph.load_index(str(path), max_elements=films)
    graph.set_num_threads(1)

    def nearest(query_vectors: np.ndarray, k: int) -> np.ndarray:
        graph.set_ef(max(_hnsw(films)["ef_search"], k))
        labels, _ = graph.knn_query(query_vectors, k=k)
        return labels.astype(np.int64).ravel()

    return nearest


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
        nearest = None  # mmap, binary, int8
        if mode == "graph":
            nearest = _graph_nearest(directory / "hnsw.bin", len(ids))
        elif mode == "approximate":
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            host, port = server.rsplit(":", 1)
            client = chromadb.HttpClient(
                host=host, port=int(port), settings=ChromaSettings(anonymized_telemetry=False)
            )
            nearest = dense._chroma_nearest(client.get_collection(COLLECTION))
        kind = "approximate" if mode == "graph" else mode
        index = dense.DenseIndex(
            (), ids, vectors, positions, synopses, mode=kind, directory=directory, nearest=nearest
        )
    index.prepare(SYNOPSIS_WEIGHT)  # made or mapped on load, as by a worker's warm-up
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
        elif command == "recall":  # binary, int8: by the blend, as it is served
            found = []
            for query in queries:
                exact = index.scores(query[None, :], SYNOPSIS_WEIGHT)
                truth = set(np.argsort(-exact)[:DEPTH].tolist())
                found.append(len(truth & set(search(index, query).tolist())) / DEPTH)
            conn.send(float(np.mean(found)))
        elif command == "graph recall":  # HNSW vs the exact top by the film vector, same files
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
        if mode in ("approximate", "graph", *SHORTLIST_MODES):
            pipes[0].send("recall" if mode in SHORTLIST_MODES else "graph recall")
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


def run_size(
    films: int, workers: int, count: int, chroma_up_to: int, modes: tuple[str, ...] = MODES
) -> list[dict]:
    """Every mode at one size; the Chroma server's approximate path where Chroma can build the
    collection here (up to `chroma_up_to` films), the same graph in hnswlib everywhere."""
    directory = STORE / str(films)
    chroma = "approximate" in modes and (
        films <= chroma_up_to or (directory / "built.json").exists()
    )
    if chroma:
        build_store(films)
    elif not (directory / "synopses.npy").exists():
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "ids.npy", np.arange(1, films + 1, dtype=np.int64))
        unit_rows(directory / "vectors.npy", films, seed=1)
        unit_rows(directory / "synopses.npy", films, seed=2)
    if "graph" in modes:
        build_graph(films)
    context = multiprocessing.get_context("spawn")
    read_s = math.nan
    if chroma:
        ours, theirs = context.Pipe()
        reader = context.Process(target=_chroma_read_in_child, args=(str(directory), theirs))
        reader.start()
        read_s = ours.recv()
        reader.join()
    rng = np.random.default_rng(3)
    queries = rng.standard_normal((count, DIMENSIONS), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    rows = []
    for mode in ("exact", "mmap", "graph", "binary", "int8"):
        if mode in modes:
            rows.append(measure(mode, directory, workers, queries))
        if mode == "graph" and mode in modes:
            rows[-1]["build_s"] = json.loads((directory / "graph.json").read_text())["build_s"]
    if chroma:
        build = json.loads((directory / "built.json").read_text())
        server, address = start_server(directory)
        try:
            row = measure("approximate", directory, workers, queries, address, server.pid)
            row["server_mb"] = _smaps(f"/proc/{server.pid}/smaps_rollup")["rss"] / 1024
        finally:
            server.terminate()
            server.wait(30)
        row["build_s"] = build["hnsw_build_s"]
        rows.append(row)
    for row in rows:
        row["films"], row["read_s"] = films, read_s
    return rows


# --- Recall on a real catalogue --------------------------------------------------------------


def _indexes(modes: tuple[str, ...], prefix: str) -> tuple:
    """The catalogue's snapshot and its dense index in each mode, as search builds them (the
    mapped files of each in a temporary data dir)."""
    from django.conf import settings

    from recommendations.search import dense
    from recommendations.search.catalogue import get_snapshot

    settings.RECSYS_DATA_DIR = Path(tempfile.mkdtemp(prefix=prefix))
    snapshot = get_snapshot()
    indexes = {}
    for mode in modes:
        settings.RECSYS_DENSE_SEARCH = mode
        dense.clear_dense_index()
        indexes[mode] = dense.get_dense_index(snapshot)
    return snapshot, indexes


def real_recall(name: str, count: int) -> list[tuple[str, int, float, float]]:
    """Recall@100 (and @200, the pipeline's depth) of approximate dense search against exact on
    a bench catalogue's vectors, through get_dense_index as a search builds it, for the first
    `count` tomt-dev queries, with no filter and with a broad one (Drama)."""
    from bench.catalogues import setup_django

    setup_django(name)

    from bench.hnsw_recall import query_vectors
    from recommendations.search.catalogue import Filters
    from recommendations.search.fusion import top_positions

    vectors = query_vectors(count)
    snapshot, indexes = _indexes(("exact", "approximate"), prefix="dense-scale-")
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


CODINGS = ("centred blend", "blend", "film vector")


def _served_query_vectors(count: int, model: str) -> list[np.ndarray]:
    """The first `count` tomt-dev queries as search encodes them: each query's chunks."""
    from bench.hnsw_recall import queries
    from recommendations.search.dense import encode_query
    from recommendations.search.query import parse_query

    return [encode_query(parse_query(q).chunks, model) for q in queries()[:count]]


def _binary_codes(index, coding: str) -> np.ndarray:
    from recommendations.search import dense

    dense.CENTRE_CODES = coding == "centred blend"
    try:
        if coding == "film vector":
            return dense.film_codes(index.vectors)
        return dense.film_codes(index._blended(SYNOPSIS_WEIGHT))
    finally:
        dense.CENTRE_CODES = True


INT8_SCALES = ("film", "dimension")


def _use_codes(index, mode: str, coding: str) -> None:
    """The index's codes made `coding`'s way (CODINGS for binary, INT8_SCALES for int8)."""
    from recommendations.search import dense

    if mode == "binary":
        index._codes[SYNOPSIS_WEIGHT] = _binary_codes(index, coding)
    else:
        index._int8[SYNOPSIS_WEIGHT] = dense.Int8Codes.of(index._blended(SYNOPSIS_WEIGHT), coding)


def shortlist_recall(
    name: str, count: int, mode: str, shortlists: list[float], directory: Path | None = None
) -> list[tuple]:
    """Recall@100 and @200 of a shortlist mode's (binary, int8) top 200 against exact's (the
    pipeline's depth, blended score), and the share of queries whose top 100 is exact's in
    exact's order, for each shortlist multiple and way to make the codes, on a bench
    catalogue's real vectors through get_dense_index, with no filter and a broad one; and the
    dense stage's mean ms a query (position_scores + top_positions, one thread) for each.
    `directory`: a copy of the catalogue to read instead (copy_catalogue)."""
    from bench.catalogues import setup_django

    setup_django(name, directory)
    import threadpoolctl

    from recommendations.search import dense
    from recommendations.search.catalogue import Filters
    from recommendations.search.fusion import top_positions

    threadpoolctl.threadpool_limits(1)  # as a web worker
    snapshot, indexes = _indexes(("exact", mode), prefix=f"dense-{mode}-")
    vectors = _served_query_vectors(count, indexes["exact"].model)
    chunks = [len(v) for v in vectors]
    print(f"  {len(vectors)} queries, {sum(c > 1 for c in chunks)} of them several chunks")
    broad = Filters(year_from=1980) if snapshot.size > 2 * dense.EXACT_SUBSET else Filters()
    if name == "tmdb":
        broad = Filters(genres=("Drama",))  # 2,297 films: scored exactly (<= EXACT_SUBSET)

    def run(index, mask) -> tuple[list[np.ndarray], float]:
        for query in vectors[:20]:  # the codes' pages and the session are in before timing
            index.position_scores(query, snapshot.size, synopsis_weight=SYNOPSIS_WEIGHT)
        tops, started = [], time.perf_counter()
        for query in vectors:
            scores = index.position_scores(
                query, snapshot.size, synopsis_weight=SYNOPSIS_WEIGHT, depth=200, mask=mask
            )
            tops.append(top_positions(scores, 200, mask))
        return tops, (time.perf_counter() - started) * 1000 / len(vectors)

    out = []
    shortlisted = indexes[mode]
    multiple = "SHORTLIST" if mode == "binary" else "INT8_SHORTLIST"
    for label, filters in [("no filter", Filters()), (_filter_label(broad), broad)]:
        mask = snapshot.mask(filters)
        kept = int(mask.sum()) if mask is not None else snapshot.size
        truth, exact_ms = run(indexes["exact"], mask)
        out.append(("exact", "", label, kept, 1.0, 1.0, 1.0, exact_ms))
        for coding in CODINGS if mode == "binary" else INT8_SCALES:
            _use_codes(shortlisted, mode, coding)
            for shortlist in shortlists:
                setattr(dense, multiple, shortlist)
                tops, ms = run(shortlisted, mask)
                pairs = list(zip(truth, tops, strict=True))
                at = {
                    k: float(
                        np.mean(
                            [
                                len(set(t[:k].tolist()) & set(b[:k].tolist())) / max(len(t[:k]), 1)
                                for t, b in pairs
                            ]
                        )
                    )
                    for k in (100, 200)
                }
                same = float(np.mean([np.array_equal(t[:100], b[:100]) for t, b in pairs]))
                out.append((coding, shortlist, label, kept, at[100], at[200], same, ms))
    return out


def kernels(films: int, count: int = 200) -> list[tuple[str, float, float]]:
    """Mean and p95 ms of one query chunk's product with `films` random codes, one thread, each
    way: the float32 product (exact's), numpy's integer matmul, int8 widened to float32 a
    block at a time, ONNX Runtime's MatMulInteger with the films streamed (a uint8 input) and
    with them packed once (int8_session, as served); each checked against the exact integers."""
    import threadpoolctl

    _django(Path(tempfile.mkdtemp(prefix="dense-kernels-")))
    threadpoolctl.threadpool_limits(1)
    from recommendations.onnx_models import cpu_session
    from recommendations.search import dense

    rng = np.random.default_rng(4)
    matrix = rng.standard_normal((films, DIMENSIONS), dtype=np.float32)
    codes = np.ascontiguousarray(rng.integers(-127, 128, (films, DIMENSIONS), dtype=np.int8))
    query = rng.integers(-dense.QUERY_LEVELS, dense.QUERY_LEVELS + 1, (1, DIMENSIONS))
    query_codes, query_floats = query.astype(np.int8), query.astype(np.float32)
    truth = codes.astype(np.int32) @ query.T.astype(np.int32)
    block = np.empty((4096, DIMENSIONS), dtype=np.float32)

    def widened() -> np.ndarray:
        out = np.empty((films, 1), dtype=np.float32)
        for start in range(0, films, len(block)):
            rows = codes[start : start + len(block)]
            np.copyto(block[: len(rows)], rows, casting="unsafe")
            np.matmul(block[: len(rows)], query_floats.T, out=out[start : start + len(rows)])
        return out

    from onnx import TensorProto, helper

    streamed_graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["films", "query", "zero"], ["scores"])],
        "streamed",
        [
            helper.make_tensor_value_info("films", TensorProto.UINT8, ["n", DIMENSIONS]),
            helper.make_tensor_value_info("query", TensorProto.INT8, [DIMENSIONS, 1]),
        ],
        [helper.make_tensor_value_info("scores", TensorProto.INT32, ["n", 1])],
        [helper.make_tensor("zero", TensorProto.UINT8, [], [128])],
    )
    streamed = cpu_session(
        helper.make_model(
            streamed_graph, opset_imports=[helper.make_opsetid("", 17)]
        ).SerializeToString(),
        threads=1,
    )
    shifted = (codes.astype(np.int16) + 128).astype(np.uint8)
    packed = dense.int8_session(np.ascontiguousarray(codes.T))
    ways = {
        "float32 product (exact)": (lambda: matrix @ query_floats.T, None),
        "numpy integer matmul": (lambda: codes @ query_codes.T.astype(np.int32), truth),
        "int8 -> float32 blocks": (widened, truth),
        "ORT MatMulInteger, films streamed": (
            lambda: streamed.run(None, {"films": shifted, "query": query_codes.T.copy()})[0],
            truth,
        ),
        "ORT MatMulInteger, films packed (served)": (
            lambda: dense.int8_product(packed, query_codes).T,
            truth,
        ),
    }
    out = []
    for name, (run, expected) in ways.items():
        if expected is not None and not np.array_equal(run(), expected):
            raise SystemExit(f"{name}: the product is wrong")
        times = []
        for _ in range(count if name != "numpy integer matmul" else 10):
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
        out.append((name, statistics.mean(times), float(np.percentile(times, 95))))
    return out


def _filter_label(filters) -> str:
    if filters.genres:
        return f"genre {filters.genres[0]}"
    if filters.year_from:
        return f"from {filters.year_from}"
    return "no filter"


def main() -> None:
    global STORE
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--films", default="36000,500000", help="synthetic sizes, comma-separated")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--recall", default="tmdb", help="a bench catalogue, or '' for none")
    parser.add_argument("--recall-queries", type=int, default=300)
    parser.add_argument(
        "--recall-dir", type=Path, default=None, help="a copy of --recall's catalogue to read"
    )
    parser.add_argument("--modes", default=",".join(MODES), help="of " + ",".join(MODES))
    parser.add_argument("--store", default=str(STORE), help="where the synthetic stores are kept")
    parser.add_argument(
        "--binary-sweep",
        default="",
        help="shortlist multiples (comma-separated): measure binary recall on --recall's "
        "catalogue instead of approximate's",
    )
    parser.add_argument(
        "--kernels", type=int, default=0, help="time the int8 product's kernels at N films"
    )
    parser.add_argument(
        "--int8-sweep",
        default="",
        help="shortlist multiples (comma-separated): measure int8 recall on --recall's "
        "catalogue instead of approximate's",
    )
    parser.add_argument(
        "--chroma-up-to",
        type=int,
        default=100_000,
        help="sizes up to this get a Chroma collection and the Chroma server's row",
    )
    args = parser.parse_args()
    STORE = Path(args.store)
    modes = tuple(m for m in args.modes.split(",") if m)
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    if args.kernels:
        print(f"\none query chunk's product with {args.kernels} films, one thread (ms)")
        print(f"{'way':<42}{'mean':>8}{'p95':>8}")
        for name, mean, p95 in kernels(args.kernels):
            print(f"{name:<42}{mean:>8.3f}{p95:>8.3f}")
    rows = []
    for films in [int(f) for f in args.films.split(",") if f]:
        rows += run_size(films, args.workers, args.queries, args.chroma_up_to, modes)
    if rows:
        print(
            f"\ndense stage, top {DEPTH} of {args.queries} random queries (one worker timing, "
            f"the others idle); memory per worker after loading and answering them (MB)"
        )
        print(
            f"{'films':>8} {'mode':<20}{'workers':>8}{'p50 ms':>8}{'p95 ms':>8}{'CPU ms':>8}"
            f"{'+server':>8}{'RSS':>8}{'PSS':>8}{'private':>8}{'load s':>8}{'recall@100':>11}"
        )
        for r in rows:
            m = r["memory_mb"]
            recall = f"{r['recall']:.4f}" if r["recall"] is not None else ""
            server = f"{r['server_cpu']:.2f}" if r["mode"] == "approximate" else ""
            print(
                f"{r['films']:>8} {LABELS[r['mode']]:<20}{r['workers']:>8}{r['p50']:>8.2f}"
                f"{r['p95']:>8.2f}{r['cpu']:>8.2f}{server:>8}{m['rss']:>8.0f}{m['pss']:>8.0f}"
                f"{m['private']:>8.0f}{r['load_s']:>8.2f}{recall:>11}"
            )
        for r in rows:
            if r["mode"] == "approximate":
                print(
                    f"{r['films']:>8}: Chroma server RSS {r['server_mb']:.0f} MB (once for all "
                    f"workers); Chroma ingest with HNSW {r['build_s']:.0f} s; every vector read "
                    f"from Chroma {r['read_s']:.1f} s"
                )
            elif r["mode"] == "graph":
                print(f"{r['films']:>8}: hnswlib graph built in {r['build_s']:.0f} s (2 threads)")
    sweep = ("binary", args.binary_sweep) if args.binary_sweep else ("int8", args.int8_sweep)
    if args.recall and sweep[1]:
        mode, shortlists = sweep[0], [float(x) for x in sweep[1].split(",")]
        print(f"\n{mode} dense search vs exact, {args.recall}, real vectors, top 200")
        print(
            f"{'codes':<15}{'shortlist':>10}  {'filter':<12}{'films':>8}{'recall@100':>12}"
            f"{'recall@200':>12}{'same top100':>12}{'ms/query':>10}"
        )
        for coding, shortlist, label, kept, at100, at200, same, ms in shortlist_recall(
            args.recall, args.recall_queries, mode, shortlists, args.recall_dir
        ):
            listed = f"{shortlist:g}x200" if shortlist else ""
            print(
                f"{coding:<15}{listed:>10}  {label:<12}{kept:>8}{at100:>12.4f}{at200:>12.4f}"
                f"{same:>12.4f}{ms:>10.3f}"
            )
    elif args.recall:
        print(f"\nrecall of approximate dense search vs exact, {args.recall}, real vectors")
        print(f"{'filter':<14}{'films':>8}{'recall@100':>12}{'recall@200':>12}")
        for label, kept, at100, at200 in real_recall(args.recall, args.recall_queries):
            print(f"{label:<14}{kept:>8}{at100:>12.4f}{at200:>12.4f}")
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--build-graph"]:
        for size in sys.argv[2:]:
            build_graph(int(size))
    elif sys.argv[1:2] == ["--build-only"]:
        for size in sys.argv[2:]:
            build_store(int(size))
    else:
        sys.exit(main())
