"""One-off: fill popularity, vote_average and vote_count of the bundled catalogue
(data/catalogue.jsonl) from TMDB 5000 (public figures), so that "Popular" on a fresh clone opens
on well-known films instead of the oldest ones.

    python -m bench.catalogue_popularity [--tmdb PATH/tmdb_5000_movies.csv]

A film is matched by tmdb_id, else by normalised title and year (one year either way: release
dates and festival years differ). Only the three figures are copied, nothing else of the CSV.
A film with no match keeps no vote figures (unknown, not zero) and gets the catalogue's 25th
percentile popularity: it neither leads "Popular" nor sinks below every matched film (the
unmatched ones are mostly silent-era and non-English classics). Rerunning rewrites the same
values: the file is the record, this script is how it was made.
"""

import argparse
import csv
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

from movies.text import normalize_title  # noqa: E402

CATALOGUE = ROOT / "data" / "catalogue.jsonl"
TMDB = ROOT.parent / "shared" / "data" / "catalogues" / "tmdb_5000_movies.csv"
FIGURES = ("popularity", "vote_average", "vote_count")
FALLBACK_PERCENTILE = 25
# Where the figures go in a catalogue line (tests/movies/test_bundled_catalogue.py KEY_ORDER).
BEFORE = ("imdb_id", "tmdb_id", "movielens_id")


def tmdb_figures(path: Path) -> tuple[dict[int, dict], dict[tuple[str, int], dict]]:
    by_id: dict[int, dict] = {}
    by_title: dict[tuple[str, int], dict] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            figures = {
                "popularity": round(float(row["popularity"] or 0), 3),
                "vote_average": float(row["vote_average"] or 0),
                "vote_count": int(row["vote_count"] or 0),
            }
            by_id[int(row["id"])] = figures
            year = int(row["release_date"][:4]) if row["release_date"][:4].isdigit() else 0
            for title in {row["title"], row["original_title"]}:
                by_title.setdefault((normalize_title(title), year), figures)
    return by_id, by_title


def match(film: dict, by_id: dict, by_title: dict) -> dict | None:
    if (found := by_id.get(film.get("tmdb_id"))) is not None:
        return found
    for title in (film["title"], film.get("original_title", "")):
        for year in (film["year"], film["year"] - 1, film["year"] + 1):
            if (found := by_title.get((normalize_title(title), year))) is not None:
                return found
    return None


def with_figures(film: dict, figures: dict) -> dict:
    """The film's keys in the agreed order, the figures placed before the ids."""
    plain = {k: v for k, v in film.items() if k not in FIGURES and k not in BEFORE}
    ids = {k: film[k] for k in BEFORE if k in film}
    return plain | figures | ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tmdb", type=Path, default=TMDB)
    args = parser.parse_args()
    films = [json.loads(line) for line in CATALOGUE.read_text(encoding="utf-8").splitlines()]
    by_id, by_title = tmdb_figures(args.tmdb)
    found = [match(film, by_id, by_title) for film in films]
    matched = [f["popularity"] for f in found if f is not None]
    fallback = round(float(np.percentile(matched, FALLBACK_PERCENTILE)), 3)
    lines = []
    for film, figures in zip(films, found, strict=True):
        figures = figures if figures is not None else {"popularity": fallback}
        lines.append(json.dumps(with_figures(film, figures), ensure_ascii=False))
    CATALOGUE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(matched)} of {len(films)} films matched; fallback popularity {fallback}")


if __name__ == "__main__":
    main()
