"""Benchmark catalogues, built through the project's own import and index, cached on disk.

    python -m bench.catalogues tmdb        # TMDB 5000 (4,803 films)
    python -m bench.catalogues wikipedia   # the 36k Wikipedia films, full texts
    python -m bench.catalogues movielens   # MovieLens ml-latest-small (9,742 films)
    python -m bench.catalogues netflix     # Netflix titles (8,807 films and shows)
    RECSYS_INDEX_ENCODER_PRECISION=int8 python -m bench.catalogues wikipedia --into DIR

Every bench script runs as `python -m bench.NAME` from the repository root; the ones that need
a catalogue call `setup_django(name)`, which builds it first when it is missing.

A catalogue is a RECSYS_DATA_DIR of its own (SQLite database + embedded Chroma) under
var/bench/<name>-<key>/, where <key> hashes the source files and the code that shapes what
the catalogue holds (importers, the import service, the film text, the index). var/bench/<name>
links to the one the current code builds, so `manage.py` commands reach it with
`RECSYS_DATA_DIR=var/bench/<name>`; a rerun with nothing changed costs nothing.

The build is what a curator runs, each step a `manage.py` process of its own: `import_movies
--format <name>` (movies_import with the project's importer), then `sync_index` (index_sync,
its batches run inline by the command: no worker needed). Each step's wall and CPU time is
printed and kept in the catalogue's build.json (the 36k films' indexing time is issue 20's
figure, docs/benchmarks.md).
"""

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
BENCH_DIR = ROOT / "var" / "bench"
BUILT = "built"  # marker written last: a catalogue without it is rebuilt from scratch
# Every catalogue is embedded as the project embeds films: full texts at the model's own cap,
# sentence vectors made when a film is first explained. (The Wikipedia films were once embedded
# from 24-token truncations, when indexing 36k full texts took hours.)


@dataclass(frozen=True)
class Source:
    format: str  # an import_movies --format
    paths: tuple[Path, ...]


def sources() -> dict[str, Source]:
    wikipedia = tuple(sorted((SHARED_DATA / "wikipedia-movies").glob("movies-*.json")))
    movielens = SHARED_DATA / "movielens"
    return {
        "tmdb": Source("tmdb", (SHARED_DATA / "catalogues" / "tmdb_5000_movies.csv",)),
        "wikipedia": Source("wikipedia", wikipedia),
        "movielens": Source("movielens", (movielens / "movies.csv", movielens / "links.csv")),
        "netflix": Source("netflix", (SHARED_DATA / "catalogues" / "netflix_titles.csv",)),
    }


NAMES = tuple(sources())
# What decides a built catalogue's content: the import (importers, service, models and their
# migrations), the film text and the index. Any change here means a fresh build.
CODE = (
    "movies/importers",
    "movies/migrations",
    "movies/models.py",
    "movies/services.py",
    "movies/text.py",
    "recommendations/embedding.py",
    "recommendations/explain/facts.py",
    "recommendations/indexing",
    "recommendations/vector_store.py",
)
BUILD_VERSION = 2  # bump when build() below changes what it makes


def catalogue_key(name: str) -> str:
    """Hash of the source files (name, size, modification time) and of the code in CODE."""
    source = sources()[name]
    digest = hashlib.sha256(f"{BUILD_VERSION}:{source!r}".encode())
    for path in source.paths:
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    for entry in CODE:
        path = ROOT / entry
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def data_dir(name: str) -> Path:
    """var/bench/<name>: the link to the catalogue the current code builds."""
    return BENCH_DIR / name


def _built_dir(name: str) -> Path:
    return BENCH_DIR / f"{name}-{catalogue_key(name)}"


def ensure_built(name: str) -> Path:
    """The catalogue's data dir, built first (in a process of its own) if the current code
    has none. Needs no Django."""
    directory = _built_dir(name)
    if not (directory / BUILT).exists():
        _run_build(name)
    _point_at(name, directory)
    return directory


def copy_catalogue(name: str, directory: Path) -> None:
    """A copy of the built catalogue (database and index) into `directory`, for a bench that
    adds to it (ratings, a trained model) or runs services against it: the cache stays as
    built."""
    built = ensure_built(name)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy2(built / "db.sqlite3", directory / "db.sqlite3")
    shutil.copytree(built / "chroma", directory / "chroma", dirs_exist_ok=True)


def setup_django(name: str, directory: Path | None = None) -> None:
    """Points settings at the catalogue (built first if missing), or at `directory` (a copy of
    it: copy_catalogue, with models trained into it, say), and sets Django up. Call before
    anything imports Django."""
    os.environ["RECSYS_DATA_DIR"] = str(directory or ensure_built(name))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")
    import django

    django.setup()


def _run_build(name: str) -> None:
    """A build in a process of its own (the calling bench may have set Django up already)."""
    subprocess.run([sys.executable, "-m", "bench.catalogues", name], cwd=ROOT, check=True)


def _point_at(name: str, directory: Path) -> None:
    link = data_dir(name)
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():  # a catalogue of the old unkeyed layout: kept aside, not deleted
        link.rename(link.with_name(f"{name}-unkeyed-{int(time.time())}"))
    link.symlink_to(directory.name)


def build(name: str, into: Path | None = None) -> Path:
    """Imports and indexes catalogue `name` into its own data dir, unless already built.
    `into`: a directory outside the cache instead (a build with other settings, such as
    RECSYS_INDEX_ENCODER_PRECISION=int8, which the cache's key does not cover)."""
    source = sources()[name]
    missing = [str(p) for p in source.paths if not p.exists()] or ([] if source.paths else [name])
    if missing:
        raise SystemExit(f"{name}: source data missing ({', '.join(missing)}); see {SHARED_DATA}")
    directory = into or _built_dir(name)
    if (directory / BUILT).exists():
        if into is None:
            _point_at(name, directory)
        print(f"{name}: already built in {directory}")
        return directory
    shutil.rmtree(directory, ignore_errors=True)  # a build that stopped half-way
    directory.mkdir(parents=True)
    env = {
        **os.environ,
        "RECSYS_DATA_DIR": str(directory),
        "REDIS_URL": "",  # the catalogue's own file cache and SQLite broker
        "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "true"),  # a private data dir, no server
    }
    steps = {
        "migrate": ["migrate", "--verbosity", "0"],
        "import": ["import_movies", "--format", source.format, *map(str, source.paths)],
        "index": ["sync_index"],
    }
    timings = {step: _manage(command, env) for step, command in steps.items()}
    print(
        f"{name}: into {directory}\n"
        + "\n".join(
            f"  {step:<8}{t['wall_s']:8.1f} s wall {t['cpu_s']:8.1f} s CPU"
            for step, t in timings.items()
        )
    )
    (directory / "build.json").write_text(json.dumps(timings, indent=2) + "\n")
    (directory / BUILT).write_text(f"{catalogue_key(name)}\n")
    if into is None:
        _point_at(name, directory)
    return directory


def _manage(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Runs `manage.py <command>` as a curator would; its wall time and CPU time (user +
    system, the process and anything it waited for), with the load average before and after."""
    before_load, before_cpu = os.getloadavg()[0], _children_cpu()
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
    return {
        "wall_s": round(time.perf_counter() - started, 1),
        "cpu_s": round(_children_cpu() - before_cpu, 1),
        "load_before": round(before_load, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=NAMES)
    parser.add_argument("--into", type=Path, help="build here instead of under var/bench/")
    args = parser.parse_args()
    build(args.name, args.into)
