"""Benchmark catalogues, built once and cached under var/bench/<name>/ (never committed).

Each catalogue is its own RECSYS_DATA_DIR (SQLite database + embedded Chroma), so benches and
`manage.py evaluate` run against it with `RECSYS_DATA_DIR=var/bench/<name>`.

    .venv/bin/python -m bench.catalogues tmdb        # TMDB 5000, ~1 min
    .venv/bin/python -m bench.catalogues wikipedia   # 36k Wikipedia films, several minutes
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
NAMES = ("tmdb", "wikipedia")
WIKIPEDIA_MAX_SEQ_LENGTH = 24


def data_dir(name: str) -> Path:
    return ROOT / "var" / "bench" / name


def setup_django(name: str) -> None:
    """Points settings at the catalogue's data dir; call before anything imports Django."""
    os.environ["RECSYS_DATA_DIR"] = str(data_dir(name))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build(name: str) -> None:
    setup_django(name)
    from django.core.management import call_command

    from movies.models import Movie
    from tests.recommendations.catalogue_fixtures import (
        index_movies_into_chroma,
        load_tmdb_csv,
        load_wikipedia_json,
    )

    marker = data_dir(name) / "built"
    if marker.exists():
        print(f"{name}: already built in {data_dir(name)}")
        return
    call_command("migrate", verbosity=0)
    if not Movie.objects.exists():
        if name == "tmdb":
            count = load_tmdb_csv(SHARED_DATA / "catalogues" / "tmdb_5000_movies.csv")
        else:
            count = load_wikipedia_json(SHARED_DATA / "wikipedia-movies")
        print(f"{name}: loaded {count} films")
    if name == "wikipedia":
        # This shared 2-core machine embedded 3-12 full-length films a second (hours for
        # 34k). The 34k catalogue serves the latency bench, whose cost does not depend on
        # what the vectors say, so its films are embedded from the first word pieces of
        # film_text() (title, year, genres, first cast names). Quality is measured on TMDB.
        # Nor does it explain, so no sentence vectors (Wikipedia plots run to dozens of
        # sentences a film).
        from django.conf import settings

        from recommendations.embedding import get_model

        get_model().max_seq_length = WIKIPEDIA_MAX_SEQ_LENGTH
        settings.RECSYS_INDEX_STORED_SENTENCES = 0
    index_movies_into_chroma(progress=True)
    marker.write_text("ok\n")


if __name__ == "__main__":
    build(sys.argv[1])
