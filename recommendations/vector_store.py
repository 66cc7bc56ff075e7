"""ChromaDB access: an embedded PersistentClient by default, an HttpClient when RECSYS_CHROMA_URL is
set (or when `runstack` started a local server). Vectors are computed by us
(recommendations.embedding), never by Chroma.

Which collection is live is kept in a small pointer record (the metadata of a vector-less
``<prefix>-pointer`` collection), so that a rebuild can fill a shadow collection while search
keeps reading the live one, then swap it in with one write. ``get_collection()`` always means
"the live collection".
"""

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from django.conf import settings
from django.utils import timezone

from recommendations.embedding import DIMENSIONS, index_fingerprint, model_of

# Measured on TMDB 5000 and the 36k Wikipedia films against exact search: see
# docs/benchmarks.md (`python bench/hnsw_recall.py`, recall@50 >= 0.99).
HNSW_CONFIGURATION = {
    "space": "cosine",
    "ef_construction": 200,
    "ef_search": 128,
    "max_neighbors": 32,
}
# The companions (synopsis views, sentences) are read by id and filter, never searched by
# similarity, yet Chroma builds a graph for every collection: the least it allows. At 36k
# films their graph took 27 s to build with the films' settings, 6 s with these
# (docs/benchmarks.md, Ingestion).
COMPANION_HNSW_CONFIGURATION = {
    "space": "cosine",
    "ef_construction": 8,
    "ef_search": 8,
    "max_neighbors": 4,
}


def _chroma_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False)  # fresh: HttpClient writes its address in


def _http_client(url: str) -> ClientAPI:
    parsed = urlparse(url)
    return chromadb.HttpClient(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 8000,
        ssl=parsed.scheme == "https",
        settings=_chroma_settings(),
    )


def local_server_url() -> str:
    """The address of the Chroma server `runstack` started for this data dir, if it runs."""
    try:
        record = json.loads(settings.RECSYS_CHROMA_LOCAL_SERVER_FILE.read_text())
        os.kill(record["pid"], 0)
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    return record["url"]


# Chroma's client set-up (its shared "system" per path or server) fails when two threads run it
# at once (KeyError, AttributeError inside chromadb 1.5.9): a threaded server's first requests
# that come together (runstack's runserver has no warm-up) or threads indexing side by side.
_client_lock = threading.Lock()


@lru_cache(maxsize=1)
def get_client() -> ClientAPI:
    with _client_lock:
        url = settings.RECSYS_CHROMA_URL or local_server_url()
        if url:
            return _http_client(url)
        settings.RECSYS_CHROMA_PATH.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(
            path=str(settings.RECSYS_CHROMA_PATH), settings=_chroma_settings()
        )


def collection_name(suffix: str = "live") -> str:
    return f"{settings.RECSYS_CHROMA_COLLECTION_PREFIX}-{suffix}"


def _create(name: str, hnsw: dict = HNSW_CONFIGURATION) -> Collection:
    """The collection, created (stamped with the index built now) if missing; an existing
    one keeps its fingerprint and its graph's settings. Reading the fingerprint costs a
    database query, so only a creation reads it."""
    client = get_client()
    with contextlib.suppress(NotFoundError, ValueError):
        return client.get_collection(name, embedding_function=None)
    return client.get_or_create_collection(
        name,
        configuration={"hnsw": hnsw},
        metadata={"fingerprint": index_fingerprint()},
        embedding_function=None,
    )


# --- The pointer: which collection is live, which one a rebuild is filling -----------------


@dataclass(frozen=True)
class Pointer:
    live: str
    building: str = ""
    retired: str = ""


def _pointer_collection() -> Collection:
    return get_client().get_or_create_collection(
        collection_name("pointer"),
        metadata={"live": collection_name("live")},
        embedding_function=None,
    )


def read_pointer() -> Pointer:
    meta = _pointer_collection().metadata or {}
    return Pointer(
        live=meta.get("live") or collection_name("live"),
        building=meta.get("building", ""),
        retired=meta.get("retired", ""),
    )


