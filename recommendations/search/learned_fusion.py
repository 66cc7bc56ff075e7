"""Learned fusion: a small LambdaRank model (LightGBM) orders the union of the dense and lexical
candidate lists from what the first stages already know of each film (its BM25 score per
field, its film and synopsis-view cosines, its rank and z-score in each list, the hand-set
fusion's score, its popularity and vote count, whether its year agrees with one the query says,
whether the query names one of its people) and the query's length.

A trained version is the registry's "fusion" kind (recommendations.trained_models); the lab
trains it (recommendations.lab.fusion_training). It serves only queries at least
`min_query_words` long: the kind of query it learned from (tomt-dev's stories); a short
descriptive query keeps the hand-set fusion, at the dense and lexical weights the version
chose for such queries on validation (`short_query_weights`; none recorded: the pipeline's).
Without an active version search is unchanged.

`candidate_table` gathers the raw values once per query (the lab stores them), `features`
turns a table into the model's rows for a candidate depth: serving and training share both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from recommendations.models import TrainedModel
from recommendations.trained_models import ActiveModel

if TYPE_CHECKING:
    from recommendations.search.catalogue import CatalogueSnapshot
    from recommendations.search.dense import DenseIndex
    from recommendations.search.query import ParsedQuery

MODEL_FILE = "model.txt"  # LightGBM's text format; the version's marker
CONFIG_FILE = "fusion.json"
MIN_LIST_FOR_OWN_STATS = 20  # as search.fusion.weighted_zscore
LISTS = ("dense", "lexical")

FEATURES = (
    "dense",  # film cosine + w x synopsis-view cosine, best chunk: the dense stage's score
    "dense_film",
    "dense_synopsis",
    "dense_rank",
    "dense_z",
    "dense_gap",  # below the list's best
    "lexical",  # field-weighted BM25: the lexical stage's score
    "bm25_title",
    "bm25_keywords",
    "bm25_body",
    "lexical_rank",
    "lexical_z",
    "lexical_ratio",  # of the list's best
    "zsum",  # the hand-set fusion's score at this depth
    "popularity",  # log1p
    "votes",  # log1p vote count
    "year_agreement",  # +1 the film's year is one the query says, -1 it is not, 0 unknown
    "person_match",  # the query names one of the film's people
    "query_words",  # log
)


@dataclass
class CandidateTable:
    """The raw values of one query's candidates (the union of each list's top `depth`), in
    catalogue-position order. Ranks are 1-based, depth + 1 where a film is not in a list's
    top depth; `catalogue_stats`: each list's mean and deviation over the whole catalogue (the
    hand-set fusion standardises a short list by them)."""

    positions: np.ndarray
    columns: dict[str, np.ndarray]
    depth: int
    query_words: int
    catalogue_stats: dict[str, tuple[float, float]]

    def select(self, keep: np.ndarray) -> CandidateTable:
        return CandidateTable(
            self.positions[keep],
            {name: values[keep] for name, values in self.columns.items()},
            self.depth,
            self.query_words,
            self.catalogue_stats,
        )


def _ranks(ranking: np.ndarray, union: np.ndarray, depth: int) -> np.ndarray:
    order = np.full(len(union), depth + 1, dtype=np.float32)
    where = np.searchsorted(union, ranking[:depth])
    order[where] = np.arange(1, min(depth, len(ranking)) + 1, dtype=np.float32)
    return order


def _catalogue_stats(values: np.ndarray) -> tuple[float, float]:
    every = values[np.isfinite(values)]
    if not len(every):
        return 0.0, 1.0
    return float(every.mean()), float(every.std()) or 1.0


def candidate_table(
    *,
    depth: int,
    rankings: dict[str, np.ndarray],
    full_scores: dict[str, np.ndarray],
    lexical_fields: dict[str, np.ndarray],
    snapshot: CatalogueSnapshot,
    parsed: ParsedQuery,
    dense: DenseIndex,
    query_vectors: np.ndarray,
) -> CandidateTable:
    """The candidates of one query: each list's top `depth` (rankings hold at least that)."""
    dense_list, lexical_list = rankings["dense"][:depth], rankings["lexical"][:depth]
    union = np.unique(np.concatenate([dense_list, lexical_list, np.zeros(0, np.int64)]))
    columns: dict[str, np.ndarray] = {
        "dense": full_scores["dense"][union],
        "lexical": full_scores["lexical"][union],
        "dense_rank": _ranks(dense_list, union, depth),
        "lexical_rank": _ranks(lexical_list, union, depth),
    }
    for name in ("title", "keywords", "body"):
        values = lexical_fields.get(name)
        columns[f"bm25_{name}"] = (
            values[union].astype(np.float32) if values is not None else np.zeros(len(union))
        )
    # The two cosines apart, for these rows only (a few hundred dot products).
    ids = snapshot.ids[union]
    rows = np.clip(np.searchsorted(dense.ids, ids), 0, max(len(dense.ids) - 1, 0))
    known = (dense.ids[rows] == ids) if len(dense.ids) else np.zeros(len(ids), bool)
    film = (dense.vectors[rows] @ query_vectors.T).max(axis=1) if len(rows) else np.zeros(0)
    views = dense.synopses if dense.synopses is not None else dense.vectors
    synopsis = (views[rows] @ query_vectors.T).max(axis=1) if len(rows) else np.zeros(0)
    columns["dense_film"] = np.where(known, film, 0.0).astype(np.float32)
    columns["dense_synopsis"] = np.where(known, synopsis, 0.0).astype(np.float32)
    columns["popularity"] = np.log1p(np.maximum(snapshot.popularity[union], 0.0))
    columns["votes"] = np.log1p(np.maximum(snapshot.vote_counts[union], 0.0))
    columns["year_agreement"] = _year_agreement(snapshot.years[union], parsed)
    _, people = snapshot.person_matches(parsed.normalized)
    columns["person_match"] = np.isin(union, np.asarray(people, dtype=np.int64)).astype(np.float32)
    return CandidateTable(
        positions=union,
        columns=columns,
        depth=depth,
        query_words=len(parsed.text.split()),
        catalogue_stats={name: _catalogue_stats(full_scores[name]) for name in LISTS},
    )


