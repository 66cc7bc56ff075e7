"""Training the recommender from the database: interactions (imported ratings + viewers' likes),
EASE weights, popularity, and a snapshot of the film vectors from Chroma."""

import dataclasses
import hashlib
import logging
import time

import numpy as np
import scipy.sparse as sp
from django.utils import timezone

from movies.models import Movie
from recommendations.embedding import DIMENSIONS, index_fingerprint
from recommendations.lab.progress import Progress, SilentProgress
from recommendations.lab_jobs import RECOMMENDER_TRAINING_STEPS
from recommendations.models import TrainedModel
from recommendations.recommenders import algorithms
from recommendations.recommenders.artifacts import (
    RecommenderArtifact,
    artifact_save,
)
from recommendations.trained_models import artifact_path, trained_model_register
from recommendations.vector_store import get_collection
from viewers.models import Rating, Reaction
from viewers.selectors import trusted_reactions

logger = logging.getLogger(__name__)

# EASE covers films with at least this many interactions (the rest are served by content).
MIN_INTERACTIONS = 2
# The Gram matrix is dense: cap the films it covers (the most interacted-with are kept).
MAX_COLLABORATIVE_ITEMS = 8000
CHROMA_BATCH = 1000
STEPS = RECOMMENDER_TRAINING_STEPS


def interactions_matrix(item_ids: np.ndarray) -> sp.csr_matrix:
    """Users x items, 1 where a rater rated or a trusted viewer liked the film (anonymous likes
    count for their own viewer only until it is trusted: viewers.selectors.trusted_reactions)."""
    rows: dict[str, int] = {}
    user_index: list[int] = []
    movie_ids: list[int] = []
    for rater, movie_id in Rating.objects.values_list("rater", "movie_id").iterator(10000):
        user_index.append(rows.setdefault(f"r{rater}", len(rows)))
        movie_ids.append(movie_id)
    likes = (
        trusted_reactions()
        .filter(value=Reaction.Value.LIKE)
        .values_list("user_id", "anonymous_id", "movie_id")
    )
    for user_id, anonymous_id, movie_id in likes.iterator(10000):
        user_index.append(rows.setdefault(f"u{user_id}" if user_id else anonymous_id, len(rows)))
        movie_ids.append(movie_id)
    columns = np.searchsorted(item_ids, np.asarray(movie_ids, dtype=np.int64))
    data = np.ones(len(columns), dtype=np.float32)
    matrix = sp.csr_matrix((data, (user_index, columns)), shape=(len(rows), len(item_ids)))
    matrix.data[:] = 1.0  # duplicates (a rater who also liked) count once
    return matrix


def film_vectors(item_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The films' vectors as stored in Chroma (ids are str(movie.pk)); zeros where missing or
    where Chroma cannot be reached (the recommender then works from ratings alone)."""
    vectors = np.zeros((len(item_ids), DIMENSIONS), dtype=np.float32)
    has_vector = np.zeros(len(item_ids), dtype=bool)
    try:
        collection = get_collection()
        for start in range(0, len(item_ids), CHROMA_BATCH):
            ids = [str(i) for i in item_ids[start : start + CHROMA_BATCH]]
            got = collection.get(ids=ids, include=["embeddings"])
            if not got["ids"]:
                continue
            positions = np.searchsorted(item_ids, np.asarray(got["ids"], dtype=np.int64))
            vectors[positions] = np.asarray(got["embeddings"], dtype=np.float32)
            has_vector[positions] = True
    except Exception as error:  # a missing vector store degrades to collaborative-only
        logger.warning("film vectors unavailable, training without content: %s", error)
        return vectors, np.zeros(len(item_ids), dtype=bool)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors /= np.where(norms == 0, 1.0, norms)
    return vectors, has_vector


def recommender_train(*, progress: Progress | None = None) -> TrainedModel:
    """Train, save under RECSYS_MODELS_DIR, record and activate a new recommender version."""
    progress = progress or SilentProgress()
    progress.start(len(STEPS), "training the recommender")

    def step(name: str) -> None:
        progress.log(f"{name} done")
        progress.advance()

    started = time.monotonic()
    item_ids = np.fromiter(Movie.objects.order_by("pk").values_list("pk", flat=True), np.int64)
    interactions = interactions_matrix(item_ids)
    step("interactions")

    popularity = algorithms.popularity_fit(interactions)
    covered = np.flatnonzero(popularity >= MIN_INTERACTIONS)
    if covered.size > MAX_COLLABORATIVE_ITEMS:
        keep = np.argsort(-popularity[covered], kind="stable")[:MAX_COLLABORATIVE_ITEMS]
        covered = np.sort(covered[keep])
    ease = (
        algorithms.ease_fit(interactions[:, covered])
        if covered.size
        else np.zeros((0, 0), np.float32)
    )
    cooccurrence = algorithms.cooccurrence_fit(interactions)
    step("collaborative")

    vectors, has_vector = film_vectors(item_ids)
    step("vectors")

    digest = hashlib.sha1(interactions.indices.tobytes() + item_ids.tobytes()).hexdigest()
    version = timezone.now().strftime("%Y%m%d-%H%M%S-%f-") + digest[:8]
    config = {
        "ease_lambda": algorithms.EASE_LAMBDA,
        "hybrid": dataclasses.asdict(algorithms.HYBRID),
        "min_interactions": MIN_INTERACTIONS,
        "cooccurrence_neighbours": algorithms.COOCCURRENCE_NEIGHBOURS,
        "vectors": index_fingerprint(),
    }
    metrics = {
        "films": len(item_ids),
        "raters": int(interactions.shape[0]),
        "interactions": int(interactions.nnz),
        "collaborative_films": int(covered.size),
        "cooccurrence_pairs": int(cooccurrence.nnz),
        "films_with_vectors": int(has_vector.sum()),
        "seconds": round(time.monotonic() - started, 2),
    }
    artifact = RecommenderArtifact(
        version=version,
        item_ids=item_ids,
        popularity=popularity,
        vectors=vectors,
        has_vector=has_vector,
        collaborative_items=covered.astype(np.int64),
        ease=ease,
        config=config,
        cooccurrence=cooccurrence,
    )
    directory = artifact_save(artifact)
    trained = trained_model_register(
        kind=TrainedModel.Kind.RECOMMENDER,
        version=version,
        path=artifact_path(directory),
        config=config,
        metrics=metrics,
        data_hash=digest,
        activate=True,
    )
    step("save")
    trained.refresh_from_db()
    return trained
