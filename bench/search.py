"""End-to-end latency of the search results partial (the HTMX request the search box sends),
warm, over 200+ varied queries, next to the seed's pipeline in the same run.

    python -m bench.catalogues tmdb        # once, cached under var/bench/
    python -m bench.search tmdb            # or: wikipedia
    python -m bench.search tmdb --typos --seed-sample 0

--typos adds the 40 titles misspelled (two letters of the longest word swapped: the typo
tolerance path); --seed-sample N times the seed's pipeline on N queries (0: not at all).
--full-tomt asks the 130 tomt-dev posts whole instead of their first lines (long stories: the
learned fusion serves queries of 40 words and more); --data-dir runs on a copy of the catalogue
(with trained models registered in it, say) instead of the built one. --serving-threads N caps
the numeric thread pools (BLAS) while our searches run, as a web worker does
(RECSYS_SERVING_THREADS, 1, by default; 0 leaves the libraries' own pools: the figures before
2026-12-05's last session were measured so, the process's CPU about twice the wall time).

Requests go through Django's test Client in this process (URL routing, middleware, view,
pipeline, database, template), no network. The seed's pipeline: embed the query, Chroma's
top 50, re-embed those 50 films' texts in the seed's batches of 64, sort by cosine.
"""

import argparse
import contextlib
import json
import os
import statistics
import time
from pathlib import Path

from bench.catalogues import SHARED_DATA, setup_django

MOODS = [
    "something funny to watch with friends",
    "a scary movie for halloween night",
    "feel good family adventure",
    "gritty crime drama in new york",
    "romantic comedy in paris",
    "space exploration and aliens",
    "a heist gone wrong",
    "sad war movie",
    "true story about a sports team",
    "animated film for kids about animals",
    "time travel paradox",
    "a detective solving murders in a small town",
    "western with gunslingers",
    "musical about dreams in hollywood",
    "zombie apocalypse",
    "courtroom drama",
    "coming of age summer",
    "superhero origin story",
    "haunted house",
    "road trip comedy",
    "spy thriller cold war",
    "disaster movie with a tsunami",
    "boxing underdog",
    "dinosaurs",
    "pirates on the high seas",
    "vampires in love",
    "political conspiracy",
    "high school dance",
    "a dog finds its way home",
    "robots take over the world",
    "80s action",
    "thriller from the 90s",
    "2000s romance",
    "horror before 1980",
    "comedy after 2010",
    "mafia family saga",
    "small town secrets",
    "submarine war",
    "prison escape",
    "body swap comedy",
]


