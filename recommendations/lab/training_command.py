"""What the train_* commands (the reranker's, the retriever's, the learned fusion's) share: the
recipe from the options, the training run's progress on the terminal with its errors as the
command's, and the new version's report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError

from recommendations.lab.progress import TqdmProgress
from recommendations.lab.reranker_data import limit_torch_threads
from recommendations.models import TrainedModel


def recipe_from_options(recipe_class: type, options: dict, fields: dict[str, str]):
    """The recipe (its tiny one with --tiny) with each field whose option was given; fields
    maps a recipe field to its option's name."""
    recipe = recipe_class.tiny() if options["tiny"] else recipe_class()
    given = {field: options[option] for field, option in fields.items()}
    return replace(recipe, **{k: v for k, v in given.items() if v is not None})


def queries_option(path: Path | None) -> Path | None:
    """--queries (optional), checked to be a file."""
    if path and not path.is_file():
        raise CommandError(f"--queries: {path} is not a file")
    return path


def train_in_command(
    stdout: TextIO, train: Callable[..., TrainedModel], request: Any
) -> TrainedModel:
    """train(request=request, progress=...) with a progress bar on stdout; a ValueError the
    training raises (too small a catalogue, no usable query) becomes the command's error."""
    # One torch thread: on the shared 2-core machine two threads wait on each other
    # (measured: 22 s a tiny step with two at load average 13).
    limit_torch_threads()
    progress = TqdmProgress(stdout)
    try:
        return train(request=request, progress=progress)
    except ValueError as error:
        raise CommandError(str(error)) from error
    finally:
        progress.close()


def write_version(
    command: BaseCommand,
    name: str,
    model: TrainedModel,
    figures: list[tuple[str, object]],
    *,
    note: str = "",
) -> None:
    """ "<name> <version><note> -> <path>", then a line per (label, figures)."""
    command.stdout.write(command.style.SUCCESS(f"{name} {model.version}{note} -> {model.path}"))
    for label, value in figures:
        command.stdout.write(f"  {label}: {value}")
