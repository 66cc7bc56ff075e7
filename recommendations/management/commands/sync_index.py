"""Bring the vector index in line with the catalogue, here and now (no worker needed)."""

import sys
import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from jobs.models import Job
from jobs.services import job_origin
from recommendations.indexing import services


class Command(BaseCommand):
    help = "Embed every film whose vector is missing or stale (or all of them, --rebuild)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="embed the whole catalogue into a fresh collection, then swap it in",
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="rebuild every film's text, even films unchanged since indexed (rows edited "
            "behind the ORM's back)",
        )

    def handle(self, *args, **kwargs) -> None:
        with job_origin(Job.Origin.COMMAND):  # the job page says it came from a command
            self._handle(*args, **kwargs)

    def _handle(self, *args, rebuild: bool, verify: bool, **options) -> None:
        batches: list[services.Batch] = []
        if rebuild:
            job = services.index_rebuild(dispatch=batches.append)
        else:
            job = services.index_sync(dispatch=batches.append, verify_text=verify)
        if job is None:
            self.stdout.write(self.style.SUCCESS("The index is up to date."))
            return
        job.refresh_from_db()  # planning counted its films on the row, not on this object
        started = time.perf_counter()
        # The bar's rate is films a second; the job page shows the same from the job's counts.
        with tqdm(total=job.total, unit="film", disable=not job.total, file=sys.stderr) as bar:
            for batch in batches:
                services.index_batch(batch=batch)
                bar.update(len(batch.movie_ids))
        seconds = time.perf_counter() - started
        job.refresh_from_db()
        style = self.style.SUCCESS if job.failed == 0 else self.style.ERROR
        rate = f", {job.done / seconds:.1f} films/s" if job.done and seconds else ""
        self.stdout.write(
            style(
                f"{job}: {job.done} films indexed, {job.failed} failed, {job.total} in all "
                f"({seconds:.1f} s{rate})."
            )
        )
