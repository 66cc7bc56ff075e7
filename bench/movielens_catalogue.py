"""STAND-IN, for benchmarks only: puts the MovieLens films' vectors in Chroma (ids str(movie.pk))
until the ingestion pipeline is merged; swap `index_movielens_vectors` for the index sync then.
(The films themselves now come from the real importer, `import_movies --format movielens`.)"""

from pathlib import Path

import numpy as np

from movies.models import Movie
from recommendations.embedding import encode
from recommendations.lab.recommender_evaluation import movielens_vectors
from recommendations.vector_store import get_collection


def index_movielens_vectors(directory: Path, *, cache_dir: Path | None = None) -> int:
    """Vectors of the MovieLens films (titles, genres, tags; the evaluation's cached embedding)
    into the Chroma collection under ids str(movie.pk)."""
    vectors = movielens_vectors(directory, encode, cache_dir=cache_dir)
    pairs = list(Movie.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "pk"))
    pairs = [(ml, pk) for ml, pk in pairs if ml in vectors]
    collection = get_collection()
    for start in range(0, len(pairs), 1000):
        batch = pairs[start : start + 1000]
        collection.upsert(
            ids=[str(pk) for _, pk in batch],
            embeddings=np.stack([vectors[ml] for ml, _ in batch]).tolist(),
        )
    return len(pairs)
