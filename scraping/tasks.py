"""Celery entry points: thin wrappers over scraping.services."""

from celery import shared_task
from celery.signals import worker_process_shutdown, worker_shutdown
from django.db import OperationalError

from jobs.services import job_fail
from scraping.browser import close_browser
from scraping.services import scrape_job_run


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def scrape_movies(self, job_id: int) -> None:
    try:
        scrape_job_run(job_id=job_id)
    except OperationalError:
        raise  # the database was busy: Celery retries, and the rerun skips finished films
    except Exception as error:
        job_fail(job_id=job_id, error=f"{type(error).__name__}: {error}")
        raise


@worker_process_shutdown.connect
@worker_shutdown.connect
def _close_browser_on_shutdown(**kwargs) -> None:
    close_browser()