def queries(titles: list[str], *, full_tomt: bool = False) -> list[str]:
    lines = (SHARED_DATA / "queries" / "tomt-dev.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    posts = [r["query"] if full_tomt else r["query"].split("\n", 1)[0][:200] for r in rows[:130]]
    return posts + MOODS + titles


def misspelled(title: str) -> str:
    """The title with two middle letters of its longest word swapped: "Avatar" -> "Avtaar"."""
    words = title.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    word = words[i]
    if len(word) >= 4:
        m = len(word) // 2
        words[i] = word[: m - 1] + word[m] + word[m - 1] + word[m + 1 :]
    return " ".join(words)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


# The seed's EMBEDDING_BATCH_SIZE (b3a9843), fixed here: the reference is the seed's pipeline,
# and our own default (8 since aca340c, for indexing) made it 1.7x faster when it was read.
SEED_BATCH_SIZE = 64


def main(
    name: str,
    seed_sample: int = 20,
    typos: bool = False,
    full_tomt: bool = False,
    directory: Path | None = None,
    serving_threads: int | None = None,
) -> None:
    # The request limit as in production, with a budget no run reaches: 200+ searches a
    # minute from the test client's one address would spend the shipped budget otherwise.
    os.environ.setdefault("RECSYS_RATELIMIT_PER_MINUTE", str(10**9))
    setup_django(name, directory)
    from django.conf import settings
    from django.test import Client

    from movies.models import Movie
    from recommendations.embedding import encode, film_text
    from recommendations.search.catalogue import get_snapshot
    from recommendations.vector_store import get_collection

    # The request limit runs as in production, from an address of this run's own so that a
    # run straight after another is not refused.
    client = Client(REMOTE_ADDR=f"127.{os.getpid() % 250}.{int(time.time()) % 250}.1")
    films = Movie.objects.count()
    titles = list(Movie.objects.order_by("-popularity", "pk").values_list("title", flat=True)[:40])
    sample = queries(titles, full_tomt=full_tomt) + (
        [misspelled(t) for t in titles] if typos else []
    )
    warmup = ["warm up query", "a film about a bank robbery", "comedy", "the 90s", "paris"]

    cpu: list[float] = []

    def partial(q: str) -> float:
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get("/", {"q": q}, HTTP_HX_REQUEST="true")
        elapsed = (time.perf_counter() - started) * 1000
        cpu.append((time.process_time() - cpu_started) * 1000)
        assert response.status_code == 200 and b'class="card"' in response.content, q
        return elapsed

    get_snapshot()
    for q in warmup:
        partial(q)
    cpu.clear()
    if serving_threads is None:
        serving_threads = settings.RECSYS_SERVING_THREADS
    with serving_pools(serving_threads):
        ours = [partial(q) for q in sample]

    collection = get_collection()

    def seed(q: str) -> float:
        started = time.perf_counter()
        vector = encode([q])[0]
        hits = collection.query(query_embeddings=[vector], n_results=50)
        ids = [int(i) for i in hits["ids"][0]]
        movies = Movie.objects.prefetch_related("genres", "keywords", "credits__person").in_bulk(
            ids
        )
        texts = [film_text(movies[i]) for i in ids]
        scores = encode(texts, batch_size=SEED_BATCH_SIZE) @ vector
        sorted(zip(scores, ids, strict=True), reverse=True)
        return (time.perf_counter() - started) * 1000

    seeds = []
    if seed_sample:
        seed(warmup[0])
        seeds = [seed(q) for q in sample[:: max(1, len(sample) // seed_sample)][:seed_sample]]

    ours_p50, ours_p95 = percentile(ours, 50), percentile(ours, 95)
    print(f"catalogue: {name}, {films} films; {len(ours)} queries (seed: {len(seeds)})")
    print(f"{'':28}{'p50 ms':>10}{'p95 ms':>10}")
    print(f"{'results partial (ours)':28}{ours_p50:>10.1f}{ours_p95:>10.1f}")
    # CPU time of this process per request: what the request costs, less what other
    # processes on a busy machine add to its wall-clock time
    print(f"{'  its CPU time':28}{percentile(cpu, 50):>10.1f}{percentile(cpu, 95):>10.1f}")
    if seeds:
        seed_p50, seed_p95 = percentile(seeds, 50), percentile(seeds, 95)
        print(f"{'seed pipeline (reference)':28}{seed_p50:>10.1f}{seed_p95:>10.1f}")
        print(f"{'ratio seed / ours':28}{seed_p50 / ours_p50:>10.1f}{seed_p95 / ours_p95:>10.1f}")


def serving_pools(threads: int) -> contextlib.AbstractContextManager:
    """The numeric pools capped as in a web worker while our searches run (the seed's pipeline
    keeps the libraries' defaults); 0: no cap."""
    if not threads:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("catalogue", nargs="?", default="tmdb")
    parser.add_argument("--seed-sample", type=int, default=20)
    parser.add_argument("--typos", action="store_true")
    parser.add_argument("--full-tomt", action="store_true", help="whole posts, not first lines")
    parser.add_argument("--data-dir", type=Path, help="a copy of the catalogue to run on")
    parser.add_argument(
        "--serving-threads", type=int, default=None, help="BLAS threads (default: a worker's)"
    )
    args = parser.parse_args()
    main(
        args.catalogue,
        args.seed_sample,
        args.typos,
        args.full_tomt,
        args.data_dir,
        args.serving_threads,
    )
