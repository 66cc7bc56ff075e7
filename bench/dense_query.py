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

from bench.catalogues import SHARED_DATA, setup_django
from bench.paired import print_paired_ranks, print_paired_scores

WEIGHTS = (0.25, 0.5, 0.75, 1.0)
MIN_FILMS = (2, 3, 5, 10)


def _parts(part: str):
    from recommendations.lab.fusion_training import first_lines
    from recommendations.lab.queries import with_answers
    from recommendations.lab.search_evaluation import in_split, load_queries

    queries = load_queries(SHARED_DATA / "queries" / "tomt-dev.jsonl")
    chosen, _ = with_answers(in_split(queries, part))
    return {"whole": chosen, "first lines": first_lines(chosen)}


def _off():
    from recommendations.search.pipeline import DEFAULT_CONFIG

    return replace(DEFAULT_CONFIG, dense_drops_framing=False, keyword_meaning_weight=0.0)


def grid() -> None:
    from recommendations.lab.search_evaluation import evaluate

    parts = _parts("validation")
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
    from recommendations.lab.search_evaluation import answer_ranks
    from recommendations.search.pipeline import DEFAULT_CONFIG

    runs = {"before": _off(), "after": DEFAULT_CONFIG}
    for name, items in _parts(part).items():
        ranks = {run: [answer_ranks(q, config=c) for q in items] for run, c in runs.items()}
        print(f"{part}, {name}: {len(items)} queries; before: both off; after: the defaults")
        for stage in ranks["before"][0]:
            print_paired_ranks(stage, *([r[stage] for r in ranks[run]] for run in runs))
    if short_queries:
        from recommendations.lab.short_queries import evaluate_graded, load_graded_queries

        graded = load_graded_queries()
        reports = {run: evaluate_graded(graded, config=c) for run, c in runs.items()}
        ids = list(reports["before"].per_query)
        print(f"short queries: {len(ids)} with a judged film in the catalogue")
        for stage in reports["before"].stages:
            print_paired_scores(
                stage, *([reports[run].per_query[i][stage] for i in ids] for run in runs)
            )


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
