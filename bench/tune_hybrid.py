"""Choose the hybrid's blend (algorithms.HybridParams) on a VALIDATION split: each MovieLens
user's training part (first 80%) is split again in time, its last 20% held out. The test part
that evaluate_recs reports on is never looked at.

    python -m bench.tune_hybrid
"""

import itertools
import os
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")

import django  # noqa: E402

django.setup()

from recommendations.embedding import encode  # noqa: E402
from recommendations.lab import recommender_evaluation as evaluation  # noqa: E402
from recommendations.recommenders import algorithms  # noqa: E402

MOVIELENS = ROOT.parent / "shared" / "data" / "movielens"
# Second round, around the first round's best (content_half_life 0.5/2/8, content_floor 0/0.1,
# popularity_weight 0/0.5/1/2, popularity_half_life 2/10/50: best 8, 0, 2, 10; the floor hardly
# mattered).
GRID = {
    "content_half_life": [2.0, 8.0, 32.0],
    "content_floor": [0.0],
    "popularity_weight": [1.0, 2.0, 3.0, 5.0],
    "popularity_half_life": [10.0, 30.0],
}


def main() -> None:
    split = evaluation.time_split(evaluation.ratings_read(MOVIELENS / "ratings.csv"))
    validation = evaluation.split_histories(split.train)
    fitted = evaluation.Fitted(validation, evaluation.movielens_vectors(MOVIELENS, encode))
    popularity = algorithms.standardise(np.log1p(fitted.popularity))
    cases = []  # (scenario, n, collab_z, content_z, history, relevant)
    for scenario, limit in evaluation.SCENARIOS.items():
        for user in fitted.users:
            history = fitted.history(validation.train[user][:limit])
            blend = algorithms.hybrid_scores(
                collaborative=fitted.ease(history),
                content=fitted.content(history),
                n_likes=len(history),
                has_vector=fitted.has_vector,
                in_collaborative=fitted.in_collaborative,
            )
            relevant = set(validation.test[user])
            cases.append((scenario, blend.collaborative, blend.content, history, relevant))
    print(f"validation: {len(fitted.users)} users, {len(cases)} cases", flush=True)
    results = []
    for values in itertools.product(*GRID.values()):
        params = algorithms.HybridParams(**dict(zip(GRID, values, strict=True)))
        ndcg: dict[str, list[float]] = {s: [] for s in evaluation.SCENARIOS}
        for scenario, collab, content, history, relevant in cases:
            wc = algorithms.content_weight(len(history), params)
            wp = algorithms.popularity_prior_weight(len(history), params)
            scores = (1 - wc) * collab + wc * content + wp * popularity
            best = algorithms.top_n(scores, evaluation.K, exclude=history)
            ranked = [int(fitted.items[i]) for i in best]
            ndcg[scenario].append(evaluation.ndcg_at_k(ranked, relevant))
        means = {s: float(np.mean(v)) for s, v in ndcg.items()}
        results.append((float(np.mean(list(means.values()))), means, params))
    results.sort(key=lambda r: -r[0])
    for mean, means, params in results[:8]:
        figures = "  ".join(f"{s}: {v:.4f}" for s, v in means.items())
        print(f"mean NDCG@10 {mean:.4f}  {figures}  {params}")


if __name__ == "__main__":
    main()
