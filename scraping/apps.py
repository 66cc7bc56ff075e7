from django.apps import AppConfig


class ScrapingConfig(AppConfig):
    name = "scraping"
    verbose_name = "IMDb scraping"

    def ready(self) -> None:
        from jobs.models import Job
        from jobs.services import job_register_retry_failed
        from scraping.services import scrape_job_retry_failed

        job_register_retry_failed(Job.Kind.SCRAPE, scrape_job_retry_failed)
