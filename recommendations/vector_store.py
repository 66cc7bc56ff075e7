"""ChromaDB access: an embedded PersistentClient by default, an HttpClient when CHROMA_URL is
set. Vectors are computed by us (recommendations.embedding), never by Chroma."""

from functools import lru_cache
from urllib.parse import urlparse

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from django.conf import settings

from recommendations.embedding import index_fingerprint

# Measured on TMDB 5000 and the 36k Wikipedia films against exact search: see
# docs/benchmarks.md (recall@50 >= 0.99).
HNSW_CONFIGURATION = {
    "space": "cosine",
    "ef_construction": 200,
    "ef_search": 128,
    "max_neighbors": 32,
}


@lru_cache(maxsize=1)
def get_client() -> ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.CHROMA_URL:
        url = urlparse(settings.CHROMA_URL)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or 8000,
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.CHROMA_PATH.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.CHROMA_PATH), settings=chroma_settings)


def collection_name(suffix: str = "live") -> str:
    return f"{settings.CHROMA_COLLECTION_PREFIX}-{suffix}"


def get_collection(name: str | None = None) -> Collection:
    """The collection, created (cosine, stamped with the index fingerprint) if missing."""
    return get_client().get_or_create_collection(
        name or collection_name(),
        configuration={"hnsw": HNSW_CONFIGURATION},
        metadata={"fingerprint": index_fingerprint()},
        embedding_function=None,
    )
