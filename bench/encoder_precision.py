"""The embedding model's ONNX encoder in int8 against fp32 (recommendations/query_encoder.py,
RECSYS_QUERY_ENCODER_PRECISION / RECSYS_INDEX_ENCODER_PRECISION): ranking quality and vector
agreement on the TMDB bench catalogue, and speed on queries and on full Wikipedia film texts.

    python -m bench.catalogues tmdb                     # once, cached under var/bench/
    python -m bench.encoder_precision quality [--films] [--held-out]
                                              [--queries-in int8-per-token] [--data-dir COPY]
    python -m bench.encoder_precision speed [--films 2000] [--max-tokens 256 128]
                                            [--batch-size 64 16]
    python -m bench.encoder_precision reindex [--films 400]
    python -m bench.encoder_precision paired [--queries-in int8-per-token]
                                             [--part validation|retriever-validation|all]
                                             [--data-dir COPY]

quality: tomt-dev nDCG@10 per stage with fp32 queries, then int8 queries (and, with --films,
int8 film and synopsis vectors too: every film's texts re-encoded in int8 in this process and
put in place of the stored vectors, as an int8 index would store them). On the validation part
of the lab's split (recommendations/lab/split.py: the 1,073 queries outside the reranker's
held-out quarter); --held-out scores the 372 held-out queries instead, once, for the option
chosen (fp32 and the option --films says, int8 queries alone or int8 throughout). Also the
cosine of int8 to fp32 vectors: the queries' chunks and (--films) the films'.

speed: a query's encode on one thread, fp32 and int8 interleaved on the same queries (the search
bench's), CPU time of the thread; then batch encodes of N Wikipedia films (two texts each, the
film text and the synopsis view, as indexing sends them; spread evenly over the 36k) on every
core, CPU time of the process and films per CPU second, for each precision, token cap and batch
size given. The film text is built from the importer's record as `film_text` builds it for a
Wikipedia film (title, year, genres, cast, synopsis; the source has no director or keywords).

paired: fp32 queries against the quantized ones query by query, on one part of tomt-dev
(validation: the lab's 1,073 outside the held-out quarter; retriever-validation: the 235 the
learned stages choose on; all: the 1,445): nDCG@10 per stage for each, the mean per-query
difference with a 95% bootstrap interval (10,000 resamples of the queries, fixed seed), and how
many answers moved up, down, or in or out of the top 10. Whether a difference is more than
the noise of near-ties is what the interval says.

reindex: the indexing path itself, in fp32 then in int8: `index_reembed` of N TMDB films spread
over the catalogue, batches run inline as `sync_index` runs them, on a copy of the TMDB bench
catalogue with a Chroma server of its own (bench/_support.py; your var/ is not touched). Wall
and CPU seconds (this process and the Chroma server) and films per CPU second.
"""

import argparse
import shutil
import statistics
import time
from pathlib import Path

import numpy as np

from bench.catalogues import SHARED_DATA, setup_django
from bench.paired import print_paired_ranks

PRECISIONS = ("fp32", "int8")


def _encoder(precision: str, *, threads: int):
    from recommendations import query_encoder

    return query_encoder._load(precision, threads=threads)


def _cosines(a: np.ndarray, b: np.ndarray) -> str:
    cos = (a * b).sum(axis=1)
    return f"mean {cos.mean():.4f}, min {cos.min():.4f}, n {len(cos)}"


