"""The registry of trained models, for every kind (TrainedModel.Kind): one directory layout,
one way to register and activate a version, one way for a process to hold the active one.

Layout: a version's files live in RECSYS_MODELS_DIR/<kind>/<version>/; its TrainedModel row
keeps that directory relative to RECSYS_MODELS_DIR (`path`), so a moved RECSYS_MODELS_DIR still
finds them.

Reload rule: a process reads which versions are active (one query for every kind) and the
modification time of each version's marker file at most every
settings.RECSYS_ACTIVE_MODEL_CHECK_SECONDS, not on every call (it was one query a search); it
loads a version once and loads again when either changes (another version activated, or its
files rewritten in place: a database may hand a deleted row's id to a new version). So an
activation shows in every process within that time, and at once in the process that made it
(activating, saving or deleting a TrainedModel drops this process's view after commit). A
version that fails to load gives None, logged once, and callers serve without it.

`active_models_stamp()` names every active version a process serves with: cached search
results (recommendations/search/result_cache.py) are keyed by it.

The lab registers and activates; serving only calls `ActiveModel.get()`.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from recommendations.models import TrainedModel

logger = logging.getLogger(__name__)

Loaded = TypeVar("Loaded")


def kind_directory(kind: str) -> Path:
    """Where the versions of this kind keep their files, one directory each."""
    return Path(settings.RECSYS_MODELS_DIR) / kind


def artifact_directory(kind: str, version: str) -> Path:
    """Where a version of this kind keeps its files."""
    return kind_directory(kind) / version


def artifact_path(directory: Path) -> str:
    """The `path` a TrainedModel row records for this directory."""
    return str(Path(directory).relative_to(settings.RECSYS_MODELS_DIR))


def model_serves(model: TrainedModel) -> str:
    """Which searches a version of any kind changes, for the model list."""
    from recommendations.rerank.gate import gate_of

    if model.kind == TrainedModel.Kind.RERANKER:
        return gate_of(model).describe()
    if model.kind == TrainedModel.Kind.FUSION:
        words = (model.config.get("recipe") or {}).get("min_query_words")
        return f"queries of {words}+ words" if words else "every query"
    if model.kind == TrainedModel.Kind.RETRIEVER:
        return "every query (once the index is rebuilt with it)"
    return "—"


@transaction.atomic
def trained_model_register(
    *,
    kind: str,
    version: str,
    path: str,
    config: dict,
    metrics: dict,
    data_hash: str,
    activate: bool = False,
) -> TrainedModel:
    model = TrainedModel.objects.create(
        kind=kind, version=version, path=path, config=config, metrics=metrics, data_hash=data_hash
    )
    if activate:
        model = trained_model_activate(model_id=model.pk)
    return model


def trained_model_import(*, kind: str, source: Path, activate: bool = False) -> TrainedModel:
    """Registers a version trained in another install: its directory (as that install's
    RECSYS_MODELS_DIR/<kind>/<version>/ holds it, metrics.json and training.json included) is
    copied under this install's RECSYS_MODELS_DIR and registered under the same version, with
    the figures and data hash it was trained with. Refused (ValueError) when the kind is
    unknown, the directory is not a version's, or this install already has that version."""
    if kind not in TrainedModel.Kind.values:
        raise ValueError(f"unknown kind {kind!r}: use one of {sorted(TrainedModel.Kind.values)}")
    source = Path(source)
    training_file, metrics_file = source / "training.json", source / "metrics.json"
    if not training_file.is_file():
        raise ValueError(f"{source}: not a trained version's directory (no training.json)")
    version = source.name
    target = artifact_directory(kind, version)
    if target.exists() or TrainedModel.objects.filter(kind=kind, version=version).exists():
        raise ValueError(f"{kind} {version} is already in this install")
    training = json.loads(training_file.read_text())
    metrics = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target)
    return trained_model_register(
        kind=kind,
        version=version,
        path=artifact_path(target),
        config={"recipe": training.get("recipe", {}), "imported_from": str(source.resolve())},
        metrics=metrics,
        data_hash=training.get("data_hash", ""),
        activate=activate,
    )


@transaction.atomic
def trained_model_activate(*, model_id: int) -> TrainedModel:
    """Makes this version the active one of its kind (and no other)."""
    model = TrainedModel.objects.select_for_update().get(pk=model_id)
    TrainedModel.objects.filter(kind=model.kind, is_active=True).exclude(pk=model.pk).update(
        is_active=False
    )
    if not model.is_active:
        model.is_active = True
        model.save(update_fields=["is_active"])
    _expire_now_and_on_commit()  # the save's signal covers only its own row
    return model