def _write_pointer(pointer: Pointer) -> None:
    _pointer_collection().modify(
        metadata={
            "live": pointer.live,
            "building": pointer.building,
            "retired": pointer.retired,
            "updated_at": timezone.now().isoformat(),
        }
    )


def get_collection(name: str | None = None) -> Collection:
    """The live collection (or the one named), created (cosine, stamped with the index
    fingerprint) if missing."""
    return _create(name or read_pointer().live)


def collection_fingerprint(collection: Collection) -> str:
    return (collection.metadata or {}).get("fingerprint", "")


def collection_model(collection: Collection) -> str:
    """The embedding model that made this collection's vectors (embedding.model_of): what
    encodes anything compared with them, or written into it."""
    return model_of(collection_fingerprint(collection))


def shadow_begin() -> str:
    """Start filling a fresh shadow collection; returns its name."""
    pointer = read_pointer()
    if pointer.building:
        drop_collection(pointer.building)
    name = collection_name(timezone.now().strftime("%Y%m%d%H%M%S%f"))
    _create(name)
    _write_pointer(Pointer(live=pointer.live, building=name, retired=pointer.retired))
    return name


def shadow_swap(name: str) -> None:
    """Make the shadow collection live. The previous one is kept (retired) until the next
    sweep, so a search that already holds it finishes."""
    pointer = read_pointer()
    if pointer.building != name:
        raise RuntimeError(f"{name} is not the collection being built ({pointer.building!r})")
    if pointer.retired:
        drop_collection(pointer.retired)
    _write_pointer(Pointer(live=name, retired=pointer.live))


def shadow_abandon(name: str) -> None:
    pointer = read_pointer()
    if pointer.building == name:
        _write_pointer(Pointer(live=pointer.live, retired=pointer.retired))
    drop_collection(name)


def drop_retired() -> None:
    pointer = read_pointer()
    if pointer.retired:
        drop_collection(pointer.retired)
        _write_pointer(Pointer(live=pointer.live, building=pointer.building))


def drop_collection(name: str) -> None:
    for doomed in (name, synopsis_name(name), sentences_name(name)):
        with contextlib.suppress(ValueError, NotFoundError):
            get_client().delete_collection(doomed)


# --- Companions of each collection: synopsis views and quotable sentences ---------------


def synopsis_name(name: str) -> str:
    return f"{name}--synopsis"


def synopsis_collection(collection: Collection) -> Collection:
    """The companion holding the synopsis vector of each film in `collection` that has one;
    it is written, swapped and dropped together with its collection."""
    return _create(synopsis_name(collection.name), COMPANION_HNSW_CONFIGURATION)


def sentences_name(name: str) -> str:
    return f"{name}--sentences"


def sentence_collection(collection: Collection) -> Collection:
    """The companion holding the vectors of the sentences explanations quote, kept from a
    film's first explanation until its text changes (ids "<movie id>:<sentence digest>",
    movie_id in metadata)."""
    return _create(sentences_name(collection.name), COMPANION_HNSW_CONFIGURATION)


# --- Writes and reads used by the index sync -------------------------------------------------


def write_targets() -> list[Collection]:
    """Where a film's new vector goes: the live collection and, while a rebuild is running,
    its shadow too (so an edit made mid-rebuild is not lost by the swap). The live collection
    is skipped when it was built for another model: its vectors are not comparable. Each
    target is written with vectors of its own model (indexing.services.store_vectors)."""
    pointer = read_pointer()
    targets = []
    live = get_collection(pointer.live)
    if collection_fingerprint(live) == index_fingerprint():
        targets.append(live)
    if pointer.building:
        targets.append(get_collection(pointer.building))
    return targets


UPSERT_CHUNK = 500  # films per write, under Chroma's batch limit


@dataclass(frozen=True)
class FilmVectors:
    """Everything the index keeps for one film when it is embedded."""

    id: str
    vector: np.ndarray  # the film text
    metadata: dict
    synopsis: np.ndarray | None  # the synopsis view; None when the film has no synopsis


def upsert(collections: Sequence[Collection], films: Sequence[FilmVectors]) -> None:
    """Store films: their vectors and synopsis views, and forget the sentence vectors kept for
    their previous text. The companions are written first, so a film whose main vector
    carries the current hash has its current views too (a failed write is retried whole)."""
    for start in range(0, len(films), UPSERT_CHUNK):
        _upsert_chunk(collections, films[start : start + UPSERT_CHUNK])


