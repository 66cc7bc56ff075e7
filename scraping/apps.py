from django.apps import AppConfig


class ScrapingConfig(AppConfig):
    name = "scraping"
    verbose_name = "IMDb scraping"

    def ready(self) -> None:
        from jobs.models import Job
        from jobs.services import job_register_retry_failed
        from movies.admin import MOVIE_ADMIN_EXTENSIONS
        from scraping.admin_actions import scrape_from_imdb
        from scraping.services import scrape_job_retry_failed

        job_register_retry_failed(Job.Kind.SCRAPE, scrape_job_retry_failed)
        MOVIE_ADMIN_EXTENSIONS.action_add(scrape_from_imdb)
