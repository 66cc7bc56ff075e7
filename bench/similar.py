"""'More like this' before and after: the film vector's cosine alone (before) against the blend
of recommendations/similar.py (after), for 20 well-known films, top 5 each, with counts of what
the top 5 share with the film (director, cast, keywords, genres, co-liked by MovieLens raters)
and how many share only a title word. Then the film page's server time.

    python -m bench.similar [--catalogue bundled|tmdb] [--requests 60] [--tune]
    python -m bench.similar --page-only [--code OTHER_CHECKOUT]
    python -m bench.similar --title-queries [--catalogue tmdb] [--requests 60]
    python -m bench.similar --person-queries [--requests 60]

--title-queries: the same 20 films searched for by title (as typed, lower case), and the five
films search lists after the title match, before (the pipeline's own order: films sharing
the title's words and the query's vector) and after (the films most like the named film, as
the film page's "More like this" ranks them), marked the same way; then the search's server
time, result cache emptied before each, the two alternated. --person-queries: the same for 10
directors and actors searched for by name, the 5 films after all of theirs, each marked with
what it shares with any of their films.

bundled: data/catalogue.jsonl (451 films, what `make run` serves) with the MovieLens ratings
of those films (import_ratings) and a trained recommender, in var/bench-similar.
tmdb: TMDB 5000 (/work/shared/data/catalogues, genres and keywords, no credits, no ratings),
in var/bench-similar-tmdb, a copy of the TMDB bench catalogue (bench/catalogues.py). Each is
set up once (import, index, train) and reused.
"""

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
if "--code" in sys.argv:  # time the film page of another checkout (the code before) on our data
    sys.path.insert(0, sys.argv[sys.argv.index("--code") + 1])

CATALOGUES = {"bundled": "bench-similar", "tmdb": "bench-similar-tmdb"}


def _environment(catalogue: str) -> None:
    data_dir = Path(
        os.environ.setdefault("RECSYS_DATA_DIR", str(ROOT / "var" / CATALOGUES[catalogue]))
    )
    if catalogue == "tmdb" and not (data_dir / "db.sqlite3").exists():
        from bench.catalogues import copy_catalogue

        copy_catalogue("tmdb", data_dir)  # imported and indexed once, by bench/catalogues.py
    os.environ.setdefault("DJANGO_DEBUG", "false")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("DJANGO_SESSION_COOKIE_SECURE", "false")
    os.environ.setdefault("DJANGO_CSRF_COOKIE_SECURE", "false")
    os.environ["REDIS_URL"] = ""
    os.environ["RECSYS_CHROMA_URL"] = ""  # embedded Chroma in the bench's own data dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")
    import django

    django.setup()


MOVIELENS = ROOT.parent / "shared" / "data" / "movielens"

# Well-known films of the bundled catalogue (all 20 are there; TMDB 5000 has most of them).
FILMS = [
    ("Heat", 1995),
    ("The Godfather", 1972),
    ("Alien", 1979),
    ("Jaws", 1975),
    ("Toy Story", 1995),
    ("The Matrix", 1999),
    ("Pulp Fiction", 1994),
    ("Casablanca", 1942),
    ("Star Wars: Episode IV - A New Hope", 1977),
    ("The Shining", 1980),
    ("Goodfellas", 1990),
    ("Die Hard", 1988),
    ("Titanic", 1997),
    ("Fargo", 1996),
    ("The Silence of the Lambs", 1991),
    ("Vertigo", 1958),
    ("Spirited Away", 2001),
    ("Inception", 2010),
    ("Some Like It Hot", 1959),
    ("The Dark Knight", 2008),
]
# The same film under its TMDB title.
ALIASES = {"Star Wars: Episode IV - A New Hope": "Star Wars"}
TOP = 5
# Title words that say nothing about a film.
STOP = {"the", "a", "an", "of", "in", "and", "on", "to", "it", "at", "for", "my", "s", "part"}