def _year_agreement(years: np.ndarray, parsed: ParsedQuery) -> np.ndarray:
    if not parsed.has_years:
        return np.zeros(len(years), dtype=np.float32)
    low = parsed.year_from or 0
    high = parsed.year_to or 9999
    inside = (years >= low) & (years <= high)
    return np.where(years == 0, 0.0, np.where(inside, 1.0, -1.0)).astype(np.float32)


def _zscores(values: np.ndarray, in_list: np.ndarray, catalogue: tuple[float, float]) -> np.ndarray:
    """As search.fusion.weighted_zscore standardises one list's scores for its union."""
    own = values[in_list]
    if len(own) >= MIN_LIST_FOR_OWN_STATS:
        mean, std = float(own.mean()), float(own.std()) or 1.0
        floor = (float(own.min()) - mean) / std
        z = np.maximum(np.where(np.isfinite(values), (values - mean) / std, floor), floor)
    else:
        mean, std = catalogue
        z = np.where(np.isfinite(values), (values - mean) / std, 0.0)
    return z.astype(np.float32)


def features(
    table: CandidateTable, depth: int, weights: tuple[float, float] = (1.0, 1.0)
) -> tuple[CandidateTable, np.ndarray]:
    """The candidates within each list's top `depth` (<= the table's), and their rows of
    FEATURES. `weights`: the hand-set fusion's (dense, lexical) weights, for `zsum`."""
    c = table.columns
    table = table.select((c["dense_rank"] <= depth) | (c["lexical_rank"] <= depth))
    c = table.columns
    out: dict[str, np.ndarray] = {}
    for name in LISTS:
        in_list = c[f"{name}_rank"] <= depth
        out[f"{name}_rank"] = np.minimum(c[f"{name}_rank"], depth + 1)
        out[f"{name}_z"] = _zscores(c[name], in_list, table.catalogue_stats[name])
    dense = np.where(np.isfinite(c["dense"]), c["dense"], 0.0)
    best_dense = float(dense[c["dense_rank"] <= depth].max(initial=0.0))
    best_lexical = float(c["lexical"].max(initial=0.0)) or 1.0
    out["dense"] = dense
    out["dense_gap"] = dense - best_dense
    out["lexical"] = c["lexical"]
    out["lexical_ratio"] = c["lexical"] / best_lexical
    out["zsum"] = (
        np.float32(weights[0]) * out["dense_z"] + np.float32(weights[1]) * out["lexical_z"]
    )
    for name in (
        "dense_film",
        "dense_synopsis",
        "bm25_title",
        "bm25_keywords",
        "bm25_body",
        "popularity",
        "votes",
        "year_agreement",
        "person_match",
    ):
        out[name] = c[name]
    out["query_words"] = np.full(len(table.positions), np.log(max(table.query_words, 1)))
    matrix = np.column_stack([np.asarray(out[name], dtype=np.float32) for name in FEATURES])
    return table, matrix if len(table.positions) else np.zeros((0, len(FEATURES)), np.float32)


