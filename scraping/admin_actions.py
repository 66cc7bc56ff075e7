"""The "Scrape from IMDb" admin action, which scraping/apps.py adds to the Movie admin."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from scraping.errors import ScrapeError
from scraping.services import scrape_job_create


@admin.action(description="Scrape from IMDb (review before applying)", permissions=["change"])
def scrape_from_imdb(modeladmin, request, queryset) -> None:
    without_id = [str(m) for m in queryset if not m.imdb_id]
    try:
        job = scrape_job_create(
            movie_ids=list(queryset.values_list("pk", flat=True)), created_by=request.user
        )
    except ScrapeError as error:
        modeladmin.message_user(request, f"Nothing to scrape: {error.message}.", messages.ERROR)
        return
    if without_id:
        modeladmin.message_user(
            request,
            f"Skipped {len(without_id)} film(s) without an IMDb id: {', '.join(without_id)}.",
            messages.WARNING,
        )
    modeladmin.message_user(
        request,
        format_html(
            'Scraping {} film(s) from IMDb: <a href="{}">follow the job</a>, then '
            '<a href="{}">review the results</a>.',
            job.total,
            reverse("admin:jobs_job_change", args=[job.pk]),
            reverse("admin:scraping_scraperesult_changelist") + f"?job__id__exact={job.pk}",
        ),
        messages.SUCCESS,
    )
