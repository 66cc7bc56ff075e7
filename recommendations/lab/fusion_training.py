"""Training the learned fusion (recommendations.search.learned_fusion).

Data: for each labelled query, the candidates search's first stages retrieve (the union of
the dense and lexical top `collect_depth`, the hand-set fusion on), with their raw values
(`candidate_table`); the right film is the one relevant candidate. A query whose right film
no list retrieved teaches nothing (LambdaRank needs a relevant row) but still counts, as a
miss, in every figure.

Splits, fixed in code (recommendations.lab.split): the held-out quarter (the reranker's) is
never trained on nor used for a choice; the training queries split again into a fitting part
and the validation queries every lab model shares (`training_split`, the retriever's too). The
recipe was chosen on validation (`compare`; docs/benchmarks.md: on an earlier carve of its
own, with the pretrained model's features). The version trains on the fitting part, is scored
on validation, then on the held-out queries once.

`train_fusion()` does it all and writes the versioned artifact.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from recommendations.lab.metrics import known_item_metrics
from recommendations.lab.progress import Progress, SilentProgress, tracked
from recommendations.lab.queries import LabelledQuery
from recommendations.lab.split import HELD_OUT_FRACTION, split_by_query, training_split
from recommendations.lab.versions import TrainingResult, version_directory
from recommendations.search.learned_fusion import (
    FEATURES,
    MODEL_FILE,
    CandidateTable,
    features,
    write_config,
)
from recommendations.search.pipeline import DEFAULT_CONFIG, PipelineConfig, candidates_of, retrieve


@dataclass(frozen=True)
class Recipe:
    """Chosen on the validation queries (docs/benchmarks.md, "Learned fusion")."""

    depth: int = 200  # each list's top N make the candidates
    collect_depth: int = 200  # how deep the data is mined (>= depth; the comparison: 400)
    num_leaves: int = 7
    n_estimators: int = 300
    learning_rate: float = 0.03
    min_child_samples: int = 50
    feature_fraction: float = 0.8
    # The shortest query the version serves; a shorter one keeps the hand-set fusion. Every
    # labelled query has 13+ words (short descriptive queries none of them), and on validation
    # the learned order did not beat the hand-set one below 40 words (docs/benchmarks.md).
    min_query_words: int = 40
    seed: int = 7
    max_queries: int = 0  # 0 = every labelled query (CI trains on a handful)

    @classmethod
    def tiny(cls, **overrides) -> Recipe:
        options = {
            "depth": 20,
            "collect_depth": 20,
            "num_leaves": 4,
            "n_estimators": 30,
            "learning_rate": 0.2,
            "min_child_samples": 2,
            "feature_fraction": 1.0,
            "min_query_words": 1,
        }
        return cls(**{**options, **overrides})


@dataclass
class Sample:
    """One labelled query's candidates; `answer`: the right film's catalogue position."""

    query_id: str
    words: int
    table: CandidateTable
    answer: int


@dataclass(frozen=True)
class Splits:
    fit: list[LabelledQuery]
    validation: list[LabelledQuery]
    held_out: list[LabelledQuery]


def splits(queries: list[LabelledQuery]) -> Splits:
    """split.py's parts: the same validation queries as the retriever's, so a fusion stacked on
    a fine-tuned retriever is chosen on queries the retriever did not train on."""
    fit_part, validation = training_split(queries)
    _, held_out = split_by_query(queries, held_out_fraction=HELD_OUT_FRACTION)
    return Splits(fit_part, validation, held_out)


def collect(
    queries: list[LabelledQuery],
    depth: int,
    progress: Progress,
    *,
    config: PipelineConfig = DEFAULT_CONFIG,
    description: str = "retrieving candidates",
) -> list[Sample]:
    """Each query's candidate table from search's first stages, the hand-set fusion on (a
    query without the dense stage is left out: the learned fusion needs it)."""
    config = replace(config, depth=max(depth, config.depth), learned_fusion=False)
    samples = []
    for query in tracked(queries, progress, description):
        result = retrieve(query.text, config=config)
        if result.dense is None:
            continue
        table = candidates_of(result, depth)
        answer = result.snapshot.positions_of(query.movie_id)
        samples.append(Sample(query.id, len(result.parsed.text.split()), table, answer))
    return samples


# --- Rankers ------------------------------------------------------------------------------

# A ranker scores a query's feature rows; higher first.
Scorer = Callable[[np.ndarray], np.ndarray]


def rows(samples: list[Sample], depth: int, weights=(1.0, 1.0)):
    """(features, labels, group sizes, per-sample positions) at a candidate depth."""
    matrices, labels, groups, positions = [], [], [], []
    for sample in samples:
        table, matrix = features(sample.table, depth, weights)
        matrices.append(matrix)
        labels.append((table.positions == sample.answer).astype(np.int32))
        groups.append(len(table.positions))
        positions.append(table.positions)
    matrix = np.concatenate(matrices) if matrices else np.zeros((0, len(FEATURES)), np.float32)
    label = np.concatenate(labels) if labels else np.zeros(0, np.int32)
    return matrix, label, np.asarray(groups), positions


def fit_lightgbm(samples: list[Sample], recipe: Recipe, columns: tuple[str, ...] = FEATURES):
    import lightgbm

    matrix, label, groups, _ = rows(samples, recipe.depth)
    keep = [FEATURES.index(c) for c in columns]
    ranker = lightgbm.LGBMRanker(
        objective="lambdarank",
        n_estimators=recipe.n_estimators,
        learning_rate=recipe.learning_rate,
        num_leaves=recipe.num_leaves,
        min_child_samples=recipe.min_child_samples,
        colsample_bytree=recipe.feature_fraction,
        lambdarank_truncation_level=20,
        random_state=recipe.seed,
        n_jobs=1,
        verbose=-1,
    )
    ranker.fit(matrix[:, keep], label, group=groups)
    return ranker, keep


def lightgbm_scorer(ranker, keep: list[int]) -> Scorer:
    return lambda matrix: ranker.predict(matrix[:, keep], num_threads=1)


def fit_logistic(samples: list[Sample], depth: int) -> Scorer:
    """A linear baseline: logistic regression on standardised features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    matrix, label, _, _ = rows(samples, depth)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    model.fit(matrix, label)
    return model.decision_function


