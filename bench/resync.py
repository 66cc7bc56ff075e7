"""How long a sync takes when nothing changed: TMDB 5000 (target <= 2 s) or the 36k
Wikipedia films (target <= 5 s).

The catalogue is imported into a temporary data dir and indexed in Chroma (a server started
here) without encoding: TMDB with the vectors bench/ingest.py saved for the same texts,
Wikipedia with random unit vectors (a no-change sync never reads a vector's values). Then
`index_sync()` (what the sweep and the `sync_index` command run) is timed, beside the thorough
variants that rebuild every film's text.

    .venv/bin/python -m bench.resync                 # after bench.ingest has saved the vectors
    .venv/bin/python -m bench.resync --wikipedia
"""

import argparse
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


def import_wikipedia() -> int:
    from django.core.management import call_command

    from movies.models import Movie

    files = sorted((_support.TMDB_CSV.parent.parent / "wikipedia-movies").glob("movies-*.json"))
    call_command("import_movies", "--format", "wikipedia", *map(str, files), "--skip-invalid")
    return Movie.objects.count()


def random_unit_vectors(rows: int):
    import numpy as np

    vectors = np.random.default_rng(0).standard_normal((rows, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wikipedia", action="store_true", help="the 36k Wikipedia films")
    args = parser.parse_args()
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
        films = import_wikipedia() if args.wikipedia else _support.import_tmdb()
        texts = services.film_texts(None)
        if args.wikipedia:
            vectors = random_unit_vectors(len(services.embedding_inputs(texts)))
        else:
            vectors = np.load(vectors_dir / f"tmdb-{index_fingerprint().replace('/', '_')}.npy")
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

    name, target = ("Wikipedia", 5) if args.wikipedia else ("TMDB", 2)
    print(f"no-change re-sync of {films} {name} films (best of 3, target <= {target} s):")
    for label, seconds in rows:
        print(f"  {label:<28}{seconds:6.2f} s")


if __name__ == "__main__":
    main()