def set_up(catalogue: str) -> None:
    from django.core.management import call_command

    from movies.models import Movie
    from recommendations.models import TrainedModel

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: manifest files
    if not Movie.objects.exists():
        started = time.monotonic()
        call_command("import_movies", "--format", "jsonl", str(ROOT / "data/catalogue.jsonl"))
        call_command("sync_index")
        print(f"imported and indexed in {time.monotonic() - started:.0f} s", flush=True)
    if catalogue == "bundled" and not TrainedModel.objects.filter(is_active=True).exists():
        call_command("import_ratings", str(MOVIELENS / "ratings.csv"), verbosity=0)
        from recommendations.lab.recommender_training import recommender_train

        print("trained", recommender_train().metrics, flush=True)


# --- What two films share -------------------------------------------------------------------


def _words(title: str) -> set[str]:
    import re

    return {w for w in re.findall(r"[a-z0-9]+", title.lower()) if w not in STOP}


def film_facts(ids: list[int]) -> dict:
    from recommendations.recommenders.reasons import film_facts as facts_of

    return facts_of(set(ids))


def co_liked_sets(ids: np.ndarray, neighbours: int = 20) -> dict[int, set[int]]:
    """Each film's `neighbours` nearest by MovieLens item-kNN (cosine over raters, at least
    MIN_CO_RATERS raters in common): what the raters say goes together."""
    cosine, together = rating_cosine(ids)
    out = {}
    for i, movie_id in enumerate(ids.tolist()):
        row = np.where(together[i] >= MIN_CO_RATERS, cosine[i], 0.0)
        row[i] = 0.0
        best = [j for j in np.argsort(-row)[:neighbours] if row[j] > 0]
        out[movie_id] = {int(ids[j]) for j in best}
    return out


MIN_CO_RATERS = 3


def rating_matrix(ids: np.ndarray, raters: set[int] | None = None) -> sp.csr_matrix:
    from viewers.models import Rating

    pairs = Rating.objects.values_list("rater", "movie_id")
    rows, columns, index = [], [], {}
    for rater, movie_id in pairs.iterator(20000):
        if raters is not None and rater not in raters:
            continue
        rows.append(index.setdefault(rater, len(index)))
        columns.append(int(np.searchsorted(ids, movie_id)))
    data = np.ones(len(rows), dtype=np.float32)
    return sp.csr_matrix((data, (rows, columns)), shape=(len(index), len(ids)))


def rating_cosine(ids: np.ndarray, raters: set[int] | None = None):
    """(cosine, raters in common), films x films, from the imported ratings."""
    X = rating_matrix(ids, raters)
    together = (X.T @ X).toarray()
    counts = np.diag(together).copy()
    norms = np.sqrt(np.maximum(counts, 1))
    return together / norms[:, None] / norms[None, :], together


def judge(film: int, other: int, facts: dict, co_liked: dict[int, set[int]]) -> str:
    """Letters for what `other` shares with `film`: D director, C cast, K keyword, G genre,
    L co-liked in MovieLens, T a title word."""
    a, b = facts[film], facts[other]

    def shared(x, y):
        return {v.lower() for v in x} & {v.lower() for v in y}

    marks = ""
    marks += "D" if shared(a.directors, b.directors) else ""
    marks += "C" if shared(a.cast, b.cast) else ""
    marks += "K" if shared(a.keywords, b.keywords) else ""
    marks += "G" if shared(a.genres, b.genres) else ""
    marks += "L" if other in co_liked.get(film, set()) else ""
    marks += "T" if _words(a.title) & _words(b.title) else ""
    return marks


def counts(marks: list[str]) -> dict[str, int]:
    tally = Counter()
    for m in marks:
        for letter in m:
            tally[letter] += 1
        tally["credits"] += bool(set(m) & set("DC"))
        tally["D/C/K/L"] += bool(set(m) & set("DCKL"))
        tally["title word only"] += "T" in m and not set(m) & set("DCKL")
        tally["nothing shared"] += not m
    return tally


