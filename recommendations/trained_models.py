"""The registry of trained models, for every kind (TrainedModel.Kind): one directory layout,
one way to register and activate a version, one way for a process to hold the active one.

Layout: a version's files live in RECSYS_MODELS_DIR/<kind>/<version>/; its TrainedModel row
keeps that directory relative to RECSYS_MODELS_DIR (`path`), so a moved RECSYS_MODELS_DIR still
finds them.

Reload rule: `ActiveModel.get()` reads the active row on each call (one indexed query) and
the modification time of the version's marker file; a process loads a version once and loads
again when either changes (another version activated, or its files rewritten in place: a
database may hand a deleted row's id to a new version). A version that fails to load gives
None, logged once, and callers serve without it.

The lab registers and activates; serving only calls `ActiveModel.get()`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from django.conf import settings
from django.db import transaction

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
    return model


class ActiveModel(Generic[Loaded]):
    """The active version of one kind, as `load(directory, version)` makes it, held once per
    process (see the reload rule above). `marker`: the file whose presence and modification
    time stand for the version's files."""

    def __init__(self, kind: str, load: Callable[[Path, str], Loaded], *, marker: str) -> None:
        self.kind, self._load, self._marker = kind, load, marker
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._value: Loaded | None = None

    def _current_key(self) -> tuple | None:
        row = (
            TrainedModel.objects.filter(kind=self.kind, is_active=True)
            .values_list("pk", "version", "path")
            .first()
        )
        if row is None:
            return None
        directory = Path(settings.RECSYS_MODELS_DIR) / row[2]
        try:
            written = (directory / self._marker).stat().st_mtime_ns
        except FileNotFoundError:
            written = None
        return (*row, str(directory), written)

    def get(self) -> Loaded | None:
        key = self._current_key()
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
