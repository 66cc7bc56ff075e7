"""Readies a web process for search: its thread pools sized for serving, then what a search
needs (models, indexes) loaded once, before traffic arrives."""

import gc
import logging
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)


def limit_serving_threads(threads: int | None = None) -> None:
    """Caps the numeric thread pools of this process (OpenBLAS/MKL/OpenMP through
    threadpoolctl, torch if loaded) at RECSYS_SERVING_THREADS. A search multiplies one query
    vector by the film matrix: spread over two threads, numpy's OpenBLAS spent 16 times the
    CPU of one thread on it, its idle threads spinning (docs/benchmarks.md)."""
    from threadpoolctl import threadpool_limits

    threads = threads or settings.RECSYS_SERVING_THREADS
    threadpool_limits(limits=threads)  # process-wide, until changed again
    if (torch := sys.modules.get("torch")) is not None:
        torch.set_num_threads(threads)


def warm_up() -> None:
    from recommendations.query_encoder import encode_queries
    from recommendations.search.catalogue import get_snapshot
    from recommendations.search.dense import get_dense_index
    from recommendations.search.pipeline import DEFAULT_CONFIG
    from recommendations.search.spelling import prepare_respelling
    from recommendations.similar import prepare_similar

    try:
        load_views_and_templates()
    except Exception:  # a broken template fails its own page, not the worker's start
        logger.exception("view and template warm-up failed; the first requests will be slower")
    encode_queries(["warm up"])  # loads (or first exports) the query encoder
    try:
        snapshot = get_snapshot()
        get_dense_index(snapshot).prepare(DEFAULT_CONFIG.synopsis_weight)
        prepare_respelling(snapshot.lexical)
        prepare_similar(snapshot)
    except Exception:  # a cold index must not stop the worker from serving
        logger.exception("search warm-up failed; the first searches will be slower")
    limit_serving_threads()  # after the loads: threadpoolctl caps the libraries loaded by now
    freeze_loaded_objects()


def warm_up_in_background() -> threading.Thread:
    """warm_up() on a thread of its own, for a server with no hook before its first request
    (Django's runserver, as runstack runs it): it listens at once, and a request that comes
    before the warm-up ends loads what it needs itself, as it did before."""
    thread = threading.Thread(target=_warm_up_logged, name="warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up_logged() -> None:
    try:
        warm_up()
    except Exception:  # the server runs on: its first requests load what they need
        logger.exception("warm-up failed; the first requests will be slower")


def load_views_and_templates() -> None:
    """What a worker's first request would load otherwise: the URLconf, which imports every
    view (the "why" panels' with LangChain: half a second of a viewer's wait), its patterns
    compiled for `reverse`, and every template of the project, compiled. Loaded here, they are
    frozen with the rest."""
    from django.template import engines
    from django.template.utils import get_app_template_dirs
    from django.urls import get_resolver

    resolver = get_resolver()
    # Lazy properties: reading them imports the views and compiles what `reverse` reads
    _ = resolver.url_patterns, resolver.reverse_dict
    for engine in engines.all():
        for name in project_templates([*engine.template_dirs, *get_app_template_dirs("templates")]):
            engine.get_template(name)


def project_templates(directories: Iterable[str | Path]) -> list[str]:
    """The names of the templates in those of `directories` that are the project's own (not
    an installed package's): the admin's own pages stay loaded on first use."""
    root = Path(settings.BASE_DIR).resolve()
    names = []
    for directory in map(Path, directories):
        directory = directory.resolve()
        installed = {"site-packages", "dist-packages"} & set(directory.parts)
        if root in directory.parents and not installed:
            names += [p.relative_to(directory).as_posix() for p in directory.rglob("*.html")]
    return sorted(set(names))


def freeze_loaded_objects() -> None:
    """What a worker has loaded by now (Django, the models, the catalogue snapshot's lookups)
    lives as long as it does: moved out of the garbage collector's sight, so that its
    collections stop walking a quarter of a million objects (0.8 -> 0.2 ms of CPU a search,
    docs/benchmarks.md). Objects made later, a rebuilt snapshot among them, are collected as
    usual; frozen ones are still freed when nothing refers to them."""
    gc.collect()  # the start-up's garbage goes first, not into the frozen set
    gc.freeze()
