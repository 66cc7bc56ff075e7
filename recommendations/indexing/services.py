"""Keeps the Chroma index true to the catalogue.

The database is the truth. Each film's vector is stored under ``str(movie.pk)`` with the hash of
the text it was computed from; the film row remembers that hash (``indexed_hash``). A sync
compares the two, so it is idempotent: only films whose text changed are embedded again.

Work is split into batches, each a Celery task (or run inline by the management commands).
A batch writes Chroma first (upserts are idempotent), then, in one transaction, marks its films
indexed and counts itself on its Job exactly once; a task redelivered after its worker was
killed repeats the Chroma writes and counts nothing twice.
"""

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Case, Prefetch, Value, When
from django.utils import timezone

from jobs.dispatch import task_send
from jobs.models import Job
from jobs.services import (
    job_commit_batch,
    job_complete_if_done,
    job_create,
    job_fail,
    job_log,
    job_start,
    job_start_phase,
)
from movies.models import Credit, Movie
from recommendations import vector_store
from recommendations.embedding import (
    film_text,
    index_fingerprint,
    synopsis_text,
    text_hash,
)
from recommendations.query_encoder import encode_batch

logger = logging.getLogger(__name__)

Mode = str  # "sync" | "reembed" | "rebuild"
SYNC, REEMBED, REBUILD = "sync", "reembed", "rebuild"
JOB_KIND = {SYNC: Job.Kind.SYNC, REEMBED: Job.Kind.REEMBED, REBUILD: Job.Kind.REBUILD}
_LOAD_CHUNK = 500  # ids per IN (...) query; SQLite refuses much longer lists here
# What an unreachable Chroma server raises (connection refused, timeouts, 5xx).
CHROMA_ERRORS = (httpx.HTTPError, ConnectionError, ValueError)


@dataclass(frozen=True)
class Batch:
    job_id: int
    number: int
    movie_ids: list[int]
    mode: Mode


Dispatch = Callable[[Batch], None]


@dataclass(frozen=True)
class FilmText:
    movie: Movie
    text: str
    hash: str  # of text; the synopsis comes from text's fields: the hash covers it
    synopsis: str = ""

    @property
    def metadata(self) -> dict:
        return {
            "movie_id": self.movie.pk,
            "year": self.movie.year or 0,
            "kind": self.movie.kind,
            "hash": self.hash,
        }


@dataclass
class CheckReport:
    films: int = 0
    vectors: int = 0
    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    not_indexed: int = 0  # rows not marked indexed (pending or failed)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


# --- Reading films --------------------------------------------------------------------------