def hand_set(matrix: np.ndarray) -> np.ndarray:
    """Today's fusion: the sum of z-scores."""
    return matrix[:, FEATURES.index("zsum")]


# --- Figures ------------------------------------------------------------------------------


def answer_ranks(
    samples: list[Sample], scorer: Scorer, depth: int, weights=(1.0, 1.0)
) -> list[int | None]:
    """`weights`: the hand-set fusion's, for the `zsum` column (`hand_set` reads it)."""
    ranks = []
    for sample in samples:
        table, matrix = features(sample.table, depth, weights)
        if not len(table.positions):
            ranks.append(None)
            continue
        order = table.positions[np.argsort(-np.asarray(scorer(matrix)), kind="stable")]
        hits = (order[:100] == sample.answer).nonzero()[0]
        ranks.append(int(hits[0]) + 1 if len(hits) else None)
    return ranks


def figures(ranks: list[int | None]) -> dict[str, float]:
    totals = dict.fromkeys(known_item_metrics(None), 0.0)
    for rank in ranks:
        for name, value in known_item_metrics(rank).items():
            totals[name] = totals.get(name, 0.0) + value
    n = max(len(ranks), 1)
    return {"queries": len(ranks), **{k: round(v / n, 4) for k, v in totals.items()}}


def gated_ranks(
    samples: list[Sample], learned: list[int | None], hand: list[int | None], min_words: int
) -> list[int | None]:
    return [
        mine if s.words >= min_words else theirs
        for s, mine, theirs in zip(samples, learned, hand, strict=True)
    ]


def comparison_recipes() -> dict[str, Recipe]:
    """What `compare` tried on validation: the candidate depth with the default trees, then
    the trees at depth 200."""
    base = Recipe()
    recipes = {f"lightgbm, depth {d}": replace(base, depth=d) for d in (100, 200, 300, 400)}
    for leaves in (7, 15, 31):
        for trees, rate in ((150, 0.05), (300, 0.03), (600, 0.03)):
            recipes[f"lightgbm, depth 200, {leaves} leaves, {trees} trees, rate {rate}"] = replace(
                base, depth=200, num_leaves=leaves, n_estimators=trees, learning_rate=rate
            )
    return recipes


LENGTHS = ((13, 40), (40, 60), (60, 90), (90, 130), (130, 200), (200, 100_000))
# The shortest query the learned order serves, tried on validation (1: every query).
GATES = (1, 20, 30, 40, 50, 60, 90)


