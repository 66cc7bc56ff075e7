"""Two runs of the same queries compared query by query: the mean difference with a 95%
bootstrap interval (10,000 resamples of the queries, fixed seed) and how many queries moved.
Whether a difference is more than the noise of near-ties is what the interval says."""

import numpy as np

from bench.catalogues import SHARED_DATA


def bootstrap_interval(differences: np.ndarray) -> tuple[float, float]:
    rng = np.random.default_rng(20)
    samples = rng.integers(0, len(differences), size=(10_000, len(differences)))
    low, high = np.percentile(differences[samples].mean(axis=1), [2.5, 97.5])
    return float(low), float(high)


def print_paired_ranks(stage: str, before: list[int | None], after: list[int | None]) -> None:
    """Known-item queries: each run's rank of the answer (None: outside the top 100)."""
    from recommendations.lab.metrics import known_item_metrics

    def ndcg(rank: int | None) -> float:
        return known_item_metrics(rank)["ndcg@10"]

    a, b = np.array([ndcg(r) for r in before]), np.array([ndcg(r) for r in after])
    differences = b - a
    low, high = bootstrap_interval(differences)
    far = len(before) + 1000  # an answer outside the top 100 ranks below every one inside
    up = sum((y or far) < (x or far) for x, y in zip(before, after, strict=True))
    down = sum((y or far) > (x or far) for x, y in zip(before, after, strict=True))
    top10 = sum(
        x != y and min(x or far, y or far) <= 10 for x, y in zip(before, after, strict=True)
    )
    print(
        f"  {stage:9} nDCG@10 {a.mean():.4f} -> {b.mean():.4f}  difference "
        f"{differences.mean():+.4f} (95% {low:+.4f} .. {high:+.4f})  answers up {up}, "
        f"down {down}, moved within or across the top 10: {top10}",
        flush=True,
    )


def print_paired_scores(stage: str, before: list[float], after: list[float]) -> None:
    """Graded queries: each run's score per query (graded nDCG@10)."""
    a, b = np.array(before), np.array(after)
    differences = b - a
    low, high = bootstrap_interval(differences)
    print(
        f"  {stage:9} graded nDCG@10 {a.mean():.4f} -> {b.mean():.4f}  difference "
        f"{differences.mean():+.4f} (95% {low:+.4f} .. {high:+.4f})  queries better "
        f"{int((differences > 0).sum())}, worse {int((differences < 0).sum())}",
        flush=True,
    )


def tomt_parts(part: str) -> dict:
    """tomt-dev's known-item queries with an answer in the catalogue, of the lab's split
    ("validation" or "held-out"), whole and their first lines."""
    from recommendations.lab.fusion_training import first_lines
    from recommendations.lab.queries import with_answers
    from recommendations.lab.search_evaluation import in_split, load_queries

    queries = load_queries(SHARED_DATA / "queries" / "tomt-dev.jsonl")
    chosen, _ = with_answers(in_split(queries, part))
    return {"whole": chosen, "first lines": first_lines(chosen)}


def compare_known_items(title: str, items: list, runs: dict) -> None:
    """Each pipeline config of `runs` ({"before": …, "after": …}) on known-item queries,
    stage by stage."""
    from recommendations.lab.search_evaluation import answer_ranks

    ranks = {run: [answer_ranks(q, config=c) for q in items] for run, c in runs.items()}
    print(f"{title}: {len(items)} queries")
    for stage in ranks["before"][0]:
        print_paired_ranks(stage, *([r[stage] for r in ranks[run]] for run in runs))


def compare_graded(title: str, queries: list, runs: dict) -> None:
    """The same on graded queries (those with a judged film in the catalogue)."""
    from recommendations.lab.short_queries import evaluate_graded

    reports = {run: evaluate_graded(queries, config=c) for run, c in runs.items()}
    ids = list(reports["before"].per_query)
    print(f"{title}: {len(ids)} with a judged film in the catalogue")
    for stage in reports["before"].stages:
        print_paired_scores(
            stage, *([reports[run].per_query[i][stage] for i in ids] for run in runs)
        )