def quality(
    *,
    films: bool,
    held_out: bool,
    only_int8: bool = False,
    queries_in: str = "int8",
    films_in: str = "int8",
    data_dir: Path | None = None,
) -> None:
    """queries_in: the quantized query precision set beside fp32; films_in: the film vectors'
    with --films. data_dir: a copy of the catalogue, where the quantized file is written."""
    setup_django("tmdb", data_dir)

    from recommendations.lab.search_evaluation import evaluate, load_queries
    from recommendations.lab.split import split_by_query
    from recommendations.search import dense
    from recommendations.search.query import parse_query

    queries = load_queries(SHARED_DATA / "queries" / "tomt-dev.jsonl")
    validation, test = split_by_query(queries, held_out_fraction=0.25)
    part = test if held_out else validation
    print(f"{'held-out' if held_out else 'validation'}: {len(part)} queries", flush=True)

    chunks = [c for q in part if (c := parse_query(q.text).chunks)]
    encoders = [_encoder(p, threads=1) for p in ("fp32", queries_in)]
    fp32, int8 = (np.vstack([e.encode(group) for group in chunks]) for e in encoders)
    print(f"query chunk cosine {queries_in} vs fp32: {_cosines(fp32, int8)}", flush=True)

    runs = [("fp32", "fp32"), (queries_in, "fp32")] + ([(queries_in, films_in)] if films else [])
    if held_out:  # the baseline and the one option chosen on validation
        runs = [runs[0], runs[-1]]
    if only_int8:
        runs = [runs[-1]]
    original_load = dense._load
    for query_precision, film_precision in runs:
        _encode_queries_in(query_precision)
        if film_precision != "fp32":
            dense._load = _films_in(film_precision, original_load)
        dense.clear_dense_index()
        started = time.perf_counter()
        report = evaluate(part)
        ndcg = {stage: round(m["ndcg@10"], 4) for stage, m in report.stages.items()}
        seconds = time.perf_counter() - started
        print(
            f"queries {query_precision}, films {film_precision}: nDCG@10 {ndcg} "
            f"({report.evaluated} evaluated, {report.skipped} skipped, {seconds:.0f} s)",
            flush=True,
        )


def paired(
    *,
    queries_in: str,
    part_name: str,
    films_in: str = "fp32",
    baseline_queries: str = "fp32",
    data_dir: Path | None = None,
) -> None:
    """The baseline (queries in baseline_queries, the stored fp32 film vectors) against
    queries in queries_in and film vectors re-encoded in films_in (stored ones for fp32)."""
    setup_django("tmdb", data_dir)

    from recommendations.lab.queries import with_answers
    from recommendations.lab.search_evaluation import answer_ranks, in_split, load_queries
    from recommendations.lab.split import split_by_query

    queries = load_queries(SHARED_DATA / "queries" / "tomt-dev.jsonl")
    part = {
        "validation": lambda: split_by_query(queries, held_out_fraction=0.25)[0],
        "retriever-validation": lambda: in_split(queries, "validation"),
        "all": lambda: queries,
    }[part_name]()
    part, _ = with_answers(part)
    from recommendations.search import dense

    runs = {"before": (baseline_queries, "fp32"), "after": (queries_in, films_in)}
    ranks = {}
    original_load = dense._load
    for run, (query_precision, film_precision) in runs.items():
        _encode_queries_in(query_precision)
        dense._load = original_load
        if film_precision != "fp32":
            dense._load = _films_in(film_precision, original_load)
        dense.clear_dense_index()
        ranks[run] = [answer_ranks(q) for q in part]
    dense._load = original_load
    print(
        f"{part_name}: {len(part)} queries with an answer in the catalogue; before: queries "
        f"{baseline_queries}, films fp32; after: queries {queries_in}, films {films_in}"
    )
    for stage in ranks["before"][0]:
        before, after = ([r[stage] for r in ranks[run]] for run in runs)
        print_paired_ranks(stage, before, after)


def _encode_queries_in(precision: str) -> None:
    """Search's query vectors from now on in this precision, none remembered from before."""
    from django.conf import settings

    from recommendations import query_encoder
    from recommendations.search import dense

    settings.RECSYS_QUERY_ENCODER_PRECISION = precision
    query_encoder.get_query_encoder.cache_clear()
    dense.clear_query_cache()


def _films_in(precision: str, load):
    """dense._load, with every film's vector and synopsis view re-encoded in `precision`."""
    from recommendations import query_encoder
    from recommendations.indexing.services import embedding_inputs, film_texts, film_vectors

    def loaded(snapshot, stamp):
        index = load(snapshot, stamp)
        texts = film_texts([int(i) for i in index.ids])
        started, cpu = time.perf_counter(), time.process_time()
        encoded = _encoder(precision, threads=0).encode_by_length(
            embedding_inputs(texts), batch_size=query_encoder.index_batch_size(precision)
        )
        print(
            f"{len(texts)} films re-encoded in {precision}: {time.perf_counter() - started:.0f} s, "
            f"{time.process_time() - cpu:.0f} CPU s",
            flush=True,
        )
        rows = {int(v.id): v for v in film_vectors(texts, encoded)}
        vectors, synopses = index.vectors.copy(), index.synopses.copy()
        for row, movie_id in enumerate(index.ids):
            film = rows[int(movie_id)]
            vectors[row] = film.vector
            synopses[row] = film.synopsis if film.synopsis is not None else film.vector
        print(f"film vector cosine {precision} vs stored: {_cosines(index.vectors, vectors)}")
        print(f"synopsis view cosine {precision} vs stored: {_cosines(index.synopses, synopses)}")
        index.vectors, index.synopses = vectors, synopses
        return index

    return loaded


