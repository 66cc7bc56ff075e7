"""Writes to the catalogue.

movies_import reads one source with its importer, validates every row first, then upserts all
of them in one transaction with bulk queries: the keys of every film are loaded into dicts
once, so a 36k-row import runs a few dozen queries, not one per row.

Matching: a row is the film that holds one of its external ids (IMDb, TMDB, MovieLens,
Netflix, Wikipedia slug), else the film with its normalised title, year and kind. A film never
matches a row that names a different id of the same kind (two films called "Hamlet" from
1948 with two TMDB ids stay two films). Merging: empty fields are filled, filled ones are
never blanked, and the fields the source owns (Importer.owned_fields) are updated when they
differ. Genres, keywords and credits are only ever added (new cast bills after the old), so
importing sources in any order and again changes nothing the second time.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from jobs.models import Job
from jobs.services import (
    job_advance,
    job_claim,
    job_create,
    job_enqueue,
    job_fail,
    job_finish,
    job_log,
    job_record_errors,
    job_start,
)
from movies.importers import get_importer
from movies.importers.base import ID_FIELDS, RELATED_FIELDS, SCALAR_FIELDS, MovieRecord, RowError
from movies.models import Credit, Genre, Keyword, Movie, Person
from movies.signals import send_movies_changed_on_commit
from movies.text import normalize_title

Progress = Callable[..., Iterable]  # tqdm's signature: progress(iterable, desc=..., total=...)

BATCH_SIZE = 500
_EMPTY_SCALARS: dict[str, Any] = {
    name: None for name in ("year", "kind", "runtime", "popularity", "vote_average", "vote_count")
}
_LIST_FIELDS = ("countries", "languages")
_CREDIT_ROLES = {"directors": "director", "writers": "writer", "cast": "cast"}


class ImportValidationError(Exception):
    """Some rows are invalid and --skip-invalid was not given: nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(f"{len(errors)} invalid row(s); nothing was imported")


@dataclass
class ImportSummary:
    format: str = ""
    rows: int = 0  # valid rows read
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0  # rows that fell onto a film an earlier row of this import already matched
    skipped: int = 0  # invalid rows left out (--skip-invalid)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # ids that another film already holds
    movie_ids: list[int] = field(default_factory=list)  # created and updated films
    seconds: float = 0.0  # wall clock
    cpu_seconds: float = 0.0  # this process's CPU time: the figure a busy machine can't skew

    def line(self) -> str:
        return (
            f"{self.format}: {self.rows:,} rows -> created {self.created:,}, "
            f"updated {self.updated:,}, unchanged {self.unchanged:,}, "
            f"merged duplicates {self.merged:,}, skipped {self.skipped:,} "
            f"in {self.seconds:.1f} s ({self.cpu_seconds:.1f} s CPU)"
        )

    def sentence(self) -> str:
        """The summary in words, for a curator's job page (`line` is the command's)."""
        films = "film" if self.rows == 1 else "films"
        text = (
            f"Read {self.rows:,} {films} from the {self.format} file: {self.created:,} new, "
            f"{self.updated:,} changed, {self.unchanged:,} already up to date"
        )
        if self.merged:
            text += f", {self.merged:,} merged into a film listed earlier"
        if self.skipped:
            text += f"; {self.skipped:,} invalid rows left out"
        return text + "."

    def as_dict(self) -> dict[str, Any]:
        keys = ("format", "rows", "created", "updated", "unchanged", "merged", "skipped")
        return {key: getattr(self, key) for key in keys} | {
            "errors": [str(error) for error in self.errors],
            "warnings": self.warnings,
            "seconds": round(self.seconds, 2),
        }


