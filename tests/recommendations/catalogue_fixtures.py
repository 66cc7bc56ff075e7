"""Test catalogues, built the way a curator builds one: films imported by
`movies.services.movies_import` (our JSONL format, or a reference source with its importer),
then indexed by the index service (`index_sync`) with its batches run inline here, as the
`sync_index` command runs them: a worker is not what these fixtures are for. The benchmark
catalogues are built the same way (bench/catalogues.py).
"""

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from jobs.models import Job
from movies.services import ImportSummary, movies_import
from recommendations.indexing import services


def import_records(records: Iterable[dict], path: Path) -> ImportSummary:
    """Writes `records` (fields as in our JSONL format) to `path`, one a line, and imports it."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return movies_import(format="jsonl", paths=[path])


def index_inline(movie_ids: Sequence[int] | None = None) -> Job | None:
    """Brings the index in line with these films (all films when None), now, in this process:
    `index_sync` plans the batches, each runs here as its task would. Returns the sync's Job
    (None when there was nothing to embed)."""
    batches: list[services.Batch] = []
    job = services.index_sync(movie_ids=movie_ids, dispatch=batches.append)
    for batch in batches:
        services.index_batch(batch=batch)
    return job
