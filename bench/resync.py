"""How long a sync takes when nothing changed: TMDB 5000 (target <= 2 s) or the 36k
Wikipedia films (target <= 5 s).

A copy of the bench catalogue (imported and indexed by bench/catalogues.py, built first if
missing: `tmdb`, or `wikipedia` with --wikipedia) in a temporary data dir, its index served by a
Chroma server started here. Then `index_sync()` (what the sweep and the `sync_index` command
run) is timed, beside the thorough variants that rebuild every film's text.

    python -m bench.resync
    python -m bench.resync --wikipedia
"""

import argparse
import io
import shutil
import time

from bench import _support


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wikipedia", action="store_true", help="the 36k Wikipedia films")
    args = parser.parse_args()
    catalogue = "wikipedia" if args.wikipedia else "tmdb"
    stack = _support.isolated_environment(broker="embedded", catalogue=catalogue)

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

    name, target = ("Wikipedia", 5) if args.wikipedia else ("TMDB", 2)
    print(f"no-change re-sync of {films} {name} films (best of 3, target <= {target} s):")
    for label, seconds in rows:
        print(f"  {label:<28}{seconds:6.2f} s")


if __name__ == "__main__":
    main()
