"""Reviewing scraped values: each result opens on a page listing every field as old → new with a
checkbox, and applies the ticked ones (or rejects the lot) through scraping.services."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from jobs.errors import error_display, error_summary
from scraping.errors import ScrapeError
from scraping.extract import FIELDS
from scraping.models import ScrapeResult
from scraping.selectors import FIELD_LABELS, display_value, movie_current_values, scrape_diff
from scraping.services import (
    ScrapeApplyError,
    scrape_job_create,
    scrape_result_apply,
    scrape_result_reject,
)


def review_rows(result: ScrapeResult) -> list[dict]:
    """One row per field the page gave: label, current value, scraped value, whether it differs."""
    current = movie_current_values(movie=result.movie)
    differing = scrape_diff(movie=result.movie, fields=result.fields)
    return [
        {
            "name": name,
            "label": FIELD_LABELS[name],
            "old": display_value(name, current[name]),
            "new": display_value(name, result.fields[name]),
            "source": result.sources.get(name, ""),
            "differs": name in differing,
        }
        for name in FIELDS
        if name in result.fields
    ]


@admin.register(ScrapeResult)
class ScrapeResultAdmin(admin.ModelAdmin):
    list_display = [
        "movie",
        "imdb_id",
        "status",
        "changed_fields",
        "missing",
        "fetcher",
        "error_text",
        "job",
        "created_at",
    ]
    list_filter = ["status", "fetcher", "job"]
    search_fields = ["movie__title", "imdb_id"]
    list_select_related = ["movie", "job"]
    actions = ["apply_all", "reject", "scrape_again"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="changes")
    def changed_fields(self, result: ScrapeResult) -> str:
        return ", ".join(result.diff) or "—"

    @admin.display(description="missing on the page")
    def missing(self, result: ScrapeResult) -> str:
        return ", ".join(result.missing_fields) or "—"

    @admin.display(description="error")
    def error_text(self, result: ScrapeResult) -> str:
        return error_summary(result.error) or "—"

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Listing failed results: nothing there can be applied, only scraped again.
        if request.GET.get("status__exact") == ScrapeResult.Status.FAILED:
            actions.pop("apply_all", None)
            actions.pop("reject", None)
        return actions

    @admin.action(description="Apply every differing field", permissions=["change"])
    def apply_all(self, request, queryset) -> None:
        failed = queryset.filter(status=ScrapeResult.Status.FAILED).count()
        if failed:
            self.message_user(
                request,
                f"{failed} failed result(s) have nothing to apply: scrape them again instead.",
                messages.WARNING,
            )
        applied = 0
        for result in queryset.filter(status=ScrapeResult.Status.PENDING):
            try:
                scrape_result_apply(result_id=result.pk, applied_by=request.user)
                applied += 1
            except ScrapeApplyError as error:
                self.message_user(request, f"{result.movie}: {error}", messages.ERROR)
        self.message_user(request, f"Applied {applied} result(s).", messages.SUCCESS)

    @admin.action(description="Reject", permissions=["change"])
    def reject(self, request, queryset) -> None:
        for result in queryset.filter(status=ScrapeResult.Status.PENDING):
            scrape_result_reject(result_id=result.pk, rejected_by=request.user)
        self.message_user(request, "Rejected.", messages.SUCCESS)

    @admin.action(description="Scrape the selected films again", permissions=["change"])
    def scrape_again(self, request, queryset) -> None:
        self._scrape_again(request, list(queryset.values_list("movie_id", flat=True)))

    def _scrape_again(self, request, movie_ids: list[int]):
        try:
            job = scrape_job_create(movie_ids=movie_ids, created_by=request.user)
        except ScrapeError as error:
            self.message_user(request, f"Nothing to scrape: {error.message}.", messages.ERROR)
            return None
        self.message_user(
            request,
            format_html(
                'Scraping {} film(s) again: <a href="{}">follow job #{}</a>.',
                job.total,
                reverse("admin:jobs_job_change", args=[job.pk]),
                job.pk,
            ),
            messages.SUCCESS,
        )
        return job

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        # get_object reads the id as the admin does: a malformed one ("%3A") is None, not a 500
        result = self.get_object(request, unquote(object_id))
        if result is None:
            raise Http404(f"No IMDb result with id {object_id!r}.")
        if not self.has_view_or_change_permission(request, result):
            return HttpResponseRedirect(reverse("admin:index"))
        if request.method == "POST" and self.has_change_permission(request, result):
            return self._review_post(request, result)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Review IMDb values for {result.movie}",
            "result": result,
            "rows": review_rows(result) if result.fields else [],
            "pending": result.status == ScrapeResult.Status.PENDING,
            "failed": result.status == ScrapeResult.Status.FAILED,
            "error": error_display(result.error) if result.error else None,
            "movie_url": reverse("admin:movies_movie_change", args=[result.movie_id]),
        }
        return TemplateResponse(request, "admin/scraping/scraperesult/review.html", context)

    def _review_post(self, request: HttpRequest, result: ScrapeResult) -> HttpResponse:
        here = reverse("admin:scraping_scraperesult_change", args=[result.pk])
        if "_retry" in request.POST:
            job = self._scrape_again(request, [result.movie_id])
            return HttpResponseRedirect(
                reverse("admin:jobs_job_change", args=[job.pk]) if job else here
            )
        if result.status == ScrapeResult.Status.FAILED:
            self.message_user(request, "A failed scrape has nothing to apply.", messages.ERROR)
            return HttpResponseRedirect(here)
        if "_reject" in request.POST:
            scrape_result_reject(result_id=result.pk, rejected_by=request.user)
            self.message_user(request, f"Rejected the IMDb values for {result.movie}.")
            return HttpResponseRedirect(here)
        chosen = request.POST.getlist("fields")
        if not chosen:
            self.message_user(request, "Tick at least one field to apply.", messages.WARNING)
            return HttpResponseRedirect(here)
        try:
            applied = scrape_result_apply(
                result_id=result.pk, fields=chosen, applied_by=request.user
            )
        except ScrapeApplyError as error:
            self.message_user(request, f"Nothing applied: {error}", messages.ERROR)
            return HttpResponseRedirect(here)
        self.message_user(
            request,
            f"Updated {result.movie}: {', '.join(FIELD_LABELS[f] for f in applied)}.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(here)