def compare(
    fit_samples: list[Sample],
    validation: list[Sample],
    recipes: dict[str, Recipe],
    progress: Progress | None = None,
    chosen: Recipe | None = None,
) -> dict[str, dict[str, float]]:
    """Validation figures of the hand-set fusion (depth 200, today's), a logistic model at
    each depth, each LightGBM recipe, then for `chosen` (default: the default recipe) its
    figures per query length against the hand-set fusion and with each length gate (GATES:
    the hand-set fusion below it): how the recipe's choices were made."""
    chosen = chosen or Recipe()
    progress = progress or SilentProgress()
    hand = answer_ranks(validation, hand_set, 200)
    out = {"hand-set z-score fusion": figures(hand)}
    for depth in sorted({r.depth for r in recipes.values()}):
        scorer = fit_logistic(fit_samples, depth)
        out[f"logistic, depth {depth}"] = figures(answer_ranks(validation, scorer, depth))
    for name, recipe in tracked(recipes.items(), progress, "recipes"):
        ranker, keep = fit_lightgbm(fit_samples, recipe)
        out[name] = figures(answer_ranks(validation, lightgbm_scorer(ranker, keep), recipe.depth))
    ranker, keep = fit_lightgbm(fit_samples, chosen)
    learned = answer_ranks(validation, lightgbm_scorer(ranker, keep), chosen.depth)
    for low, high in LENGTHS:
        picked = [i for i, s in enumerate(validation) if low <= s.words < high]
        for label, ranks in (("hand-set", hand), ("lightgbm", learned)):
            out[f"{low}-{high} words, {label}"] = figures([ranks[i] for i in picked])
    for gate in GATES:
        out[f"gate: learned for {gate}+ words"] = figures(
            gated_ranks(validation, learned, hand, gate)
        )
    return out


def compare_on_validation(
    queries: list[LabelledQuery],
    progress: Progress,
    config: PipelineConfig = DEFAULT_CONFIG,
    chosen: Recipe | None = None,
) -> dict[str, dict[str, float]]:
    """Mines the fitting and validation queries (never the held-out ones) at depth 400 and
    runs `compare` with `comparison_recipes()` (lengths and gates for `chosen`)."""
    parts = splits(queries)
    fit_samples = collect(parts.fit, 400, progress, config=config)
    validation = collect(parts.validation, 400, progress, config=config, description="validation")
    return compare(fit_samples, validation, comparison_recipes(), progress, chosen)


# --- The hand-set fusion's weights for the queries the version does not serve ---------------

# (dense, lexical) pairs tried; each sums to 2 as (1, 1) does, so the fused scores that "best
# matches" and the cross-encoder's prior read keep their scale (the order hangs on the ratio).
SHORT_QUERY_WEIGHTS = ((0.6, 1.4), (0.8, 1.2), (1.0, 1.0), (1.2, 0.8), (1.4, 0.6), (1.6, 0.4))


def first_lines(queries: list[LabelledQuery]) -> list[LabelledQuery]:
    """Each query's first line (a tomt-dev question's title: a short description of the film,
    as a viewer types it), the same answer."""
    return [replace(q, text=q.text.strip().split("\n", 1)[0]) for q in queries]


def choose_short_query_weights(
    samples: list[Sample], depth: int
) -> tuple[tuple[float, float], dict[str, dict[str, float]]]:
    """The pair of SHORT_QUERY_WEIGHTS whose hand-set fusion ranks `samples` (validation
    queries) best by nDCG@10, ties to (1, 1) (the pipeline's default); and each pair's
    figures."""
    grid = {
        f"{dense:g}/{lexical:g}": figures(answer_ranks(samples, hand_set, depth, (dense, lexical)))
        for dense, lexical in SHORT_QUERY_WEIGHTS
    }
    best = (1.0, 1.0)
    for dense, lexical in SHORT_QUERY_WEIGHTS:
        if grid[f"{dense:g}/{lexical:g}"]["ndcg@10"] > grid[f"{best[0]:g}/{best[1]:g}"]["ndcg@10"]:
            best = (dense, lexical)
    return best, grid


# --- The version --------------------------------------------------------------------------


def data_hash(samples: list[Sample], recipe: Recipe) -> str:
    digest = hashlib.sha256(json.dumps(asdict(recipe), sort_keys=True).encode())
    for s in sorted(samples, key=lambda s: s.query_id):
        digest.update(f"{s.query_id}:{s.answer}:{len(s.table.positions)}".encode())
    return digest.hexdigest()


