"""How long a sync takes when nothing changed, on the TMDB 5000 catalogue (target <= 2 s).

The catalogue is imported into a temporary data dir and indexed in Chroma (a server started
here) with the vectors bench/ingest.py saved for the same texts, so no encoding is needed; then
`index_sync()` (what the sweep and the `sync_index` command run) is timed, beside the thorough
variants that rebuild every film's text.

    .venv/bin/python bench/resync.py        # after bench/ingest.py has saved the vectors
"""

import io
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _support


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def main() -> None:
    vectors_dir = Path(os.environ.get("RECSYS_DATA_DIR", _support.ROOT / "var")) / "bench"
    stack = _support.isolated_environment(broker="embedded")

    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command
    from django.utils import timezone

    from recommendations import vector_store
    from recommendations.embedding import index_fingerprint
    from recommendations.indexing import services

    try:
        call_command("migrate", verbosity=0)
        films = _support.import_tmdb()
        vectors = np.load(vectors_dir / f"tmdb-{index_fingerprint().replace('/', '_')}.npy")
        texts = services.film_texts(None)
        assert len(vectors) == len(services.embedding_inputs(texts)), "stale vector cache"
        vector_store.upsert([vector_store.get_collection()], services.film_vectors(texts, vectors))
        services._mark_indexed_if_unchanged(texts, loaded_at=timezone.now())
        assert services.index_check().ok

        rows = []
        for label, fn in [
            ("index_sync()", lambda: services.index_sync()),
            ("`sync_index` command", lambda: call_command("sync_index", stdout=io.StringIO())),
            ("`sync_index --verify`", lambda: services.index_sync(verify_text=True)),
            ("`check_index` (thorough)", lambda: services.index_check()),
        ]:
            seconds = min(timed(fn)[0] for _ in range(3))
            rows.append((label, seconds))
        assert services.index_sync() is None
    finally:
        stack["chroma"].stop()
        shutil.rmtree(stack["data_dir"], ignore_errors=True)

    print(f"no-change re-sync of {films} TMDB films (best of 3, target <= 2 s):")
    for label, seconds in rows:
        print(f"  {label:<28}{seconds:6.2f} s")


if __name__ == "__main__":
    main()
