"""ChromaDB access: an embedded PersistentClient by default, an HttpClient when CHROMA_URL is
set (or when `runstack` started a local server). Vectors are computed by us
(recommendations.embedding), never by Chroma.

Which collection is live is kept in a small pointer record (the metadata of a vector-less
``<prefix>-pointer`` collection), so that a rebuild can fill a shadow collection while search
keeps reading the live one, then swap it in with one write. ``get_collection()`` always means
"the live collection".
"""

import contextlib
import json
import os
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

from recommendations.embedding import index_fingerprint

# Measured on TMDB 5000 and the 36k Wikipedia films against exact search: see
# docs/benchmarks.md (`python bench/hnsw_recall.py`, recall@50 >= 0.99).
HNSW_CONFIGURATION = {
    "space": "cosine",
    "ef_construction": 200,
    "ef_search": 128,
    "max_neighbors": 32,
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
        record = json.loads(settings.CHROMA_LOCAL_SERVER_FILE.read_text())
        os.kill(record["pid"], 0)
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    return record["url"]


@lru_cache(maxsize=1)
def get_client() -> ClientAPI:
    url = settings.CHROMA_URL or local_server_url()
    if url:
        return _http_client(url)
    settings.CHROMA_PATH.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.CHROMA_PATH), settings=_chroma_settings())


def collection_name(suffix: str = "live") -> str:
    return f"{settings.CHROMA_COLLECTION_PREFIX}-{suffix}"


def _create(name: str) -> Collection:
    return get_client().get_or_create_collection(
        name,
        configuration={"hnsw": HNSW_CONFIGURATION},
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


def shadow_begin() -> str:
    """Start filling a fresh shadow collection; returns its name."""
    pointer = read_pointer()
    if pointer.building:
        _drop(pointer.building)
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
        _drop(pointer.retired)
    _write_pointer(Pointer(live=name, retired=pointer.live))


def shadow_abandon(name: str) -> None:
    pointer = read_pointer()
    if pointer.building == name:
        _write_pointer(Pointer(live=pointer.live, retired=pointer.retired))
    _drop(name)


def drop_retired() -> None:
    pointer = read_pointer()
    if pointer.retired:
        _drop(pointer.retired)
        _write_pointer(Pointer(live=pointer.live, building=pointer.building))


def _drop(name: str) -> None:
    with contextlib.suppress(ValueError, NotFoundError):
        get_client().delete_collection(name)


# --- Writes and reads used by the index sync -------------------------------------------------


def write_targets() -> list[Collection]:
    """Where a film's new vector goes: the live collection and, while a rebuild is running,
    its shadow too (so an edit made mid-rebuild is not lost by the swap). The live collection
    is skipped when it was built for another model: its vectors are not comparable."""
    pointer = read_pointer()
    targets = []
    live = get_collection(pointer.live)
    if collection_fingerprint(live) == index_fingerprint():
        targets.append(live)
    if pointer.building:
        targets.append(get_collection(pointer.building))
    return targets


def upsert(
    collections: Sequence[Collection],
    *,
    ids: Sequence[str],
    vectors: np.ndarray,
    metadatas: Sequence[dict],
) -> None:
    for collection in collections:
        collection.upsert(ids=list(ids), embeddings=vectors, metadatas=list(metadatas))


def delete(collections: Sequence[Collection], *, ids: Sequence[str]) -> None:
    if ids:
        for collection in collections:
            collection.delete(ids=list(ids))


def all_ids_and_hashes(collection: Collection, *, page: int = 5000) -> dict[str, str]:
    """Every id in the collection with the text hash stored beside its vector."""
    found: dict[str, str] = {}
    offset = 0
    while True:
        got = collection.get(include=["metadatas"], limit=page, offset=offset)
        for id_, meta in zip(got["ids"], got["metadatas"], strict=True):
            found[id_] = (meta or {}).get("hash", "")
        if len(got["ids"]) < page:
            return found
        offset += page