@dataclass
class FusionModel:
    """A trained fusion version: the booster, the candidate depth it was trained for, and the
    shortest query it serves. `weights`: the hand-set fusion's (dense, lexical) weights its
    `zsum` feature was mined with; `short_query_weights`: those the hand-set fusion uses for
    the queries it does not serve while it is active (None: the pipeline's own)."""

    version: str
    booster: object  # lightgbm.Booster
    depth: int
    min_query_words: int
    weights: tuple[float, float] = (1.0, 1.0)
    short_query_weights: tuple[float, float] | None = None
    training_query_ids: frozenset[str] = field(default_factory=frozenset)

    def serves(self, parsed: ParsedQuery) -> bool:
        return len(parsed.text.split()) >= self.min_query_words

    def rank(self, table: CandidateTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(positions best first, the model's scores, the hand-set fusion's scores), in that
        order."""
        table, matrix = features(table, self.depth, self.weights)
        if not len(table.positions):
            return table.positions, np.zeros(0, np.float32), np.zeros(0, np.float32)
        scores = np.asarray(self.booster.predict(matrix, num_threads=1), dtype=np.float32)
        order = np.argsort(-scores, kind="stable")
        zsum = matrix[:, FEATURES.index("zsum")]
        return table.positions[order], scores[order], zsum[order]


def write_config(
    directory: Path,
    *,
    depth: int,
    min_query_words: int,
    weights,
    short_query_weights: tuple[float, float] | None = None,
) -> None:
    config = {
        "features": list(FEATURES),
        "depth": depth,
        "min_query_words": min_query_words,
        "weights": list(weights),  # the zsum feature's
    }
    if short_query_weights is not None:
        config["short_query_weights"] = list(short_query_weights)
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2))


def load_model(directory: Path, version: str) -> FusionModel:
    import lightgbm

    config = json.loads((directory / CONFIG_FILE).read_text())
    if tuple(config["features"]) != FEATURES:
        raise ValueError(f"fusion {version} was trained on other features: {config['features']}")
    short = config.get("short_query_weights")  # versions before it: None
    training = directory / "training.json"
    trained_on = json.loads(training.read_text()) if training.is_file() else {}
    return FusionModel(
        version=version,
        booster=lightgbm.Booster(model_file=str(directory / MODEL_FILE)),
        depth=int(config["depth"]),
        min_query_words=int(config["min_query_words"]),
        weights=tuple(config.get("weights", (1.0, 1.0))),
        short_query_weights=(float(short[0]), float(short[1])) if short else None,
        # Its figures must come from queries that neither trained it nor chose its recipe.
        training_query_ids=frozenset(
            trained_on.get("train_query_ids", []) + trained_on.get("validation_query_ids", [])
        ),
    )


# The registry reads the active row at most every RECSYS_ACTIVE_MODEL_CHECK_SECONDS, so a
# search pays no database query for it in between.
_active: ActiveModel[FusionModel] = ActiveModel(
    TrainedModel.Kind.FUSION, load_model, marker=MODEL_FILE
)
active_fusion = _active.get
forget_active_fusion = _active.forget