def train_fusion(
    *,
    queries: list[LabelledQuery],
    recipe: Recipe,
    output_root: Path,
    progress: Progress | None = None,
    version: str | None = None,
    config: PipelineConfig = DEFAULT_CONFIG,
) -> TrainingResult:
    """Mine the candidates, fit on the fitting part, score on validation then on the
    held-out queries (each against the hand-set fusion), write the artifact directory."""
    progress = progress or SilentProgress()
    started = time.monotonic()
    parts = splits(queries[: recipe.max_queries] if recipe.max_queries else queries)
    progress.log(
        f"{len(queries)} labelled queries: {len(parts.fit)} to fit, {len(parts.validation)} "
        f"validation, {len(parts.held_out)} held out"
    )
    depth = max(recipe.depth, recipe.collect_depth)
    fit_samples = collect(parts.fit, depth, progress, config=config)
    validation = collect(parts.validation, depth, progress, config=config, description="validation")
    held_out = collect(parts.held_out, depth, progress, config=config, description="held out")
    # The hand-set fusion still orders every query under the gate: its weights are chosen on
    # the validation queries' first lines (short, as those queries are; never on held-out).
    short_validation = collect(
        first_lines(parts.validation),
        config.depth,
        progress,
        config=config,
        description="validation first lines",
    )
    short_weights, short_grid = choose_short_query_weights(short_validation, config.depth)
    progress.log(f"hand-set weights for queries under the gate: {short_weights}")
    mined_s = time.monotonic() - started
    if not any(s.answer in s.table.positions for s in fit_samples):
        raise ValueError("no training query's right film was retrieved: nothing to learn from")

    progress.start(1, "training")
    fit_started = time.monotonic()
    ranker, keep = fit_lightgbm(fit_samples, recipe)
    fit_s = time.monotonic() - fit_started
    progress.advance()
    scorer = lightgbm_scorer(ranker, keep)

    def scored(samples: list[Sample]) -> dict:
        hand = answer_ranks(samples, hand_set, config.depth)
        learned = answer_ranks(samples, scorer, recipe.depth)
        # Under the gate, the hand-set fusion at the weights chosen for those queries.
        under = answer_ranks(samples, hand_set, config.depth, short_weights)
        served = gated_ranks(samples, learned, under, recipe.min_query_words)
        return {"hand-set fusion": figures(hand), "learned fusion": figures(served)}

    metrics = {
        "fit": scored(fit_samples),
        "validation": scored(validation),
        "held_out": scored(held_out),
        "timings_s": {
            "mining": round(mined_s, 1),
            "training": round(fit_s, 1),
            "total": round(time.monotonic() - started, 1),
        },
        "depth": recipe.depth,
        "min_query_words": recipe.min_query_words,
        "short_query_weights": {
            "chosen": list(short_weights),
            "on": "validation first lines",
            "first lines": short_grid,
            "whole validation queries": choose_short_query_weights(validation, config.depth)[1],
        },
        "importance": dict(
            zip(FEATURES, (int(v) for v in ranker.booster_.feature_importance("gain")), strict=True)
        ),
    }
    progress.log(f"validation: {json.dumps(metrics['validation'])}")
    progress.log(f"held out: {json.dumps(metrics['held_out'])}")

    version, directory = version_directory(output_root, version)
    directory.mkdir(parents=True, exist_ok=True)
    ranker.booster_.save_model(str(directory / MODEL_FILE))
    write_config(
        directory,
        depth=recipe.depth,
        min_query_words=recipe.min_query_words,
        weights=(config.dense_weight, config.lexical_weight),
        short_query_weights=short_weights,
    )
    hashed = data_hash(fit_samples, recipe)
    (directory / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (directory / "training.json").write_text(
        json.dumps(
            {
                "data_hash": hashed,
                "recipe": asdict(recipe),
                "train_query_ids": sorted(q.id for q in parts.fit),
                "validation_query_ids": sorted(q.id for q in parts.validation),
                "held_out_query_ids": sorted(q.id for q in parts.held_out),
            },
            indent=2,
        )
    )
    return TrainingResult(
        directory=directory,
        version=version,
        config={"recipe": asdict(recipe), "features": list(FEATURES)},
        metrics=metrics,
        data_hash=hashed,
    )
