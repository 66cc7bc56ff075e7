"""Choose the home rows' blend (algorithms.RowBlend) on a VALIDATION split: each MovieLens
user's training part (first 80%) is split again in time, its last 20% held out. The test part
that evaluate_recs reports on is never looked at. As in evaluate_recs, the candidates are the
films the user has not watched in the (validation) training part, however few they told us.
Each history band is tuned on its own scenario: 1 like on "first 1 film", 2-5 likes on "first 3
films", more on "full history". The short-history bands also try a co-occurrence weight
(RowBlend.cooccurrence: "viewers who watched your films also watched", algorithms.cooccurrence_fit).

    python -m bench.tune_rows ["first 1 film" "first 3 films" "full history"]
"""

import itertools
import os
import sys
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
CONTENT_WEIGHTS = [0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.8, 1.0]
# Up to 13 the first 1 / 3 film histories stayed below popularity alone (a one-film EASE row
# has z-scores in the tens): the second round went on to large priors, where the viewer's
# films re-rank the popular ones instead of replacing them.
POPULARITY_WEIGHTS = [0.0, 0.25, 0.5, 1.0, 2.0, 5.0, 13.0, 30.0, 60.0, 100.0, 200.0, 400.0]
# Tried for the short-history bands only (a full history's EASE already holds co-watching).
COOCCURRENCE_WEIGHTS = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 40.0, 80.0]


def main() -> None:
    split = evaluation.time_split(evaluation.ratings_read(MOVIELENS / "ratings.csv"))
    validation = evaluation.split_histories(split.train)
    fitted = evaluation.Fitted(validation, evaluation.movielens_vectors(MOVIELENS, encode))
    popularity = algorithms.standardise(np.log1p(fitted.popularity))
    print(f"validation: {len(fitted.users)} users", flush=True)
    wanted = sys.argv[1:] or list(evaluation.SCENARIOS)  # e.g. "first 1 film"
    for scenario, limit in evaluation.SCENARIOS.items():
        if scenario not in wanted:
            continue
        cases = []
        for user in fitted.users:
            history = fitted.history(validation.train[user][:limit])
            blend = algorithms.row_scores(
                collaborative=fitted.ease(history),
                content=fitted.content(history),
                n_likes=len(history),
                has_vector=fitted.has_vector,
                in_collaborative=fitted.in_collaborative,
            )
            # candidates: films the user has not watched (evaluation.score_method, exclude_seen)
            seen = fitted.history(validation.train[user])
            co = algorithms.standardise(fitted.cooccurrence(history))
            cases.append((blend.collaborative, blend.content, co, seen, set(validation.test[user])))
        results = []
        co_weights = COOCCURRENCE_WEIGHTS if limit is not None else [0.0]
        grid = itertools.product(CONTENT_WEIGHTS, POPULARITY_WEIGHTS, co_weights)
        for wc, wp, wco in grid:
            ndcg = []
            for collab, content, co, history, relevant in cases:
                scores = (1 - wc) * collab + wc * content + wp * popularity + wco * co
                best = algorithms.top_n(scores, evaluation.K, exclude=history)
                ranked = [int(fitted.items[i]) for i in best]
                ndcg.append(evaluation.ndcg_at_k(ranked, relevant))
            results.append((float(np.mean(ndcg)), wc, wp, wco))
        plain = []
        for _, _, _, history, relevant in cases:
            best = algorithms.top_n(fitted.popularity, evaluation.K, exclude=history)
            plain.append(evaluation.ndcg_at_k([int(fitted.items[i]) for i in best], relevant))
        results.sort(key=lambda r: -r[0])
        print(f"\n{scenario}: popularity alone {np.mean(plain):.4f}", flush=True)
        without = [r for r in results if r[3] == 0.0]
        # The band's current (content, popularity) with each co-occurrence weight: a trained
        # model without the table then serves exactly the rows it served before.
        n_likes = limit or 1_000_000
        current = [r for r in results if (r[1], r[2]) == algorithms.ROWS.weights(n_likes)]
        for ndcg, wc, wp, wco in results[:6] + without[:1] + current[:3]:
            print(
                f"  NDCG@10 {ndcg:.4f}  content {wc}  popularity {wp}  co-occurrence {wco}",
                flush=True,
            )


if __name__ == "__main__":
    main()