def _upsert_chunk(collections: Sequence[Collection], films: Sequence[FilmVectors]) -> None:
    ids = [f.id for f in films]
    viewed = [f for f in films if f.synopsis is not None]
    unviewed = [f.id for f in films if f.synopsis is None]
    for collection in collections:
        views = synopsis_collection(collection)
        if viewed:
            views.upsert(
                ids=[f.id for f in viewed], embeddings=np.stack([f.synopsis for f in viewed])
            )
        if unviewed:
            views.delete(ids=unviewed)
        sentence_collection(collection).delete(where={"movie_id": {"$in": [int(i) for i in ids]}})
        collection.upsert(
            ids=ids,
            embeddings=np.stack([f.vector for f in films]),
            metadatas=[f.metadata for f in films],
        )


def sentence_vectors_of(
    movie_id: int, sentences: Sequence[str], collection: Collection | None = None
) -> dict[str, np.ndarray]:
    """The stored vectors of those of this film's sentences that are kept, read by their ids
    (the text is not stored: an explanation knows the sentences it may quote)."""
    ids = {_sentence_id(movie_id, text): text for text in sentences}
    if not ids:
        return {}
    got = sentence_collection(collection or get_collection()).get(
        ids=list(ids), include=["embeddings"]
    )
    return {
        ids[found]: np.asarray(vector, dtype=np.float32)
        for found, vector in zip(got["ids"], got["embeddings"], strict=True)
    }


def sentence_vectors_keep(
    movie_id: int, vectors: dict[str, np.ndarray], collection: Collection | None = None
) -> None:
    """Keep the vectors of a film's sentences (encoded on its first explanation) for the next
    ones; they are dropped when the film is embedded again. Without the sentences as documents:
    the vector store's full-text index of them, which nothing searches, only cost write time."""
    if vectors:
        sentence_collection(collection or get_collection()).upsert(
            ids=[_sentence_id(movie_id, text) for text in vectors],
            embeddings=np.stack(list(vectors.values())),
            metadatas=[{"movie_id": movie_id} for _ in vectors],
        )


def _sentence_id(movie_id: int, text: str) -> str:
    return f"{movie_id}:{_digest(text)}"


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def delete(collections: Sequence[Collection], *, ids: Sequence[str]) -> None:
    if ids:
        for collection in collections:
            collection.delete(ids=list(ids))
            synopsis_collection(collection).delete(ids=list(ids))
            sentence_collection(collection).delete(
                where={"movie_id": {"$in": [int(i) for i in ids]}}
            )


def _pages(collection: Collection, include: list, page: int = 5000):
    offset = 0
    while True:
        got = collection.get(include=include, limit=page, offset=offset)
        yield got
        if len(got["ids"]) < page:
            return
        offset += page


def all_ids_and_hashes(collection: Collection) -> dict[str, str]:
    """Every id in the collection with the text hash stored beside its vector."""
    found: dict[str, str] = {}
    for got in _pages(collection, ["metadatas"]):
        for id_, meta in zip(got["ids"], got["metadatas"], strict=True):
            found[id_] = (meta or {}).get("hash", "")
    return found


def all_ids(collection: Collection) -> set[str]:
    return {id_ for got in _pages(collection, []) for id_ in got["ids"]}


def all_vectors(collection: Collection) -> tuple[np.ndarray, np.ndarray]:
    """Every (int) id in the collection, ascending, and its vector, as a float32 matrix."""
    ids: list[int] = []
    chunks: list[np.ndarray] = []
    for got in _pages(collection, ["embeddings"]):
        if not got["ids"]:
            continue
        ids.extend(int(i) for i in got["ids"])
        chunks.append(np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1))
    id_array = np.array(ids, dtype=np.int64)
    matrix = np.concatenate(chunks) if ids else np.zeros((0, DIMENSIONS), np.float32)
    order = np.argsort(id_array)
    return id_array[order], np.ascontiguousarray(matrix[order])
