"""A trained version, as every kind the lab trains (the reranker, the retriever, the learned
fusion) hands it over: named by its training time and written in its own directory under the
kind's. Django-free, as the training modules are; recommendations.lab.training_jobs registers
it (register_trained)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class TrainingResult:
    """What a training run wrote (directory) and what the registry records about it."""

    directory: Path
    version: str
    config: dict
    metrics: dict
    data_hash: str


def version_directory(output_root: Path, version: str | None = None) -> tuple[str, Path]:
    """The new version's name (the training time unless given) and its directory (not made)."""
    version = version or time.strftime("%Y%m%d-%H%M%S")
    return version, output_root / version
