"""The trained recommender on disk (RECSYS_MODELS_DIR/recommender/<version>/model.npz + its
TrainedModel row, recommendations.trained_models) and the one place that loads it."""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommendations.models import TrainedModel
from recommendations.trained_models import ActiveModel, artifact_directory

ARTIFACT_FILE = "model.npz"
COOCCURRENCE = "cooccurrence"  # saved as its CSR parts: cooccurrence_data, _indices, _indptr


@dataclass(frozen=True)
class RecommenderArtifact:
    """Everything the live recommender needs, indexed by item position."""

    version: str
    item_ids: np.ndarray  # movie pks, sorted
    popularity: np.ndarray  # interactions per item
    vectors: np.ndarray  # unit film vectors (zero rows where has_vector is False)
    has_vector: np.ndarray
    collaborative_items: np.ndarray  # item positions covered by the EASE weights, sorted
    ease: np.ndarray  # (len(collaborative_items),) ** 2
    config: dict
    # items x items, co(i, j) / count(i), top-k per item (algorithms.cooccurrence_fit); None
    # in artifacts saved before it existed (the rows then skip the signal)
    cooccurrence: sp.csr_matrix | None = None

    def positions(self, movie_ids) -> np.ndarray:
        """Item positions of the given movie pks; unknown films are dropped."""
        ids = np.asarray(list(movie_ids), dtype=np.int64)
        if ids.size == 0 or self.item_ids.size == 0:
            return np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(self.item_ids, ids).clip(0, len(self.item_ids) - 1)
        return pos[self.item_ids[pos] == ids]


def artifact_save(artifact: RecommenderArtifact) -> Path:
    directory = artifact_directory(TrainedModel.Kind.RECOMMENDER, artifact.version)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / (ARTIFACT_FILE + ".tmp.npz")
    table = artifact.cooccurrence
    sparse = (
        {}
        if table is None
        else {
            COOCCURRENCE + "_data": table.data.astype(np.float32),
            COOCCURRENCE + "_indices": table.indices,
            COOCCURRENCE + "_indptr": table.indptr,
        }
    )
    np.savez(
        tmp,
        item_ids=artifact.item_ids,
        popularity=artifact.popularity,
        vectors=artifact.vectors,
        has_vector=artifact.has_vector,
        collaborative_items=artifact.collaborative_items,
        ease=artifact.ease,
        **sparse,
    )
    tmp.replace(directory / ARTIFACT_FILE)
    (directory / "config.json").write_text(json.dumps(artifact.config, indent=2))
    return directory


def artifact_read(directory: Path, version: str) -> RecommenderArtifact:
    with np.load(directory / ARTIFACT_FILE) as data:
        arrays = {name: data[name] for name in data.files}
    config = json.loads((directory / "config.json").read_text())
    parts = [arrays.pop(f"{COOCCURRENCE}_{part}", None) for part in ("data", "indices", "indptr")]
    table = None
    if all(part is not None for part in parts):
        n = len(arrays["item_ids"])
        table = sp.csr_matrix(tuple(parts), shape=(n, n))
    return RecommenderArtifact(version=version, config=config, cooccurrence=table, **arrays)


def _read(directory: Path, version: str) -> RecommenderArtifact:
    return artifact_read(directory, version)


_active: ActiveModel[RecommenderArtifact] = ActiveModel(
    TrainedModel.Kind.RECOMMENDER, _read, marker=ARTIFACT_FILE
)


def active_recommender_artifact() -> RecommenderArtifact | None:
    """The active recommender, loaded once per process per version (the registry's reload
    rule); None when none is trained or its files are gone (the home page then falls back
    to catalogue popularity)."""
    return _active.get()
