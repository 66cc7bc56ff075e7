"""python manage.py train_recommender [--queue]: train now (with a progress bar) or queue the
Celery task as the admin action does."""

from django.core.management.base import BaseCommand, CommandError

from jobs.models import Job
from jobs.services import JobAlreadyActive, job_origin
from recommendations.lab.progress import TqdmProgress
from recommendations.lab.recommender_training import recommender_train
from recommendations.lab_jobs import recommender_train_enqueue


class Command(BaseCommand):
    help = "Train the recommender (EASE on ratings and likes + film vectors) and activate it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--queue", action="store_true", help="queue it for the worker")

    def handle(self, *args, **kwargs) -> None:
        with job_origin(Job.Origin.COMMAND):  # the job page says it came from a command
            self._handle(*args, **kwargs)

    def _handle(self, *args, queue: bool, **options) -> None:
        if queue:
            try:
                job = recommender_train_enqueue()
            except JobAlreadyActive as error:
                raise CommandError(f"not queued: {error}") from error
            self.stdout.write(f"queued job #{job.pk}")
            return
        progress = TqdmProgress(self.stdout)
        try:
            trained = recommender_train(progress=progress)
        finally:
            progress.close()
        self.stdout.write(self.style.SUCCESS(f"trained {trained}: {trained.metrics}"))