def movies_import(
    *,
    format: str,
    paths: Sequence[str | Path],
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import PATHs of one source format. Raises ImportValidationError (and writes nothing)
    when a row is invalid, unless skip_invalid, which imports the valid rows and lists the
    others in the summary."""
    started, cpu_started = time.perf_counter(), time.process_time()
    importer = get_importer(format)
    parsed = importer.read([Path(p) for p in paths], progress=progress)
    if parsed.errors and not skip_invalid:
        raise ImportValidationError(parsed.errors)
    summary = movie_records_upsert(
        records=parsed.records, owned_fields=importer.owned_fields, progress=progress
    )
    summary.format = format
    summary.skipped = len(parsed.errors)
    summary.errors = parsed.errors
    summary.seconds = time.perf_counter() - started
    summary.cpu_seconds = time.process_time() - cpu_started
    return summary


class ImportTooLarge(Exception):
    """The uploaded files exceed RECSYS_IMPORT_MAX_MB: nothing was saved or queued."""

    def __init__(self, size: int):
        self.size = size
        limit = settings.RECSYS_IMPORT_MAX_MB
        super().__init__(
            f"The files total {size / 2**20:.1f} MB; an import takes at most {limit} MB "
            "(RECSYS_IMPORT_MAX_MB). Split the catalogue, or import it with "
            "`manage.py import_movies`."
        )


IMPORT_TASK = "movies.import_files"
IMPORT_STEPS = ("read and validate", "write")


def import_folder(job_id: int) -> Path:
    """Where an import job's uploaded files wait for the worker (removed when it is done)."""
    return Path(settings.RECSYS_IMPORT_UPLOAD_DIR) / f"job-{job_id}"


def import_size_check(size: int) -> None:
    if size > settings.RECSYS_IMPORT_MAX_MB * 2**20:
        raise ImportTooLarge(size)


def movies_import_enqueue(
    *,
    format: str,
    files: Sequence[UploadedFile],
    skip_invalid: bool = False,
    created_by: AbstractBaseUser | None = None,
) -> Job:
    """Queue uploaded files (admin) for import as an "import" Job: they are saved under
    RECSYS_IMPORT_UPLOAD_DIR (the data dir, which web and worker share) by their own names
    (MovieLens tells movies.csv from links.csv by name), streamed in chunks, and
    movies_import_run reads them in the worker. Raises ImportTooLarge past RECSYS_IMPORT_MAX_MB."""
    import_size_check(sum(upload.size or 0 for upload in files))
    names = [Path(upload.name or f"upload-{n}").name for n, upload in enumerate(files)]
    stored = [name if names.index(name) == n else f"{n}-{name}" for n, name in enumerate(names)]
    params = {"format": format, "files": names, "skip_invalid": skip_invalid}
    with transaction.atomic():
        job = job_create(
            kind=Job.Kind.IMPORT, params=params, total=len(IMPORT_STEPS), created_by=created_by
        )
        folder = import_folder(job.pk)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            for name, upload in zip(stored, files, strict=True):
                with (folder / name).open("wb") as out:
                    for chunk in upload.chunks():
                        out.write(chunk)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        job_enqueue(job=job, task_name=IMPORT_TASK, task_kwargs={"stored": stored})
    return job


def movies_import_run(*, job_id: int, stored: Sequence[str]) -> ImportSummary | None:
    """Run a queued import job (the worker's task): validate every row, then write them all in
    one transaction (movie_records_upsert), or nothing. The uploaded files are removed after.
    Returns None when another delivery had the job or the rows were invalid (the job failed,
    with every row's error)."""
    if not job_claim(job_id=job_id):
        return None  # a message sent twice: another delivery has (or had) the job
    job = Job.objects.get(pk=job_id)
    job_start(job_id=job_id, total=len(IMPORT_STEPS))
    folder = import_folder(job_id)
    format, skip_invalid = job.params["format"], job.params["skip_invalid"]
    try:
        summary = movies_import(
            format=format,
            paths=[folder / name for name in stored],
            skip_invalid=skip_invalid,
            progress=_job_progress(job_id),
        )
    except ImportValidationError as error:
        job_record_errors(job_id=job_id, errors=_job_errors(error.errors))
        job_fail(job_id=job_id, error=f"{error}. Tick “Skip invalid rows” to import the rest.")
        return None
    except Exception as error:
        job_fail(job_id=job_id, error=repr(error))
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    Job.objects.filter(pk=job_id).update(
        total=summary.rows + summary.skipped, done=summary.rows, failed=summary.skipped
    )
    job_record_errors(job_id=job_id, errors=_job_errors(summary.errors))
    for warning in summary.warnings[:100]:
        job_log(job_id=job_id, line=f"warning: {warning}")
    job_log(job_id=job_id, line=summary.sentence())
    job_log(job_id=job_id, line=summary.line())
    result = summary.as_dict()
    result.pop("errors")
    job_finish(job_id=job_id, result=result)
    return summary


def _job_progress(job_id: int, *, every: int = 5000) -> Progress:
    """movies_import's progress hook, written to the job: a log line every `every` rows read,
    and one step done when the rows are read and validated. The write is one transaction: its
    progress could not be seen before it commits, so it is one step."""

    def progress(iterable: Iterable, desc: str = "", **_kwargs) -> Iterable:
        if desc == "match":  # the write begins: reading and validation are done
            job_advance(job_id=job_id, done=1)
            job_log(job_id=job_id, line=f"validated; writing {_kwargs.get('total', 0):,} rows")
            yield from iterable
            return
        count = 0
        for count, item in enumerate(iterable, start=1):
            if count % every == 0:
                job_log(job_id=job_id, line=f"{desc}: {count:,} rows")
            yield item
        job_log(job_id=job_id, line=f"{desc}: {count:,} rows")

    return progress


def _job_errors(errors: list[RowError]) -> list[dict]:
    return [{"label": error.location, "error": error.message} for error in errors]


@transaction.atomic
def movie_records_upsert(
    *,
    records: Sequence[MovieRecord],
    owned_fields: frozenset[str],
    progress: Progress | None = None,
) -> ImportSummary:
    """Create or update one film per distinct row; see the module docstring for the rules."""
    progress = progress or _no_progress
    summary = ImportSummary(rows=len(records))
    index = _KeyIndex.load()
    touched: dict[int, _Film] = {}  # id(film) -> film, in first-touch order
    for record in progress(records, desc="match", total=len(records), unit=" rows"):
        film = index.find(record)
        if film is None:
            film = _Film.new(record)
            index.add(film)
        index.claim_ids(film, record, summary.warnings)
        film.records.append(record)
        touched.setdefault(id(film), film)
    films = list(touched.values())
    _load_values([f for f in films if f.pk is not None])
    for film in films:
        for record in film.records:
            film.merge(record, owned_fields)
    created = [f for f in films if f.pk is None]
    _create_films(created)
    related_changed = _write_related(films)
    updated = [f for f in films if not f.is_new and (f.changed or id(f) in related_changed)]
    _update_films(updated)

    summary.created, summary.updated = len(created), len(updated)
    summary.unchanged = len(films) - len(created) - len(updated)
    summary.merged = len(records) - len(films)
    summary.movie_ids = [f.pk for f in created] + [f.pk for f in updated]
    send_movies_changed_on_commit(movie_ids=summary.movie_ids)
    return summary


def _no_progress(iterable: Iterable, **_kwargs) -> Iterable:
    return iterable


@dataclass(eq=False)
class _Film:
    """A film this import touches: its keys, then its field values and what the rows add."""

    pk: int | None
    title: str
    norm: str
    year: int | None
    kind: str | None
    ids: dict[str, Any]
    is_new: bool = False
    records: list[MovieRecord] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    related_add: dict[str, dict[str, None]] = field(default_factory=dict)

    @classmethod
    def new(cls, record: MovieRecord) -> _Film:
        return cls(
            pk=None,
            title=record.title,
            norm=normalize_title(record.title),
            year=record.year,
            kind=record.kind or Movie.Kind.FILM,
            ids=dict.fromkeys(ID_FIELDS),
            is_new=True,
            values={name: _EMPTY_SCALARS.get(name, "") for name in SCALAR_FIELDS}
            | {name: [] for name in _LIST_FIELDS},
        )

    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    def merge(self, record: MovieRecord, owned: frozenset[str]) -> None:
        for name in SCALAR_FIELDS:
            value = getattr(record, name)
            if value is None or value == "" or value == ():
                continue
            if name in _LIST_FIELDS:
                value = list(value)
            current = self.values[name]
            if current == value:
                continue
            if current is None or current == "" or current == [] or name in owned:
                self.values[name] = value
                self.changed.add(name)
        for name in RELATED_FIELDS:
            if names := getattr(record, name):
                self.related_add.setdefault(name, {}).update(dict.fromkeys(names))

    def row(self) -> dict[str, Any]:
        """The film's column values, marked for (re-)indexing."""
        values = self.values | self.ids
        values["kind"] = values["kind"] or Movie.Kind.FILM
        values["normalized_title"] = normalize_title(values["title"])
        values["index_state"] = Movie.IndexState.PENDING
        return values

    def model(self) -> Movie:
        return Movie(pk=self.pk, **self.row())


class _KeyIndex:
    """Every film's external ids and title key, loaded once; new films join as they appear."""

    def __init__(self) -> None:
        self.by_id: dict[str, dict[Any, _Film]] = {name: {} for name in ID_FIELDS}
        self.by_title: dict[tuple[str, int | None], list[_Film]] = defaultdict(list)

    @classmethod
    def load(cls) -> _KeyIndex:
        index = cls()
        columns = ("pk", "title", "normalized_title", "year", "kind", *ID_FIELDS)
        for pk, title, norm, year, kind, *ids in Movie.objects.values_list(*columns).iterator(
            chunk_size=5000
        ):
            index.add(_Film(pk, title, norm, year, kind, dict(zip(ID_FIELDS, ids, strict=True))))
        return index

    def add(self, film: _Film) -> None:
        for name, value in film.ids.items():
            if value is not None:
                self.by_id[name][value] = film
        self.by_title[(film.norm, film.year)].append(film)

    def find(self, record: MovieRecord) -> _Film | None:
        for name in ID_FIELDS:
            value = getattr(record, name)
            film = self.by_id[name].get(value) if value is not None else None
            if film is not None and _ids_agree(record, film) and _may_share(name, record, film):
                return film
        for film in self.by_title.get((normalize_title(record.title), record.year), ()):
            if _ids_agree(record, film) and record.kind in (None, film.kind):
                return film
        return None

    def claim_ids(self, film: _Film, record: MovieRecord, warnings: list[str]) -> None:
        """Give the film the row's ids it lacks, unless another film holds them already."""
        for name in ID_FIELDS:
            value = getattr(record, name)
            if value is None or film.ids[name] is not None:
                continue
            owner = self.by_id[name].get(value)
            if owner is not None:
                warnings.append(
                    f"{record.location}: {name} {value} already belongs to {owner.label()}; "
                    f"not given to {film.label()}"
                )
                continue
            film.ids[name] = value
            self.by_id[name][value] = film
            film.changed.add(name)


def _may_share(id_field: str, record: MovieRecord, film: _Film) -> bool:
    """A Wikipedia article may cover several films ("The Train Wreckers", 1905 and 1925):
    its slug alone does not make two rows of different years one film."""
    if id_field != "wikipedia_slug" or record.year is None or film.year is None:
        return True
    return record.year == film.year


def _ids_agree(record: MovieRecord, film: _Film) -> bool:
    for name in ID_FIELDS:
        value, held = getattr(record, name), film.ids[name]
        if value is not None and held is not None and value != held:
            return False
    return True


def _chunks(items: Sequence, size: int = BATCH_SIZE) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _load_values(films: list[_Film]) -> None:
    by_pk = {film.pk: film for film in films}
    for chunk in _chunks(list(by_pk)):
        for row in Movie.objects.filter(pk__in=chunk).values("pk", *SCALAR_FIELDS):
            by_pk[row.pop("pk")].values = row


def _create_films(films: list[_Film]) -> None:
    pks = _insert_returning_pks(Movie, [film.row() for film in films])
    for film, pk in zip(films, pks, strict=True):
        film.pk = pk


def _max_query_params() -> int:
    """How many parameters one statement may bind: SQLite's compiled limit (32,766 since
    3.32; Django assumes 999), PostgreSQL's 65,535."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65535


def _insert_returning_pks(model, rows: list[dict[str, Any]]) -> list[int]:
    """Multi-row INSERT ... RETURNING id, the statement bulk_create sends on SQLite 3.35+ and
    PostgreSQL, without building a model instance and preparing every field of every row:
    for 36k films that preparation was 60% of the import's CPU time. Rows hold plain
    values by attname; a missing column gets its default (auto_now ones: now)."""
    if not rows:
        return []
    if not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover
        objs = model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH_SIZE)
        return [obj.pk for obj in objs]
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # Only these field types need the backend's conversion; the rest are plain str/int/float.
    prepare = {
        f.attname: f.get_db_prep_save
        for f in fields
        if f.get_internal_type() in ("JSONField", "DateTimeField", "DateField")
    }
    defaults = {}
    for f in fields:
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        value = now if auto else f.get_default()
        if f.attname in prepare:
            value = prepare[f.attname](value, connection)
        defaults[f.attname] = value
    returning = f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}"
    batch = max(1, min(BATCH_SIZE, _max_query_params() // len(fields)))
    names = [f.attname for f in fields]
    pks: list[int] = []
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, batch):
            values = [
                [
                    defaults[name]
                    if name not in row
                    else prepare[name](row[name], connection)
                    if name in prepare
                    else row[name]
                    for name in names
                ]
                for row in chunk
            ]
            sql, params = _insert_sql(model, fields, values)
            cursor.execute(sql + returning, params)
            pks += [pk for (pk,) in cursor.fetchall()]
    return pks


def _insert_sql(model, fields: list, rows: Sequence[Sequence[Any]]) -> tuple[str, list]:
    """One INSERT of many rows. On PostgreSQL the rows travel as one array per column through
    UNNEST (what bulk_create sends there since Django 5.2): psycopg scans a statement for its
    placeholders on every call, and for 500 films x 30 columns of `%s` that scan cost more
    than the insert (the 36k-film import took 4x as long as on SQLite)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
    if connection.vendor == "postgresql":
        # varchar[] rather than varchar(300)[]: a cast must never truncate (as in Django).
        arrays = ", ".join(f"(%s)::{f.db_type(connection).split('(')[0]}[]" for f in fields)
        return sql + f"SELECT * FROM UNNEST({arrays})", [list(c) for c in zip(*rows, strict=True)]
    one_row = f"({', '.join(['%s'] * len(fields))})"
    return sql + "VALUES " + ", ".join([one_row] * len(rows)), [v for row in rows for v in row]


def _update_films(films: list[_Film]) -> None:
    if not films:
        return
    now = timezone.now()
    fields = set().union(*(film.changed for film in films))
    if "title" in fields:
        fields.add("normalized_title")
    fields |= {"index_state", "updated_at"}
    models = []
    for film in films:
        movie = film.model()
        movie.updated_at = now
        models.append(movie)
    Movie.objects.bulk_update(models, sorted(fields), batch_size=BATCH_SIZE)


def _name_ids(model: type[Genre | Keyword | Person], names: set[str], fold: bool) -> dict:
    """name -> id for every name, creating the missing ones in bulk. Genres and keywords
    match case-insensitively; people by their exact name (the oldest of namesakes wins)."""
    key = str.casefold if fold else str
    ids: dict[str, int] = {}
    for name, pk in model.objects.order_by("-pk").values_list("name", "pk").iterator(10000):
        ids[key(name)] = pk
    missing = {key(name): name for name in names if key(name) not in ids}
    pks = _insert_returning_pks(model, [{"name": name} for name in missing.values()])
    ids.update(zip(missing, pks, strict=True))
    return {name: ids[key(name)] for name in names}


def _write_related(films: list[_Film]) -> set[int]:
    """Add the genres, keywords and credits films lack, in bulk; return the id() of every
    existing film that gained some."""
    with_related = [f for f in films if f.related_add]
    if not with_related:
        return set()
    wanted: dict[str, set[str]] = defaultdict(set)
    for film in with_related:
        for name, names in film.related_add.items():
            wanted[name].update(names)
    genre_ids = _name_ids(Genre, wanted["genres"], fold=True)
    keyword_ids = _name_ids(Keyword, wanted["keywords"], fold=True)
    people = wanted["directors"] | wanted["writers"] | wanted["cast"]
    person_ids = _name_ids(Person, people, fold=False)

    existing = [f.pk for f in with_related if not f.is_new]
    changed: set[int] = set()
    for name, through, target, ids in (
        ("genres", Movie.genres.through, "genre_id", genre_ids),
        ("keywords", Movie.keywords.through, "keyword_id", keyword_ids),
    ):
        current = defaultdict(set)  # movie pk -> {target id}
        for chunk in _chunks(existing):
            rows = through.objects.filter(movie_id__in=chunk).values_list("movie_id", target)
            for movie_id, target_id in rows:
                current[movie_id].add(target_id)
        add = []
        for film in with_related:
            have = current.get(film.pk, set())
            new = {ids[n] for n in film.related_add.get(name, ())} - have
            add += [(film.pk, i) for i in new]
            if new and not film.is_new:
                changed.add(id(film))
        _insert_rows(through, ("movie_id", target), add)

    credits = defaultdict(list)  # (movie pk, role) -> [(order, person id)]
    for chunk in _chunks(existing):
        rows = Credit.objects.filter(movie_id__in=chunk).values_list(
            "movie_id", "role", "person_id", "order"
        )
        for movie_id, role, person_id, order in rows:
            credits[(movie_id, role)].append((order, person_id))
    add = []
    for film in with_related:
        for name, role in _CREDIT_ROLES.items():
            if name not in film.related_add:
                continue
            have = credits.get((film.pk, role), [])
            present = {person_id for _, person_id in have}
            order = max((o for o, _ in have), default=-1) + 1  # new names bill after the old
            for person_id in dict.fromkeys(person_ids[n] for n in film.related_add[name]):
                if person_id not in present:
                    add.append((film.pk, person_id, role, order, ""))
                    order += 1
                    if not film.is_new:
                        changed.add(id(film))
    _insert_rows(Credit, ("movie_id", "person_id", "role", "order", "character"), add)
    return changed


def _insert_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT plain rows without model instances: link tables hold hundreds of thousands of
    rows, and building a model instance for each costs more than the insert itself. SQLite
    takes them through executemany; PostgreSQL as arrays (see _insert_sql), since psycopg's
    executemany sends them one statement per row."""
    if not rows:
        return
    fields = [model._meta.get_field(c) for c in columns]
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, 5000):
            if connection.vendor == "postgresql":
                cursor.execute(*_insert_sql(model, fields, chunk))
            else:
                sql, _ = _insert_sql(model, fields, chunk[:1])
                cursor.executemany(sql, chunk)
