"""How long a sync takes when nothing changed, on the TMDB 5000 catalogue (target <= 2 s).

A copy of the TMDB bench catalogue (imported and indexed by bench/catalogues.py, built first
if missing) in a temporary data dir, its index served by a Chroma server started here; then
`index_sync()` (what the sweep and the `sync_index` command run) is timed, beside the thorough
variants that rebuild every film's text.

    python -m bench.resync
"""

import io
import shutil
import time

from bench import _support


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def main() -> None:
    stack = _support.isolated_environment(broker="embedded", catalogue="tmdb")

    import django

    django.setup()
    from django.core.management import call_command

    from movies.models import Movie
    from recommendations.indexing import services

    try:
        films = Movie.objects.count()
        assert services.index_check().ok, "the bench catalogue's index is not in line"
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