# --- Before and after ------------------------------------------------------------------------


def compare(catalogue: str) -> None:
    from movies.models import Movie
    from recommendations.selectors import movie_similar
    from recommendations.similar import VECTOR_ONLY, WEIGHTS

    ids = np.fromiter(Movie.objects.order_by("pk").values_list("pk", flat=True), np.int64)
    wanted = []
    for title, year in FILMS:
        titles = (title, ALIASES.get(title, title))
        movie = Movie.objects.filter(title__in=titles, year=year).first()
        if movie is not None:
            wanted.append(movie)
    co_liked = co_liked_sets(ids) if catalogue == "bundled" else {}
    results = {}
    for movie in wanted:
        before = [
            r.movie.pk for r in movie_similar(movie.pk, top_k=TOP, weights=VECTOR_ONLY).results
        ]
        after_response = movie_similar(movie.pk, top_k=TOP, weights=WEIGHTS)
        after = [r.movie.pk for r in after_response.results]
        reasons = {r.movie.pk: r.reason for r in after_response.results}
        results[movie.pk] = (before, after, reasons)
    facts = film_facts([m.pk for m in wanted] + [x for b, a, _ in results.values() for x in b + a])
    print(f"weights {WEIGHTS}\n")
    print("| Film | Before: film vector alone | After: blend |")
    print("|---|---|---|")
    marks_before, marks_after = [], []
    for movie in wanted:
        before, after, reasons = results[movie.pk]
        cells = []
        for picks, sink in ((before, marks_before), (after, marks_after)):
            items = []
            for pk in picks:
                mark = judge(movie.pk, pk, facts, co_liked)
                sink.append(mark)
                items.append(f"{facts[pk].title} `{mark or '-'}`")
            cells.append("<br>".join(items))
        print(f"| {movie.title} ({movie.year}) | {cells[0]} | {cells[1]} |")
    print(
        f"\n{len(wanted)} films, top {TOP}: {len(marks_before)} results each side. Marks: "
        "D same director, C shared leading cast, K shared keyword, G shared genre, "
        "L co-liked (among the film's 20 MovieLens item-kNN neighbours), T shares a title word."
    )
    b, a = counts(marks_before), counts(marks_after)
    print("\n| results sharing | before | after |\n|---|---|---|")
    for key in (
        "D",
        "C",
        "K",
        "G",
        "L",
        "T",
        "credits",
        "D/C/K/L",
        "title word only",
        "nothing shared",
    ):
        print(f"| {key} | {b[key]} | {a[key]} |")


# --- Choosing the weights ----------------------------------------------------------------------

# Content and credits, co-liking held out. The blend is unchanged by scaling every weight, so
# the film vector's is fixed at 1.
GRID = {
    "film_vector": (1.0,),
    "synopsis": (0.0, 0.25, 0.5, 1.0),
    "director": (0.25, 0.5, 1.0, 2.0),
    "cast": (0.25, 0.5, 1.0, 2.0),
    "keywords": (0.0, 0.25, 0.5, 1.0),
    "genres": (0.25, 0.5, 1.0, 2.0),
}
CO_LIKED = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
AT = 10


