"""Settings read from the environment: one name each, checked once, listed for the docs.

The naming rule (docs/architecture.md, "Settings"):

- a setting of the project's own is named ``RECSYS_...`` and reads the variable of the same
  name (``RECSYS_INDEX_BATCH_SIZE`` sets ``settings.RECSYS_INDEX_BATCH_SIZE``);
- a setting of Django's reads ``DJANGO_`` + its name (``DJANGO_DEBUG`` sets ``DEBUG``);
- Celery's read their own names (``CELERY_BROKER_URL``), and ``DATABASE_URL`` and ``REDIS_URL``
  keep the names every host and tool already uses for them.

`EnvReader` records each variable it reads with its default and what it is for, so that the
table in docs/architecture.md is generated from settings.py (``python -m recsys_site.env``) and
a test fails when the two differ. A retired variable name that is still set stops start-up
with an error naming the new one: a deployment is never left silently on a default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

# Variables the project read before issue 17, and the one each became.
RETIRED: dict[str, str] = {
    "CHROMA_URL": "RECSYS_CHROMA_URL",
    "CHROMA_COLLECTION_PREFIX": "RECSYS_CHROMA_COLLECTION_PREFIX",
    "INDEX_BATCH_SIZE": "RECSYS_INDEX_BATCH_SIZE",
    "INDEX_SWEEP_SECONDS": "RECSYS_INDEX_SWEEP_SECONDS",
    "INDEX_SWEEP_GRACE_SECONDS": "RECSYS_INDEX_SWEEP_GRACE_SECONDS",
    "INDEX_TASK_MAX_RETRIES": "RECSYS_INDEX_TASK_MAX_RETRIES",
    "INDEX_RETRY_BACKOFF_MAX": "RECSYS_INDEX_RETRY_BACKOFF_MAX",
    "INDEX_ENQUEUE_RETRIES": "RECSYS_INDEX_ENQUEUE_RETRIES",
    "INDEX_STORED_SENTENCES": "RECSYS_INDEX_STORED_SENTENCES",
    "RECOMMENDER_RETRAIN_CHECK_SECONDS": "RECSYS_RECOMMENDER_RETRAIN_CHECK_SECONDS",
    "RECOMMENDER_RETRAIN_MIN_FEEDBACK": "RECSYS_RECOMMENDER_RETRAIN_MIN_FEEDBACK",
    "EMBEDDING_BATCH_SIZE": "RECSYS_EMBEDDING_BATCH_SIZE",
    "LOG_FORMAT": "RECSYS_LOG_FORMAT",
    "LOG_LEVEL": "RECSYS_LOG_LEVEL",
    "RECSYS_RATELIMIT": "RECSYS_RATELIMIT_ENABLED",
    "RERANKER_TRAINING_QUERIES": "RECSYS_RERANKER_TRAINING_QUERIES",
    "RERANKER_RECIPE": "RECSYS_RERANKER_RECIPE",
    "RERANKER_RUNTIME": "RECSYS_RERANKER_RUNTIME",
    "RERANKER_THREADS": "RECSYS_RERANKER_THREADS",
    "SEARCH_LATENCY_FLUSH_EVERY": "RECSYS_SEARCH_LATENCY_FLUSH_EVERY",
    "SEARCH_LATENCY_FLUSH_SECONDS": "RECSYS_SEARCH_LATENCY_FLUSH_SECONDS",
    "EVALUATION_QUERIES": "RECSYS_EVALUATION_QUERIES",
    "EVALUATION_MOVIELENS_DIR": "RECSYS_EVALUATION_MOVIELENS_DIR",
    "CELERY_QUEUE": "CELERY_TASK_DEFAULT_QUEUE",
    "CELERY_VISIBILITY_TIMEOUT": "RECSYS_BROKER_VISIBILITY_TIMEOUT",
    "CELERY_POLLING_INTERVAL": "RECSYS_BROKER_POLLING_INTERVAL",
    "DJANGO_HSTS_SECONDS": "DJANGO_SECURE_HSTS_SECONDS",
    "DJANGO_SECURE_COOKIES": "DJANGO_SESSION_COOKIE_SECURE and DJANGO_CSRF_COOKIE_SECURE",
}


def refuse_retired_names(environment: Mapping[str, str]) -> None:
    """ImproperlyConfigured naming every retired variable that is set, and its new name."""
    found = [name for name in RETIRED if name in environment]
    if found:
        renames = "; ".join(f"{name} is now {RETIRED[name]}" for name in found)
        raise ImproperlyConfigured(
            f"Retired environment variable(s) set: {renames}. Rename them (the old names are "
            "no longer read, so the setting would silently fall back to its default)."
        )


@dataclass(frozen=True)
class Variable:
    """One environment variable the settings read: its name, its default as the docs show it,
    the setting it fills and what it is for."""

    name: str
    default: str
    setting: str
    doc: str


class EnvReader:
    """django-environ's reads, each recorded in `variables` (in the order settings.py reads
    them), with one check for variables that name one of a few choices."""

    def __init__(self, environment: environ.Env | None = None) -> None:
        self.env = environment or environ.Env()
        self.variables: dict[str, Variable] = {}

    def _record(self, name: str, default: Any, doc: str, shown: str | None, setting: str) -> None:
        shown_default = shown if shown is not None else _shown(default)
        self.variables[name] = Variable(name, shown_default, setting or name, doc)

    def str(
        self, name: str, default: str, doc: str, *, shown: str | None = None, setting: str = ""
    ) -> str:
        self._record(name, default, doc, shown, setting)
        return self.env.str(name, default=default)

    def int(
        self, name: str, default: int, doc: str, *, shown: str | None = None, setting: str = ""
    ) -> int:
        self._record(name, default, doc, shown, setting)
        return self.env.int(name, default=default)

    def float(
        self, name: str, default: float, doc: str, *, shown: str | None = None, setting: str = ""
    ) -> float:
        self._record(name, default, doc, shown, setting)
        return self.env.float(name, default=default)

    def bool(
        self, name: str, default: bool, doc: str, *, shown: str | None = None, setting: str = ""
    ) -> bool:
        self._record(name, default, doc, shown, setting)
        return self.env.bool(name, default=default)

    def list(
        self,
        name: str,
        default: Sequence[str],
        doc: str,
        *,
        shown: str | None = None,
        setting: str = "",
    ) -> list[str]:
        self._record(name, default, doc, shown, setting)
        return self.env.list(name, default=list(default))

    def path(self, name: str, default: Path, doc: str, *, shown: str, setting: str = "") -> Path:
        self._record(name, default, doc, shown, setting)
        return Path(self.env.str(name, default=str(default))).resolve()

    def db_url(self, name: str, default: str, doc: str, *, shown: str) -> dict:
        self._record(name, default, doc, shown, "DATABASES")
        return self.env.db_url(name, default=default)

    def choice(
        self,
        name: str,
        choices: Sequence[str],
        default: str,
        doc: str,
        *,
        setting: str = "",
    ) -> str:
        """One of `choices` (case and surrounding spaces ignored), or ImproperlyConfigured
        naming the variable and what it may be."""
        self._record(name, default, f"{doc} ({_or_list(choices)})", None, setting)
        value = self.env.str(name, default=default).strip().lower()
        if value not in choices:
            raise ImproperlyConfigured(f"{name}={value!r}: use {_or_list(choices)}")
        return value

    def markdown_table(self) -> str:
        """The table of docs/architecture.md's "Settings" section."""
        rows = ["| variable | default | what |", "|---|---|---|"]
        for var in self.variables.values():
            name = f"`{var.name}`"
            if var.setting != var.name:
                name += f" (`{var.setting}`)"
            rows.append(f"| {name} | {var.default} | {var.doc} |")
        return "\n".join(rows) + "\n"


