"""Writes: scrape jobs, their per-film results, and applying a reviewed result to the film."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from jobs.models import Job
from jobs.services import (
    job_advance,
    job_create,
    job_enqueue,
    job_fail,
    job_finish,
    job_is_cancelled,
    job_log,
    job_record_errors,
    job_start,
)
from movies.models import Credit, Genre, Movie, Person
from movies.signals import send_movies_changed_on_commit
from scraping.errors import ScrapeError
from scraping.extract import FIELDS
from scraping.fetch import scrape_title, title_url
from scraping.models import ScrapeResult
from scraping.selectors import CREDIT_ROLES, MOVIE_COLUMNS, scrape_diff

logger = logging.getLogger(__name__)
UNIQUE_IDS = ("imdb_id", "tmdb_id", "movielens_id", "netflix_id", "wikipedia_slug")


class ScrapeApplyError(Exception):
    pass


def scrape_job_create(*, movie_ids: list[int], created_by=None) -> Job:
    """A scrape job for the films given (each needs an IMDb id), queued once committed."""
    ids = list(
        Movie.objects.filter(pk__in=movie_ids, imdb_id__isnull=False)
        .exclude(imdb_id="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        raise ScrapeError(ScrapeError.NO_IMDB_ID, "none of these films has an IMDb id")
    job = job_create(
        kind=Job.Kind.SCRAPE, params={"movie_ids": ids}, total=len(ids), created_by=created_by
    )
    job_enqueue(
        job=job, task_name="scraping.tasks.scrape_movies", queue=settings.RECSYS_SCRAPE_QUEUE
    )
    return job


def scrape_job_retry_failed(job: Job, created_by=None) -> Job:
    """A new scrape of only the films that failed in this job (registered with jobs.services)."""
    failed = ScrapeResult.objects.filter(job=job, status=ScrapeResult.Status.FAILED)
    return scrape_job_create(
        movie_ids=list(failed.values_list("movie_id", flat=True)), created_by=created_by
    )


def _result_failed(*, job: Job | None, movie: Movie, url: str, error: ScrapeError) -> ScrapeResult:
    result, _ = ScrapeResult.objects.update_or_create(
        job=job,
        movie=movie,
        defaults={
            "imdb_id": movie.imdb_id or "",
            "url": url,
            "status": ScrapeResult.Status.FAILED,
            "error": f"[{error.kind}] {error.message}",
        },
    )
    return result


def scrape_movie(*, movie: Movie, job: Job | None = None, base_url: str | None = None):
    """Scrape one film's page into a pending ScrapeResult; the film itself is not touched."""
    url = ""
    try:
        url = title_url(movie.imdb_id or "", base_url=base_url)
        page = scrape_title(movie.imdb_id, base_url=base_url)
    except ScrapeError as error:
        return _result_failed(job=job, movie=movie, url=url, error=error)
    extraction = page.extraction
    result, _ = ScrapeResult.objects.update_or_create(
        job=job,
        movie=movie,
        defaults={
            "imdb_id": movie.imdb_id,
            "url": page.final_url,
            "fetcher": page.fetcher,
            "status": ScrapeResult.Status.PENDING,
            "raw": extraction.raw,
            "fields": extraction.fields,
            "sources": extraction.sources,
            "diff": scrape_diff(movie=movie, fields=extraction.fields),
            "missing_fields": extraction.missing,
            "error": "",
        },
    )
    return result


def scrape_job_run(*, job_id: int) -> None:
    """The scrape task's body. Idempotent: a rerun (a retried task) skips the films this job
    already has a result for."""
    job = Job.objects.get(pk=job_id)
    if job.status == Job.Status.CANCELLED:
        return
    movie_ids = job.params.get("movie_ids", [])
    job_start(job_id=job_id, total=len(movie_ids))
    done_ids = set(ScrapeResult.objects.filter(job=job).values_list("movie_id", flat=True))
    movies = Movie.objects.filter(pk__in=movie_ids).exclude(pk__in=done_ids).order_by("pk")
    failed = 0
    for movie in movies:
        if job_is_cancelled(job_id=job_id):  # a curator cancelled it: stop between films
            return
        result = scrape_movie(movie=movie, job=job)
        if result.status == ScrapeResult.Status.FAILED:
            failed += 1
            job_record_errors(
                job_id=job_id,
                errors=[{"object_id": movie.pk, "label": str(movie), "error": result.error}],
            )
            job_advance(job_id=job_id, failed=1)
            job_log(job_id=job_id, line=f"{movie}: {result.error}")
        else:
            job_advance(job_id=job_id, done=1)
            job_log(job_id=job_id, line=f"{movie}: {len(result.diff)} field(s) differ")
    results = ScrapeResult.objects.filter(job=job)
    summary = {
        "pending": results.filter(status=ScrapeResult.Status.PENDING).count(),
        "failed": results.filter(status=ScrapeResult.Status.FAILED).count(),
    }
    if summary["pending"] == 0 and summary["failed"]:
        job_fail(job_id=job_id, error=f"all {summary['failed']} film(s) failed; see errors")
        Job.objects.filter(pk=job_id).update(result=summary)
    else:
        job_finish(job_id=job_id, result=summary)