def tune() -> None:
    """How the weights were chosen. Truth: each film's 10 nearest by item-kNN over half the
    MovieLens raters (even ids); the co-liking signal comes from the other half (odd ids), so it
    never sees the answers. 1) content and credit weights: the grid point with the best
    precision@10 against the truth, co-liking left out; 2) co-liking: swept on top of them.
    Also counted, for every film of the catalogue: top-5 results that share only a title word."""
    import itertools

    from movies.models import Movie
    from recommendations.search.catalogue import get_snapshot
    from recommendations.search.dense import get_dense_index
    from recommendations.similar import WEIGHTS, similar_signals
    from viewers.models import Rating

    snapshot = get_snapshot()
    dense = get_dense_index(snapshot)
    ids = snapshot.ids
    n = len(ids)
    raters = set(Rating.objects.values_list("rater", flat=True).distinct())
    half_signal = {r for r in raters if r % 2}
    signal_cosine, signal_together = rating_cosine(ids, half_signal)
    truth_cosine, truth_together = rating_cosine(ids, raters - half_signal)
    co_liked_all = co_liked_sets(ids)
    names = [*GRID, "co_liked"]
    layers = {name: np.zeros((n, n), np.float32) for name in names}
    truth = np.zeros((n, n), dtype=bool)
    related = np.zeros((n, n), dtype=bool)  # shares director, cast, keyword, or co-liked
    titles = dict(Movie.objects.values_list("pk", "title"))
    words = [_words(titles[int(pk)]) for pk in ids]
    title_word = np.array([[bool(words[i] & words[j]) for j in range(n)] for i in range(n)])
    position = {int(pk): i for i, pk in enumerate(ids)}
    for i, movie_id in enumerate(ids.tolist()):
        signals = similar_signals(snapshot, dense, int(movie_id))
        for name in GRID:
            layers[name][i] = getattr(signals, name)
        related[i] = (signals.director > 0) | (signals.cast > 0) | (signals.keywords > 0)
        related[i, [position[m] for m in co_liked_all[movie_id]]] = True
        row = np.where(signal_together[i] >= 2, signal_cosine[i], 0.0)
        row[i] = 0.0
        layers["co_liked"][i] = row / row.max() if row.max() > 0 else row
        t = np.where(truth_together[i] >= MIN_CO_RATERS, truth_cosine[i], 0.0)
        t[i] = 0.0
        best = np.argsort(-t)[:AT]
        truth[i, best[t[best] > 0]] = True
    judged = truth.sum(axis=1) >= AT
    only_title_word = title_word & ~related
    print(f"{judged.sum()} of {n} films have {AT} co-liked neighbours among the truth raters")
    diagonal = np.eye(n, dtype=bool)

    def top(weights: dict[str, float], k: int) -> np.ndarray:
        scores = sum(w * layers[name] for name, w in weights.items() if w)
        scores = np.where(diagonal, -np.inf, scores)
        best = np.argpartition(-scores, k, axis=1)[:, :k]
        return best

    def precision(weights: dict[str, float]) -> float:
        return float(np.take_along_axis(truth, top(weights, AT), axis=1)[judged].mean())

    def title_only(weights: dict[str, float]) -> int:
        return int(np.take_along_axis(only_title_word, top(weights, TOP), axis=1).sum())

    def show(label: str, weights: dict[str, float]) -> None:
        print(
            f"{label:<28} precision@{AT} {precision(weights):.3f}, top-5 title-word-only "
            f"{title_only(weights):>3}  {weights}"
        )

    show("film vector alone", {"film_vector": 1.0})
    results = []
    for values in itertools.product(*GRID.values()):
        weights = dict(zip(GRID, values, strict=True))
        results.append((precision(weights), weights))
    results.sort(key=lambda r: -r[0])
    show("1) most precise", results[0][1])
    # The rule: the most precise point whose top 5 hold at most a quarter of the film vector's
    # title-word-only results (co-liking predicts taste, not whether title words lead).
    cap = title_only({"film_vector": 1.0}) // 4
    front, fewest = [], None
    for _, weights in results:  # most precise first: the Pareto front on (precision, title)
        count = title_only(weights)
        if fewest is None or count < fewest:
            fewest = count
            front.append(weights)
    for weights in front:
        show("   Pareto front", weights)
    best = next(w for w in front if title_only(w) <= cap)
    show(f"1) chosen (title-only <= {cap})", best)
    for weight in CO_LIKED:
        show(f"2) + co_liked {weight}", best | {"co_liked": weight})
    show("WEIGHTS (in use)", vars(WEIGHTS))


# --- Film page time ----------------------------------------------------------------------------