class _ActiveRows:
    """Which version of each kind is active, as this process last read it: one query at most
    every RECSYS_ACTIVE_MODEL_CHECK_SECONDS for every kind together."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0  # one per read: ActiveModel's cue to work out its key again
        # (generation, kind -> (pk, version, path), when read); rows None: read on next call
        self._state: tuple[int, dict[str, tuple] | None, float] = (0, None, 0.0)

    def get(self) -> tuple[int, dict[str, tuple]]:
        generation, rows, read_at = self._state
        if rows is not None and time.monotonic() - read_at < _check_seconds():
            return generation, rows
        with self._lock:
            generation, rows, read_at = self._state
            if rows is None or time.monotonic() - read_at >= _check_seconds():
                active = TrainedModel.objects.filter(is_active=True)
                rows = {
                    kind: (pk, version, path)
                    for kind, pk, version, path in active.values_list(
                        "kind", "pk", "version", "path"
                    )
                }
                self._generation += 1
                generation = self._generation
                self._state = (generation, rows, time.monotonic())
            return generation, rows

    def expire(self) -> None:
        with self._lock:
            self._state = (self._generation, None, 0.0)


def _check_seconds() -> float:
    return settings.RECSYS_ACTIVE_MODEL_CHECK_SECONDS


_active_rows = _ActiveRows()
_instances: list[ActiveModel] = []


def expire_active_models() -> None:
    """Read the registry again on the next call (this process only; others within
    RECSYS_ACTIVE_MODEL_CHECK_SECONDS)."""
    _active_rows.expire()


def _expire_now_and_on_commit(**_: object) -> None:
    # Now, for this transaction's own reads; after commit, for the process's other threads
    # (which may have read the registry again before the commit)
    expire_active_models()
    transaction.on_commit(expire_active_models)


post_save.connect(_expire_now_and_on_commit, sender=TrainedModel, weak=False)
post_delete.connect(_expire_now_and_on_commit, sender=TrainedModel, weak=False)


def active_models_stamp() -> tuple:
    """The active version of every kind this process serves with (kind, row, marker time), as
    of its last look (see the reload rule): changes when one is activated or rewritten."""
    return tuple((model.kind, model.key()) for model in _instances)


class ActiveModel(Generic[Loaded]):
    """The active version of one kind, as `load(directory, version)` makes it, held once per
    process (see the reload rule above). `marker`: the file whose presence and modification
    time stand for the version's files."""

    def __init__(self, kind: str, load: Callable[[Path, str], Loaded], *, marker: str) -> None:
        self.kind, self._load, self._marker = kind, load, marker
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._value: Loaded | None = None
        # The key as last worked out, and the registry read it came from
        self._seen: tuple[int, tuple | None] = (-1, None)
        _instances.append(self)

    def key(self) -> tuple | None:
        """(row id, version, path, directory, marker mtime) of the active version, or None;
        no query, no file check between the registry's reads."""
        generation, rows = _active_rows.get()
        seen, key = self._seen
        if seen == generation:
            return key
        key = self._key_of(rows.get(self.kind))
        self._seen = (generation, key)
        return key

    def _key_of(self, row: tuple | None) -> tuple | None:
        if row is None:
            return None
        directory = Path(settings.RECSYS_MODELS_DIR) / row[2]
        try:
            written = (directory / self._marker).stat().st_mtime_ns
        except FileNotFoundError:
            written = None
        return (*row, str(directory), written)

    def get(self) -> Loaded | None:
        key = self.key()
        if key == self._key:
            return self._value
        with self._lock:
            if key != self._key:
                self._value = self._loaded(key)
                self._key = key
            return self._value

    def _loaded(self, key: tuple | None) -> Loaded | None:
        if key is None:
            return None
        _, version, _, directory, written = key
        if written is None:
            logger.error("%s %s: no %s in %s", self.kind, version, self._marker, directory)
            return None
        try:
            value = self._load(Path(directory), version)
        except Exception:
            logger.exception("%s %s at %s failed to load", self.kind, version, directory)
            return None
        logger.info("loaded %s %s", self.kind, version)
        return value

    def forget(self) -> None:
        """Drop what this process holds (tests; a changed RECSYS_MODELS_DIR)."""
        with self._lock:
            self._key, self._value = None, None
            self._seen = (-1, None)
        expire_active_models()