def _person_for(*, movie: Movie, data: dict[str, Any]) -> Person:
    if data.get("imdb_id"):
        person = Person.objects.filter(imdb_id=data["imdb_id"]).first()
        if person:
            return person
        # The same name already credited on this film without an id: the same person.
        credited = Person.objects.filter(
            credits__movie=movie, name=data["name"], imdb_id__isnull=True
        ).first()
        if credited:
            credited.imdb_id = data["imdb_id"]
            credited.save(update_fields=["imdb_id", "updated_at"])
            return credited
        return Person.objects.create(name=data["name"], imdb_id=data["imdb_id"])
    return Person.objects.filter(name=data["name"]).first() or Person.objects.create(
        name=data["name"]
    )


def _set_credits(*, movie: Movie, role: str, people: list[dict[str, Any]]) -> None:
    persons = [_person_for(movie=movie, data=data) for data in people]  # before credits go
    movie.credits.filter(role=role).delete()
    seen: set[int] = set()
    for order, (data, person) in enumerate(zip(people, persons, strict=True)):
        if person.pk in seen:
            continue
        seen.add(person.pk)
        Credit.objects.create(
            movie=movie,
            person=person,
            role=role,
            order=order,
            character=(data.get("character") or "")[:255],
        )


@transaction.atomic
def scrape_result_apply(
    *, result_id: int, fields: list[str] | None = None, applied_by=None
) -> list[str]:
    """Write the chosen scraped fields (all that differ when ``fields`` is None) to the film,
    genres and credits included, and tell the index the film changed. Returns what changed."""
    result = ScrapeResult.objects.select_for_update().select_related("movie").get(pk=result_id)
    if result.status != ScrapeResult.Status.PENDING:
        raise ScrapeApplyError(f"this result is {result.get_status_display().lower()}")
    movie = result.movie
    diff = scrape_diff(movie=movie, fields=result.fields)
    chosen = list(diff) if fields is None else [f for f in FIELDS if f in fields]
    unknown = [f for f in chosen if f not in result.fields]
    if unknown:
        raise ScrapeApplyError(f"the page gave no value for {', '.join(unknown)}")
    for name in chosen:
        value = result.fields[name]
        if name in MOVIE_COLUMNS:
            setattr(movie, MOVIE_COLUMNS[name], value)
        elif name == "genres":
            movie.genres.set([Genre.objects.get_or_create(name=g)[0] for g in value])
        elif name in CREDIT_ROLES:
            _set_credits(movie=movie, role=CREDIT_ROLES[name], people=value)
    try:
        movie.full_clean(exclude=[*UNIQUE_IDS])
    except ValidationError as error:
        raise ScrapeApplyError("; ".join(error.messages)) from error
    movie.save()  # post_save: the index follows the film
    send_movies_changed_on_commit(movie_ids=[movie.pk])  # genres and credits changed too
    result.status = ScrapeResult.Status.APPLIED
    result.applied_fields = chosen
    result.reviewed_at = timezone.now()
    result.reviewed_by = applied_by
    result.save(update_fields=["status", "applied_fields", "reviewed_at", "reviewed_by"])
    return chosen


def scrape_result_reject(*, result_id: int, rejected_by=None) -> None:
    ScrapeResult.objects.filter(pk=result_id, status=ScrapeResult.Status.PENDING).update(
        status=ScrapeResult.Status.REJECTED, reviewed_at=timezone.now(), reviewed_by=rejected_by
    )