def wikipedia_films(count: int) -> list[tuple[str, str]]:
    """(film text, synopsis view) of `count` Wikipedia films with a synopsis, evenly spread."""
    from movies.importers.wikipedia import WikipediaImporter

    paths = sorted((SHARED_DATA / "wikipedia-movies").glob("movies-*.json"))
    records = [r for r in WikipediaImporter().rows(paths) if getattr(r, "synopsis", "")]
    step = max(len(records) // count, 1)
    films = []
    for record in records[::step][:count]:
        head = f"{record.title} ({record.year})" if record.year else record.title
        genres = f"Genres: {', '.join(record.genres)}." if record.genres else ""
        cast = f"Starring {', '.join(record.cast[:8])}." if record.cast else ""
        text = " ".join(p for p in (head, genres, cast, record.synopsis.strip()) if p)
        films.append((text, record.synopsis.strip()))
    return films


def speed(
    *, count: int, max_tokens: list[int], batch_sizes: list[int], precisions: list[str]
) -> None:
    """precisions: the first is the reference (fp32), the second the quantized one."""
    setup_django("tmdb")
    from bench.search import MOODS, queries
    from recommendations.search.query import parse_query

    # Queries: one thread each, interleaved.
    singles = {p: _encoder(p, threads=1) for p in precisions}
    sample = [parse_query(q).chunks for q in queries(MOODS)]
    for chunks in sample[:5]:
        for encoder in singles.values():
            encoder.encode(chunks)
    cpu: dict[str, list[float]] = {p: [] for p in precisions}
    wall: dict[str, list[float]] = {p: [] for p in precisions}
    for chunks in sample:
        for precision, encoder in singles.items():
            started, thread = time.perf_counter(), time.thread_time()
            encoder.encode(chunks)
            cpu[precision].append((time.thread_time() - thread) * 1000)
            wall[precision].append((time.perf_counter() - started) * 1000)
    print(f"{len(sample)} queries, one thread:")
    for p in precisions:
        print(
            f"  {p}: CPU mean {statistics.mean(cpu[p]):.2f} ms, p50 "
            f"{statistics.median(cpu[p]):.2f} ms; wall p50 {statistics.median(wall[p]):.2f} ms"
        )
    base, quantized = precisions[0], precisions[-1]
    ratio = statistics.mean(cpu[base]) / statistics.mean(cpu[quantized])
    print(f"  CPU {base} / {quantized} = {ratio:.2f}x", flush=True)

    # Film batches: every core.
    films = wikipedia_films(count)
    texts = [t for film in films for t in film]
    batches = {p: _encoder(p, threads=0) for p in precisions}
    for encoder in batches.values():
        encoder.encode_by_length(texts[:32], batch_size=16)
    tokenizer = batches[precisions[0]]._tokenizer
    lengths = [sum(e.attention_mask) for e in tokenizer.encode_batch(texts)]
    print(
        f"{len(films)} Wikipedia films ({len(texts)} texts), tokens per text: mean "
        f"{statistics.mean(lengths):.0f}, longest {max(lengths)}, "
        f"past 128 {sum(n > 128 for n in lengths) / len(lengths):.0%}",
        flush=True,
    )
    reference = None
    for cap in max_tokens:
        for batch_size in batch_sizes:
            for precision, encoder in batches.items():
                encoder._tokenizer.enable_truncation(max_length=cap)
                started, process = time.perf_counter(), time.process_time()
                # int8's one activation scale a run: one text a run, as encode_batch runs it
                size = 1 if precision == "int8" else batch_size
                vectors = encoder.encode_by_length(texts, batch_size=size)
                seconds, cpu_s = time.perf_counter() - started, time.process_time() - process
                encoder._tokenizer.enable_truncation(max_length=256)
                if reference is None:
                    reference = vectors  # fp32 at the first cap and batch size
                print(
                    f"  {precision} cap {cap} batch {size}: {seconds:.1f} s, {cpu_s:.1f} "
                    f"CPU s, {len(films) / seconds:.1f} films/s, {len(films) / cpu_s:.2f} films "
                    f"per CPU s; cosine to the first row's vectors {_cosines(reference, vectors)}",
                    flush=True,
                )


def reindex(*, count: int) -> None:
    from bench import _support
    from bench.ingest import cpu_seconds

    stack = _support.isolated_environment(broker="embedded", catalogue="tmdb")
    try:
        import django

        django.setup()
        from django.conf import settings

        from movies.models import Movie
        from recommendations import query_encoder
        from recommendations.indexing import services

        ids = list(Movie.objects.order_by("pk").values_list("pk", flat=True))
        step = max(len(ids) // count, 1)
        ids, others = ids[::step][:count], ids[1::step][:10]
        warm_up: list = []  # the first re-embed's one-off costs (queries, Chroma) are not timed
        services.index_reembed(movie_ids=others, dispatch=warm_up.append)
        for batch in warm_up:
            services.index_batch(batch=batch)
        chroma = stack["chroma"].pid
        fp32_batches = query_encoder.get_batch_encoder
        int8_batches = _encoder("int8", threads=0)
        for precision in PRECISIONS:
            # The setting stays fp32: in int8 the catalogue's fingerprint would ask for a
            # rebuild first. The int8 pass swaps the encoder in and runs one text per run,
            # as encode_batch runs int8.
            if precision == "int8":
                query_encoder.get_batch_encoder = lambda: int8_batches
                settings.RECSYS_EMBEDDING_BATCH_SIZE = 1
            query_encoder.encode_batch(["warm up", "a second text"])
            batches: list = []
            started, process = time.perf_counter(), time.process_time()
            server = cpu_seconds([chroma])
            job = services.index_reembed(movie_ids=ids, dispatch=batches.append)
            for batch in batches:
                services.index_batch(batch=batch)
            seconds = time.perf_counter() - started
            own, server = time.process_time() - process, cpu_seconds([chroma]) - server
            job.refresh_from_db()
            print(
                f"{precision}: {job.done} films re-embedded ({job.failed} failed) in {seconds:.1f} "
                f"s, {own:.1f} CPU s here + {server:.1f} in Chroma: "
                f"{job.done / (own + server):.2f} films per CPU s",
                flush=True,
            )
        query_encoder.get_batch_encoder = fp32_batches
    finally:
        stack["chroma"].stop()
        shutil.rmtree(stack["data_dir"], ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--films", action="store_true", help="quantized film vectors too")
    q.add_argument("--films-in", default="int8", help="their precision (int8-per-token)")
    q.add_argument("--held-out", action="store_true", help="the held-out quarter, once")
    q.add_argument("--only-int8", action="store_true", help="the int8 row alone")
    q.add_argument(
        "--queries-in", default="int8", help="the quantized query precision (int8-per-token)"
    )
    q.add_argument("--data-dir", type=Path, help="a copy of the catalogue to run on")
    s = sub.add_parser("speed")
    s.add_argument("--films", type=int, default=2000)
    s.add_argument("--max-tokens", type=int, nargs="+", default=[256])
    s.add_argument("--batch-size", type=int, nargs="+", default=[64])
    s.add_argument("--precisions", nargs=2, default=["fp32", "int8"], metavar=("BASE", "OTHER"))
    pq = sub.add_parser("paired")
    pq.add_argument("--queries-in", default="int8-per-token")
    pq.add_argument("--films-in", default="fp32", help="film vectors re-encoded in this")
    pq.add_argument("--baseline-queries", default="fp32", help="the baseline's query precision")
    pq.add_argument(
        "--part", default="validation", choices=["validation", "retriever-validation", "all"]
    )
    pq.add_argument("--data-dir", type=Path, help="a copy of the catalogue to run on")
    r = sub.add_parser("reindex")
    r.add_argument("--films", type=int, default=400)
    args = parser.parse_args()
    if args.what == "paired":
        paired(
            queries_in=args.queries_in,
            part_name=args.part,
            films_in=args.films_in,
            baseline_queries=args.baseline_queries,
            data_dir=args.data_dir,
        )
    elif args.what == "reindex":
        reindex(count=args.films)
    elif args.what == "quality":
        quality(
            films=args.films,
            held_out=args.held_out,
            only_int8=args.only_int8,
            queries_in=args.queries_in,
            films_in=args.films_in,
            data_dir=args.data_dir,
        )
    else:
        speed(
            count=args.films,
            max_tokens=args.max_tokens,
            batch_sizes=args.batch_size,
            precisions=args.precisions,
        )


if __name__ == "__main__":
    main()