@contextlib.contextmanager
def _pipeline_order_after_titles():
    """Search as before the films most like a named one (or a named person's): the pipeline's
    order after the matches."""
    import recommendations.selectors as selectors

    kept = selectors._like_named_films
    selectors._like_named_films = lambda result: None
    try:
        yield
    finally:
        selectors._like_named_films = kept


def _after_the_lead(query: str, lead: set[int]) -> list[int] | None:
    """The TOP films after the `lead` films, where the search puts those first."""
    from recommendations.search.result_cache import clear_search_results
    from recommendations.selectors import movie_search

    clear_search_results()
    results = movie_search(query, top_k=len(lead) + TOP).results
    if {r.movie.pk for r in results[: len(lead)]} != lead:
        return None
    return [r.movie.pk for r in results[len(lead) :]]


# Directors and actors of the bundled catalogue, searched for by name (as typed, lower case).
PEOPLE = [
    "Stanley Kubrick",
    "Steven Spielberg",
    "Alfred Hitchcock",
    "Martin Scorsese",
    "Hayao Miyazaki",
    "Christopher Nolan",
    "Akira Kurosawa",
    "Billy Wilder",
    "Tom Hanks",
    "Robert De Niro",
]


def person_queries(catalogue: str, requests: int) -> None:
    """As title_queries, for people: the TOP films after the person's films, each marked with
    what it shares with any of them."""
    from movies.models import Movie

    searched = []
    for name in PEOPLE:
        films = set(Movie.objects.filter(credits__person__name=name).values_list("pk", flat=True))
        if films:
            searched.append((name.lower(), films))
    found = _compare_after_the_lead(catalogue, searched, "the films most like theirs")
    print(
        f"\n{found} of {len(PEOPLE)} name searches put the person's films first; the {TOP} "
        "films after them, marked with what they share with any of them."
    )
    _title_search_time([query for query, _ in searched], requests, what="name search")


def title_queries(catalogue: str, requests: int) -> None:
    from movies.models import Movie

    searched = []
    for title, year in FILMS:
        movie = Movie.objects.filter(title__in=(title, ALIASES.get(title, title)), year=year)
        if (movie := movie.first()) is not None:
            searched.append((movie.title.lower(), {movie.pk}))
    found = _compare_after_the_lead(catalogue, searched, "the films most like it")
    print(
        f"\n{found} of {len(searched)} title searches found their film first; the {TOP} films "
        "after it, marked as above."
    )
    _title_search_time([query for query, _ in searched], requests)


def _compare_after_the_lead(
    catalogue: str, searched: list[tuple[str, set[int]]], after_label: str
) -> int:
    """For each (query, the films it should put first): the TOP films after those, before
    (the pipeline's order) and after, printed marked as compare() marks them (against any of
    the lead films), then the counts. Returns how many queries put their films first."""
    from movies.models import Movie

    ids = np.fromiter(Movie.objects.order_by("pk").values_list("pk", flat=True), np.int64)
    co_liked = co_liked_sets(ids) if catalogue == "bundled" else {}
    results = []
    for query, lead in searched:
        with _pipeline_order_after_titles():
            before = _after_the_lead(query, lead)
        after = _after_the_lead(query, lead)
        if before is not None and after is not None:
            results.append((query, lead, before, after))
    facts = film_facts([x for _, lead, b, a in results for x in (*lead, *b, *a)])
    print(f"| Query | Before: the pipeline's order | After: {after_label} |\n|---|---|---|")
    marks_before, marks_after = [], []
    for query, lead, before, after in results:
        cells = []
        for picks, sink in ((before, marks_before), (after, marks_after)):
            items = []
            for other in picks:
                shared = {letter for pk in lead for letter in judge(pk, other, facts, co_liked)}
                mark = "".join(letter for letter in "DCKGLT" if letter in shared)
                sink.append(mark)
                items.append(f"{facts[other].title} `{mark or '-'}`")
            cells.append("<br>".join(items))
        print(f"| {query} | {cells[0]} | {cells[1]} |")
    b, a = counts(marks_before), counts(marks_after)
    print("\n| results sharing | before | after |\n|---|---|---|")
    for key in ("D", "C", "K", "G", "L", "T", "credits", "D/C/K/L", "title word only"):
        print(f"| {key} | {b[key]} | {a[key]} |")
    print(f"| nothing shared | {b['nothing shared']} | {a['nothing shared']} |")
    return len(results)


