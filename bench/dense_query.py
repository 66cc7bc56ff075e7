"""The dense stage's query (recommendations/search/expansion.py): read without "film" and
"movie", and moved towards the films tagged with the words the model cannot read, against the
query as typed, query by query, on the TMDB bench catalogue (pretrained MiniLM).

    python -m bench.catalogues tmdb                     # once, cached under var/bench/
    python -m bench.dense_query grid [--data-dir COPY]
    python -m bench.dense_query paired --part validation|held-out [--short-queries]
                                       [--data-dir COPY]

grid: nDCG@10 of the dense and fused stages for each setting tried, on the 235 validation
queries of the lab's split (`evaluate --split validation`: what the learned stages choose on),
whole and their first lines (a tomt-dev question's title line: short and descriptive, as a
viewer types). The setting chosen is the best mean of the fused stage's two figures.

paired: the pipeline with both off against its defaults, on the validation or the 372
held-out queries (scored once, for the setting chosen), whole and first lines: each stage's
nDCG@10, the difference with its 95% bootstrap interval, the answers moved (bench/paired.py);
with --short-queries, the graded short queries (data/short_queries.jsonl) too.
"""

import argparse
from dataclasses import replace
from pathlib import Path

from bench.catalogues import setup_django
from bench.paired import compare_graded, compare_known_items, tomt_parts

WEIGHTS = (0.25, 0.5, 0.75, 1.0)
MIN_FILMS = (2, 3, 5, 10)


def _off():
    from recommendations.search.pipeline import DEFAULT_CONFIG

    return replace(DEFAULT_CONFIG, dense_drops_framing=False, keyword_meaning_weight=0.0)


def grid() -> None:
    from recommendations.lab.search_evaluation import evaluate

    parts = tomt_parts("validation")
    off = _off()
    settings = [("off", off), ("framing only", replace(off, dense_drops_framing=True))]
    settings += [
        (
            f"weight {w}, min films {m}",
            replace(off, dense_drops_framing=True, keyword_meaning_weight=w, keyword_min_films=m),
        )
        for w in WEIGHTS
        for m in MIN_FILMS
    ]
    settings.append(("meaning only, weight 0.5, min 3", replace(off, keyword_meaning_weight=0.5)))
    print(f"validation: {len(parts['whole'])} queries; dense / fused nDCG@10, whole | first lines")
    for name, config in settings:
        figures = []
        for items in parts.values():
            stages = evaluate(items, config=config).stages
            figures.append(f"{stages['dense']['ndcg@10']:.4f} / {stages['fused']['ndcg@10']:.4f}")
        print(f"  {name:32} {' | '.join(figures)}", flush=True)


def paired(part: str, short_queries: bool) -> None:
    from recommendations.search.pipeline import DEFAULT_CONFIG

    runs = {"before": _off(), "after": DEFAULT_CONFIG}
    for name, items in tomt_parts(part).items():
        compare_known_items(f"{part}, {name} (before: both off; after: the defaults)", items, runs)
    if short_queries:
        from recommendations.lab.short_queries import load_graded_queries

        compare_graded("short queries", load_graded_queries(), runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("grid", "paired"))
    parser.add_argument("--part", choices=("validation", "held-out"), default="validation")
    parser.add_argument("--short-queries", action="store_true")
    parser.add_argument("--data-dir", type=Path, default=None, help="a copy of the catalogue")
    args = parser.parse_args()
    setup_django("tmdb", args.data_dir)
    if args.command == "grid":
        grid()
    else:
        paired(args.part, args.short_queries)


if __name__ == "__main__":
    main()