def _shown(default: Any) -> str:
    if default in ("", None) or default == []:
        return "empty"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, list | tuple):
        return "`" + ",".join(default) + "`"
    return f"`{default}`"


def _or_list(choices: Sequence[str]) -> str:
    quoted = [f"`{c}`" for c in choices]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]


TABLE_START = "<!-- settings-table: generated by `python -m recsys_site.env`; do not edit -->"
TABLE_END = "<!-- settings-table: end -->"


def docs_with_table(text: str, table: str) -> str:
    """`text` (docs/architecture.md) with the generated table between the markers."""
    before, start, rest = text.partition(TABLE_START)
    _, end, after = rest.partition(TABLE_END)
    if not start or not end:
        raise ValueError(f"the markers {TABLE_START!r} and {TABLE_END!r} are missing")
    return f"{before}{TABLE_START}\n{table}{TABLE_END}{after}"


def settings_table() -> str:
    """The table of every variable recsys_site/settings.py reads (importing it if needed)."""
    from recsys_site import settings

    return settings.env.markdown_table()


DOCS = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"


def main() -> None:
    """Rewrite the table in docs/architecture.md from settings.py."""
    os.environ.setdefault("DJANGO_DEBUG", "true")  # the table needs no secret key
    table = settings_table()
    DOCS.write_text(docs_with_table(DOCS.read_text(), table))
    print(f"{DOCS}: {table.count(chr(10)) - 2} variables")


if __name__ == "__main__":
    main()