def _films(movie_ids: Iterable[int] | None) -> Iterable[Movie]:
    # Credits join their people: a separate person prefetch over many films makes SQLite
    # build an OR chain deeper than it accepts.
    credits = Prefetch("credits", queryset=Credit.objects.select_related("person"))
    base = Movie.objects.prefetch_related("genres", "keywords", credits).order_by("pk")
    if movie_ids is None:
        ids = list(Movie.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(set(movie_ids))
    for start in range(0, len(ids), _LOAD_CHUNK):
        yield from base.filter(pk__in=ids[start : start + _LOAD_CHUNK])


def film_texts(movie_ids: Iterable[int] | None = None) -> list[FilmText]:
    """The text and hash of each film (all films when movie_ids is None)."""
    fingerprint = index_fingerprint()
    return [film_text_of(movie, fingerprint) for movie in _films(movie_ids)]


def film_text_of(movie: Movie, fingerprint: str | None = None) -> FilmText:
    """Expects genres, keywords and credits (with their people) prefetched. fingerprint:
    what the text is embedded for (default: the index built now)."""
    text = film_text(movie)
    return FilmText(
        movie=movie,
        text=text,
        hash=text_hash(text, fingerprint),
        synopsis=synopsis_text(movie),
    )


def embedding_inputs(films: Sequence[FilmText]) -> list[str]:
    """Every text a batch of films sends to the model, in the order film_vectors() reads them:
    each film's text, then the synopses. (The sentences explanations quote are encoded when a
    film is first explained: recommendations/explain/selectors.py.)"""
    return [f.text for f in films] + [f.synopsis for f in films if f.synopsis]


def film_vectors(films: Sequence[FilmText], encoded: np.ndarray) -> list[vector_store.FilmVectors]:
    """Splits the vectors of embedding_inputs(films) back into each film's share."""
    rows = iter(encoded[len(films) :])
    synopses = [next(rows) if f.synopsis else None for f in films]
    return [
        vector_store.FilmVectors(
            id=str(film.movie.pk), vector=vector, metadata=film.metadata, synopsis=synopsis
        )
        for film, vector, synopsis in zip(films, encoded[: len(films)], synopses, strict=True)
    ]


def store_films(collections, films: Sequence[FilmText]) -> None:
    """Embed films (every view, one encode call per model) and write them to the collections."""
    vector_store_by_model(collections, encode_by_model(collections, films))


def encode_by_model(collections, films: Sequence[FilmText]) -> dict[str, list]:
    """{model: the films' FilmVectors made by it}, for each model the collections were built
    with: a collection only ever receives vectors of the model that made it (its fingerprint),
    whichever retriever is active, so that queries and film vectors never mix models."""
    models = {vector_store.collection_model(c) for c in collections}
    if not films:
        return {model: [] for model in models}
    inputs = embedding_inputs(films)
    return {m: film_vectors(films, encode_batch(inputs, model=m)) for m in sorted(models)}


def vector_store_by_model(collections, vectors: dict[str, list], keep=None) -> None:
    """Writes each collection its own model's vectors (those `keep` accepts, when given)."""
    for collection in collections:
        chosen = vectors[vector_store.collection_model(collection)]
        if keep is not None:
            chosen = [v for v in chosen if keep(v)]
        if chosen:
            vector_store.upsert([collection], chosen)


# --- Planning: which films need work, in batches of similar length --------------------------


def enqueue_batch(batch: Batch) -> None:
    """Sent from inside a worker's task: an unreachable broker raises, and Celery retries. A
    busy broker (the embedded SQLite queue locked for a moment) is tried again 3 times first,
    as Celery's own publish does by default."""
    task_send(
        "recommendations.tasks.index_batch_task",
        args=[batch.job_id, batch.number, batch.movie_ids, batch.mode],
        retries=3,
    )


def _plan_job(
    *,
    films: list[FilmText],
    mode: Mode,
    created_by,
    params: dict,
    dispatch: Dispatch,
    job_id: int | None = None,
) -> Job:
    # Similar lengths in one batch waste less padding in the encoder.
    films = sorted(films, key=lambda f: len(f.text))
    size = settings.RECSYS_INDEX_BATCH_SIZE
    batches = [films[i : i + size] for i in range(0, len(films), size)]
    if job_id is None:
        job = job_create(kind=JOB_KIND[mode], params=params, created_by=created_by)
    else:  # queued by a curator's request, which shows them this job at once
        job = Job.objects.get(pk=job_id)
        job.params = {**job.params, **params}
        job.save(update_fields=["params"])
    job_start(job_id=job.pk, total=len(films))
    # The job page's rate (films a second) and time left are measured from here.
    job_start_phase(job_id=job.pk, name=f"embedding {len(films)} films", total=len(films))
    job_log(job_id=job.pk, line=f"{len(films)} films in {len(batches)} batches of up to {size}")
    if not films:
        job_complete_if_done(job_id=job.pk)
    for number, chunk in enumerate(batches):
        dispatch(Batch(job.pk, number, [f.movie.pk for f in chunk], mode))
    return job


def index_sync(
    *,
    movie_ids: Sequence[int] | None = None,
    created_by=None,
    dispatch: Dispatch = enqueue_batch,
    always_record: bool = False,
    verify_text: bool = False,
) -> Job | None:
    """Bring the index in line with these films (all films when None): embed the ones whose
    stored vector is missing or was computed from other text, remove the vectors of films that
    no longer exist. Returns the Job recording the work, or None when there was nothing to
    embed (unless always_record).

    A film indexed by this model and not saved since (every ORM change and `movies_changed`
    moves its updated_at) is trusted to still have the text it was indexed with, so its text is
    not rebuilt unless its vector is missing or differs; verify_text rebuilds every text (for
    rows changed behind the ORM's back).
    """
    loaded_at = timezone.now()
    trusted, doubtful = _split_by_record(movie_ids, verify_text=verify_text)
    films = film_texts(doubtful)
    expected = trusted | {str(f.movie.pk): f.hash for f in films}
    try:
        if _needs_rebuild():
            return index_rebuild(created_by=created_by, dispatch=dispatch)
        live = vector_store.get_collection()
        stored = _stored_hashes(live, None if movie_ids is None else [int(k) for k in expected])
        if movie_ids is None:
            gone = [key for key in stored if key not in expected]
        else:
            gone = [str(pk) for pk in set(movie_ids) if str(pk) not in expected]
        vector_store.delete(vector_store.write_targets(), ids=gone)
    except CHROMA_ERRORS as exc:
        # Plan from the database's record; the batches retry until Chroma is back (and the
        # sweep removes vectors of films deleted meanwhile).
        logger.warning("Chroma unreachable, planning from the database: %s", exc)
        stored = trusted | {
            str(f.movie.pk): f.movie.indexed_hash for f in films if _is_indexed(f.movie)
        }
        gone = []
    # A trusted film whose vector is missing or different needs its text after all.
    films += film_texts([int(key) for key, h in trusted.items() if stored.get(key) != h])
    stale = [f for f in films if stored.get(str(f.movie.pk)) != f.hash]
    current = [f for f in films if stored.get(str(f.movie.pk)) == f.hash]
    _mark_indexed_if_unchanged([f for f in current if _needs_mark(f)], loaded_at=loaded_at)
    if not stale and not always_record:
        return None
    params = {
        "requested": len(expected) if movie_ids is not None else "all",
        "up_to_date": len(expected) - len(stale),
        "removed": len(gone),
    }
    return _plan_job(
        films=stale, mode=SYNC, created_by=created_by, params=params, dispatch=dispatch
    )


def _split_by_record(
    movie_ids: Sequence[int] | None, *, verify_text: bool
) -> tuple[dict[str, str], list[int]]:
    """({str(pk): indexed hash} of films unchanged since indexed, [pk] of the others)."""
    trusted: dict[str, str] = {}
    doubtful: list[int] = []
    fields = ("pk", "index_state", "indexed_hash", "indexed_model", "indexed_at", "updated_at")
    if movie_ids is None:
        chunks = [Movie.objects.all()]
    else:
        ids = sorted(set(movie_ids))
        chunks = [
            Movie.objects.filter(pk__in=ids[i : i + _LOAD_CHUNK])
            for i in range(0, len(ids), _LOAD_CHUNK)
        ]
    fingerprint = index_fingerprint()
    for chunk in chunks:
        for pk, state, hash_, model, indexed_at, updated_at in chunk.values_list(*fields):
            unchanged = (
                state == Movie.IndexState.INDEXED
                and model == fingerprint
                and indexed_at is not None
                and updated_at <= indexed_at
            )
            if unchanged and not verify_text:
                trusted[str(pk)] = hash_
            else:
                doubtful.append(pk)
    return trusted, doubtful


def _is_indexed(movie: Movie) -> bool:
    return movie.index_state == Movie.IndexState.INDEXED


def _needs_mark(film: "FilmText") -> bool:
    movie = film.movie
    return movie.index_state != Movie.IndexState.INDEXED or movie.indexed_hash != film.hash


def _stored_hashes(collection, movie_ids: Sequence[int] | None) -> dict[str, str]:
    """The text hash stored beside each vector (all of them when movie_ids is None)."""
    if movie_ids is None:
        return vector_store.all_ids_and_hashes(collection)
    if not movie_ids:
        return {}
    got = collection.get(ids=[str(pk) for pk in movie_ids], include=["metadatas"])
    return {i: (m or {}).get("hash", "") for i, m in zip(got["ids"], got["metadatas"], strict=True)}


def index_reembed(
    *,
    movie_ids: Sequence[int],
    created_by=None,
    job_id: int | None = None,
    dispatch: Dispatch = enqueue_batch,
) -> Job:
    """Embed these films again even where their text is unchanged."""
    films = film_texts(movie_ids)
    return _plan_job(
        films=films,
        mode=REEMBED,
        created_by=created_by,
        params={"films": len(films)},
        dispatch=dispatch,
        job_id=job_id,
    )


def index_rebuild(
    *, created_by=None, job_id: int | None = None, dispatch: Dispatch = enqueue_batch
) -> Job:
    """Embed the whole catalogue into a fresh shadow collection; it replaces the live one when
    complete (see _finish_rebuild). Search reads the live collection meanwhile, and syncs write
    to both, so nothing edited during the rebuild is lost."""
    shadow = vector_store.shadow_begin()
    films = film_texts(None)
    params = {"collection": shadow, "fingerprint": index_fingerprint()}
    return _plan_job(
        films=films,
        mode=REBUILD,
        created_by=created_by,
        params=params,
        dispatch=dispatch,
        job_id=job_id,
    )


def _needs_rebuild() -> bool:
    pointer = vector_store.read_pointer()
    live = vector_store.get_collection(pointer.live)
    return vector_store.collection_fingerprint(live) != index_fingerprint() and not pointer.building


# --- One batch ----------------------------------------------------------------------------


def _targets(batch: Batch, job: Job):
    if batch.mode == REBUILD:
        name = job.params["collection"]
        if vector_store.read_pointer().building != name:
            job_fail(job_id=job.pk, error=f"superseded: {name} is no longer being built")
            raise RebuildSuperseded(name)
        return [vector_store.get_collection(name)]
    targets = vector_store.write_targets()
    if not targets:
        raise RuntimeError("no collection to write to: the live index needs a rebuild")
    return targets


class RebuildSuperseded(RuntimeError):
    """A newer rebuild replaced the shadow collection this batch was filling."""


def index_batch(*, batch: Batch, requeue: Callable[[list[int]], object] | None = None) -> int:
    """Embed and store one batch; returns how many films were stored.

    Encoding is slow and runs unlocked; the write is not. Under the films' row lock (on SQLite
    the write lock of the IMMEDIATE transaction) each film's text is read again, and a vector
    is written, and its film marked indexed, only where that text is still the one encoded. A
    film edited meanwhile is left pending and synced again (requeue): an older batch finishing
    last can no longer leave the old text's vector behind a film marked indexed."""
    job = Job.objects.get(pk=batch.job_id)
    if f"{batch.number}" in job.result.get("batches_done", []) or not job.is_active:
        return 0  # already counted (a redelivered task), or the job was given up
    films = film_texts(batch.movie_ids)
    gone = sorted(set(batch.movie_ids) - {f.movie.pk for f in films})
    try:
        targets = _targets(batch, job)
    except RebuildSuperseded:
        return 0
    vector_store.delete(targets, ids=[str(pk) for pk in gone])
    if batch.mode == SYNC:  # idempotent: what another task already stored is not redone
        stored = _stored_hashes(targets[0], [f.movie.pk for f in films])
        todo = [f for f in films if stored.get(str(f.movie.pk)) != f.hash]
    else:
        todo = films
    vectors = encode_by_model(targets, todo)
    with transaction.atomic():
        if not job_commit_batch(
            job_id=job.pk, batch_key=f"{batch.number}", done=len(batch.movie_ids)
        ):
            return 0
        current = _current_hashes_locked([f.movie.pk for f in films])
        fresh = [f for f in films if current.get(f.movie.pk) == f.hash]
        fresh_ids = {str(f.movie.pk) for f in fresh}
        # A film deleted meanwhile is in neither list: its delete removes its vectors. A film
        # a newer batch already indexed with its current text needs nothing more.
        changed = _not_indexed_with(
            {pk: h for pk, h in current.items() if str(pk) not in fresh_ids}
        )
        vector_store_by_model(targets, vectors, keep=lambda v: v.id in fresh_ids)
        _mark_indexed(fresh)
        if changed:
            Movie.objects.filter(pk__in=changed).update(
                index_state=Movie.IndexState.PENDING, indexed_hash=""
            )
            transaction.on_commit(lambda: (requeue or _requeue_sync)(changed))
    if changed:
        job_log(
            job_id=job.pk,
            line=f"batch {batch.number}: {len(changed)} films edited while embedding, synced again",
        )
    _complete(job.pk)
    return len([f for f in todo if str(f.movie.pk) in fresh_ids])


def _current_hashes_locked(movie_ids: Sequence[int]) -> dict[int, str]:
    """{pk: hash of the film's text now}, with the films' rows locked until the transaction
    ends (select_for_update; a no-op on SQLite, whose IMMEDIATE transaction holds the write
    lock already), so no edit can land between this check and the write that trusts it."""
    ids = sorted(set(movie_ids))
    for start in range(0, len(ids), _LOAD_CHUNK):
        list(
            Movie.objects.select_for_update()
            .filter(pk__in=ids[start : start + _LOAD_CHUNK])
            .values_list("pk", flat=True)
        )
    fingerprint = index_fingerprint()
    return {movie.pk: text_hash(film_text(movie), fingerprint) for movie in _films(ids)}


def _not_indexed_with(hashes: dict[int, str]) -> list[int]:
    """The films of {pk: current hash} not marked indexed with that hash."""
    done = {
        pk
        for pk, state, indexed_hash in Movie.objects.filter(pk__in=list(hashes)).values_list(
            "pk", "index_state", "indexed_hash"
        )
        if state == Movie.IndexState.INDEXED and indexed_hash == hashes[pk]
    }
    return sorted(set(hashes) - done)


def _requeue_sync(movie_ids: list[int]) -> None:
    from recommendations.indexing.receivers import enqueue_sync

    enqueue_sync(movie_ids)


def index_batch_retrying(*, batch: Batch, error: BaseException, attempt: int, countdown: float):
    job_log(
        job_id=batch.job_id,
        line=f"batch {batch.number} ({len(batch.movie_ids)} films) failed, attempt {attempt}: "
        f"{type(error).__name__}: {error}; retrying in {countdown:.0f}s",
    )


def index_batch_failed(*, batch: Batch, error: BaseException) -> None:
    """The batch gave up (retries exhausted): its films are marked failed, with the error."""
    message = f"{type(error).__name__}: {error}"[:2000]
    labels = dict(Movie.objects.filter(pk__in=batch.movie_ids).values_list("pk", "title"))
    errors = [
        {"object_id": pk, "label": labels.get(pk, f"#{pk}"), "error": message}
        for pk in batch.movie_ids
    ]
    with transaction.atomic():
        counted = job_commit_batch(
            job_id=batch.job_id,
            batch_key=f"{batch.number}",
            failed=len(batch.movie_ids),
            errors=errors,
        )
        if counted:
            Movie.objects.filter(pk__in=batch.movie_ids).update(
                index_state=Movie.IndexState.FAILED, index_error=message
            )
    job_log(job_id=batch.job_id, line=f"batch {batch.number} gave up: {message}")
    _complete(batch.job_id)


def _mark_indexed(films: Sequence[FilmText]) -> None:
    """Record what the index now holds, for films whose text the caller checked is current."""
    if not films:
        return
    Movie.objects.filter(pk__in=[f.movie.pk for f in films]).update(
        index_state=Movie.IndexState.INDEXED,
        index_error="",
        indexed_hash=Case(*[When(pk=f.movie.pk, then=Value(f.hash)) for f in films]),
        indexed_model=index_fingerprint(),
        indexed_at=timezone.now(),
    )


def index_store_vectors(films: Sequence[FilmText], encoded: np.ndarray, *, loaded_at) -> None:
    """Store vectors made elsewhere (`encoded`: `embedding_inputs(films)`'s vectors, in order)
    in the live collection and mark the films indexed, as a sync would: for a restore, or a
    benchmark that times a no-change sync without paying for the encoding."""
    vector_store.upsert([vector_store.get_collection()], film_vectors(films, encoded))
    _mark_indexed_if_unchanged(films, loaded_at=loaded_at)


def _mark_indexed_if_unchanged(films: Sequence[FilmText], *, loaded_at) -> None:
    """Record what the index now holds. A film saved after we read it is left pending with no
    hash: its own sync (or the sweep) embeds it again, whatever order the writes landed in."""
    if not films:
        return
    ids = [f.movie.pk for f in films]
    Movie.objects.filter(pk__in=ids, updated_at__lte=loaded_at).update(
        index_state=Movie.IndexState.INDEXED,
        index_error="",
        indexed_hash=Case(*[When(pk=f.movie.pk, then=Value(f.hash)) for f in films]),
        indexed_model=index_fingerprint(),
        indexed_at=timezone.now(),
    )
    Movie.objects.filter(pk__in=ids, updated_at__gt=loaded_at).update(
        index_state=Movie.IndexState.PENDING, indexed_hash=""
    )


def _complete(job_id: int) -> None:
    if not job_complete_if_done(job_id=job_id):
        return
    job = Job.objects.get(pk=job_id)
    if job.kind == Job.Kind.REBUILD:
        try:
            _finish_rebuild(job)
        except CHROMA_ERRORS as exc:
            job_log(job_id=job.pk, line=f"swap deferred to the next sweep: {exc}")


def _finish_rebuild(job: Job) -> None:
    """Check the shadow collection against the catalogue, mend what changed meanwhile, swap."""
    name = job.params["collection"]
    if job.failed:
        vector_store.shadow_abandon(name)
        job_log(job_id=job.pk, line=f"{job.failed} films failed; the live index was kept")
        return
    report = index_check(collection=vector_store.get_collection(name))
    mend = report.missing + report.stale
    store_films([vector_store.get_collection(name)], film_texts(mend))
    vector_store.delete([vector_store.get_collection(name)], ids=report.extra)
    vector_store.shadow_swap(name)
    job_log(
        job_id=job.pk,
        line=f"swapped in {name} (mended {len(mend)}, removed {len(report.extra)} extra)",
    )


# --- Deletes, the sweep, the check ----------------------------------------------------------


def index_delete(*, movie_ids: Sequence[int]) -> None:
    if movie_ids:
        vector_store.delete(vector_store.write_targets(), ids=[str(pk) for pk in movie_ids])


def index_sweep(*, dispatch: Dispatch = enqueue_batch) -> dict:
    """The periodic safety net: index films left pending (their change was saved while the
    broker was down), drop vectors of films that no longer exist, rebuild when the model or the
    text recipe changed, and discard the collection a finished rebuild replaced."""
    pointer = vector_store.read_pointer()
    if pointer.retired:
        vector_store.drop_retired()
    if pointer.building:
        _settle_rebuild(pointer.building)
    if _needs_rebuild():
        job = index_rebuild(dispatch=dispatch)
        return {"rebuild": job.pk}
    cutoff = timezone.now() - timedelta(seconds=settings.RECSYS_INDEX_SWEEP_GRACE_SECONDS)
    pending = list(
        Movie.objects.filter(index_state=Movie.IndexState.PENDING, updated_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    job = index_sync(movie_ids=pending, dispatch=dispatch) if pending else None
    live = vector_store.get_collection()
    in_index = {int(i) for i in live.get(include=[])["ids"]}
    in_db = set(Movie.objects.filter(pk__in=in_index).values_list("pk", flat=True))
    extra = sorted(in_index - in_db)
    index_delete(movie_ids=extra)
    if pending or extra:
        logger.info(
            "index sweep: %d pending films queued, %d extra vectors removed",
            len(pending),
            len(extra),
        )
    return {"pending": len(pending), "job": job.pk if job else None, "extra": len(extra)}


def _settle_rebuild(building: str) -> None:
    """Finish a rebuild whose swap failed; abandon a shadow collection no job is filling."""
    jobs = Job.objects.filter(kind=Job.Kind.REBUILD, params__collection=building)
    if jobs.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists():
        return
    finished = jobs.filter(status=Job.Status.SUCCEEDED).first()
    if finished:
        _finish_rebuild(finished)
    else:
        vector_store.shadow_abandon(building)


def index_check(*, collection=None) -> CheckReport:
    """Films missing from the index, stale in it (their text changed, or their synopsis vector
    is missing), or vectors of films that no longer exist."""
    collection = collection or vector_store.get_collection()
    stored = vector_store.all_ids_and_hashes(collection)
    with_synopsis = vector_store.all_ids(vector_store.synopsis_collection(collection))
    films = film_texts(None)
    report = CheckReport(films=len(films), vectors=len(stored))
    in_db = set()
    for f in films:
        key = str(f.movie.pk)
        in_db.add(key)
        if key not in stored:
            report.missing.append(f.movie.pk)
        elif stored[key] != f.hash or (f.synopsis and key not in with_synopsis):
            report.stale.append(f.movie.pk)
        if f.movie.index_state != Movie.IndexState.INDEXED:
            report.not_indexed += 1
    report.extra = sorted(set(stored) - in_db, key=lambda s: (len(s), s))
    return report


__all__ = [
    "Batch",
    "CheckReport",
    "index_batch",
    "index_batch_failed",
    "index_batch_retrying",
    "index_check",
    "index_delete",
    "index_rebuild",
    "index_reembed",
    "index_sweep",
    "index_sync",
]
