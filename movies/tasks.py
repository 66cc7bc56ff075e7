from celery import shared_task

from movies.services import IMPORT_TASK, movies_import_run


@shared_task(name=IMPORT_TASK, ignore_result=True)
def import_files(job_id: int, stored: list[str]) -> None:
    """Import uploaded catalogue files queued by the admin (movies_import_enqueue)."""
    movies_import_run(job_id=job_id, stored=stored)