def _title_search_time(queries: list[str], requests: int, what: str = "title search") -> None:
    from recommendations.search.result_cache import clear_search_results
    from recommendations.selectors import movie_search
    from recsys_site.warmup import limit_serving_threads

    limit_serving_threads()  # numeric pools capped as in a web worker (gunicorn's warm-up)
    for query in queries:  # warm: snapshot, vectors, model, the similar signals' tables
        movie_search(query)
    times = {"before": ([], []), "after": ([], [])}
    for n in range(requests):
        for mode in ("before", "after") if n % 2 else ("after", "before"):
            clear_search_results()
            context = (
                _pipeline_order_after_titles() if mode == "before" else contextlib.nullcontext()
            )
            with context:
                started, started_cpu = time.perf_counter(), time.process_time()
                movie_search(queries[n % len(queries)])
            times[mode][0].append((time.perf_counter() - started) * 1000)
            times[mode][1].append((time.process_time() - started_cpu) * 1000)
    p95 = lambda v: statistics.quantiles(v, n=20, method="inclusive")[18]  # noqa: E731
    for mode, (wall, cpu) in times.items():
        print(
            f"{what}, {mode}, {requests} searches over {len(queries)} queries: wall p50 "
            f"{statistics.median(wall):.1f} ms p95 {p95(wall):.1f} ms; CPU p50 "
            f"{statistics.median(cpu):.1f} ms p95 {p95(cpu):.1f} ms "
            f"(load average {os.getloadavg()[0]:.1f})"
        )


def page_time(requests: int) -> None:
    from django.test import Client

    import recommendations.selectors
    from movies.models import Movie

    print(f"code: {Path(recommendations.selectors.__file__).parent.parent}")
    client = Client()
    names = [t for t, _ in FILMS] + list(ALIASES.values())
    pks = [m.pk for m in Movie.objects.filter(title__in=names)]
    for pk in pks:
        assert client.get(f"/movies/{pk}/").status_code == 200  # warm: snapshot, vectors, model
    wall, cpu = [], []
    for n in range(requests):
        pk = pks[n % len(pks)]
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(f"/movies/{pk}/")
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200
    p95 = lambda v: statistics.quantiles(v, n=20, method="inclusive")[18]  # noqa: E731
    print(
        f"film page, {requests} requests over {len(pks)} films: wall p50 "
        f"{statistics.median(wall):.1f} ms p95 {p95(wall):.1f} ms; CPU p50 "
        f"{statistics.median(cpu):.1f} ms p95 {p95(cpu):.1f} ms "
        f"(load average {os.getloadavg()[0]:.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--catalogue", choices=sorted(CATALOGUES), default="bundled")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--tune", action="store_true", help="grid-search the weights")
    parser.add_argument("--set-up-only", action="store_true")
    parser.add_argument("--page-only", action="store_true", help="only time the film page")
    parser.add_argument("--code", help="checkout whose code serves the page (--page-only)")
    parser.add_argument("--title-queries", action="store_true", help="search by title")
    parser.add_argument("--person-queries", action="store_true", help="search by name")
    args = parser.parse_args()
    _environment(args.catalogue)
    set_up(args.catalogue)
    if args.set_up_only:
        return
    if args.tune:
        tune()
        return
    if args.title_queries:
        title_queries(args.catalogue, args.requests)
        return
    if args.person_queries:
        person_queries(args.catalogue, args.requests)
        return
    if not args.page_only:
        compare(args.catalogue)
    page_time(args.requests)


if __name__ == "__main__":
    main()
