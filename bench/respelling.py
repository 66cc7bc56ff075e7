"""Misspelled words read as the catalogue's nearest (recommendations/search/spelling.py),
against the query read as typed, query by query, on the TMDB bench catalogue.

    python -m bench.catalogues tmdb                     # once, cached under var/bench/
    python -m bench.respelling grid [--data-dir COPY]
    python -m bench.respelling paired --part validation|held-out [--data-dir COPY]

Queries: the graded short queries (data/short_queries.jsonl) as typed, and again with one
slip each (bench.surnames.misspelled, in the longest word of five letters or more the
catalogue knows); and tomt-dev's known-item queries of the lab's split (validation: 235, held
out: 372), first lines and whole, as typed (real posts, real slips). The short queries are
split in two by a hash of their id: "validation" and "held-out" as for tomt-dev.

grid: nDCG@10 of the final ranking ("reranked": the results as served), each setting tried,
on validation. The setting chosen is the
best mean over the four lists (short queries with a slip and as typed, tomt-dev first lines
and whole), each weighted alike.

paired: off against the defaults on a part, stage by stage, with 95% bootstrap intervals
(bench/paired.py).
"""

import argparse
import hashlib
from dataclasses import replace
from pathlib import Path

from bench.catalogues import setup_django
from bench.paired import compare_graded, compare_known_items, tomt_parts
from bench.surnames import misspelled

# (min letters, cut-off, min films, max words of the query: None for any)
SETTINGS = [(5, 80.0, 1, None), (5, 85.0, 1, None), (5, 90.0, 1, None), (4, 80.0, 1, None)]
SETTINGS += [(4, 85.0, 1, None), (6, 80.0, 1, None)]
SETTINGS += [(5, 80.0, 2, None), (5, 80.0, 3, None)]  # corrections held by 2 or 3 films at least
SETTINGS += [(5, 80.0, 1, words) for words in (6, 10, 15, 25)]  # long descriptions as typed


def _short_queries(part: str) -> dict:
    from recommendations.lab.short_queries import load_graded_queries
    from recommendations.search.lexical import tokenize

    half = "validation" if part == "validation" else "held-out"
    chosen = [
        q
        for q in load_graded_queries()
        if ("validation" if hashlib.sha256(q.id.encode()).digest()[0] % 2 == 0 else "held-out")
        == half
    ]
    slipped = []
    for query in chosen:
        words = [w for w in query.query.split() if len(w) >= 5 and w.isalpha() and tokenize(w)]
        if words:
            longest = max(words, key=len)
            slipped.append(replace(query, query=query.query.replace(longest, misspelled(longest))))
    return {"short queries, one slip": slipped, "short queries": chosen}


def _tomt(part: str) -> dict:
    return {f"tomt-dev {name}": items for name, items in reversed(tomt_parts(part).items())}


def _off():
    from recommendations.search.pipeline import DEFAULT_CONFIG

    return replace(DEFAULT_CONFIG, respell_words=False)


def grid(only: list[str]) -> None:
    from recommendations.lab.search_evaluation import evaluate
    from recommendations.lab.short_queries import evaluate_graded
    from recommendations.search.pipeline import DEFAULT_CONFIG

    short, tomt = _short_queries("validation"), _tomt("validation")
    sizes = ", ".join(f"{name} {len(q)}" for name, q in (short | tomt).items())
    print(f"validation: {sizes}; final nDCG@10 (graded for the short queries)")
    settings = [("off", _off())] + [
        (
            f"{chars}+ letters, cut-off {cutoff:.0f}"
            + (f", {films}+ films" if films > 1 else "")
            + (f", <= {words} words" if words else ""),
            replace(
                DEFAULT_CONFIG,
                respell_min_chars=chars,
                respell_cutoff=cutoff,
                respell_min_films=films,
                respell_max_words=words,
            ),
        )
        for chars, cutoff, films, words in SETTINGS
    ]
    settings = [s for s in settings if not only or s[0] in ("off", *only)]
    for name, config in settings:
        figures = [evaluate_graded(q, config=config).stages["reranked"] for q in short.values()]
        figures += [evaluate(q, config=config).stages["reranked"]["ndcg@10"] for q in tomt.values()]
        mean = sum(figures) / len(figures)
        print(f"  {name:28} {'  '.join(f'{f:.4f}' for f in figures)}   mean {mean:.4f}")


def paired(part: str) -> None:
    from recommendations.search.pipeline import DEFAULT_CONFIG

    runs = {"before": _off(), "after": DEFAULT_CONFIG}
    for name, queries in _short_queries(part).items():
        compare_graded(f"{part}, {name}", queries, runs)
    for name, items in _tomt(part).items():
        compare_known_items(f"{part}, {name}", items, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("grid", "paired"))
    parser.add_argument("--part", choices=("validation", "held-out"), default="validation")
    parser.add_argument("--data-dir", type=Path, default=None, help="a copy of the catalogue")
    parser.add_argument("--only", nargs="*", default=[], help="grid: these settings, and off")
    args = parser.parse_args()
    setup_django("tmdb", args.data_dir)
    if args.command == "grid":
        grid(args.only)
    else:
        paired(args.part)


if __name__ == "__main__":
    main()
