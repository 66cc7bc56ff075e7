from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse

from recommendations.recommenders.admin_actions import retrain_from_admin
from viewers.models import CuratedRow, CuratedRowFilm, MyListEntry, Rating, Reaction


@admin.register(Reaction)
class ReactionAdmin(admin.ModelAdmin):
    list_display = ["movie", "value", "user", "anonymous_id", "created_at"]
    list_filter = ["value"]
    raw_id_fields = ["movie", "user"]


@admin.register(MyListEntry)
class MyListEntryAdmin(admin.ModelAdmin):
    list_display = ["movie", "user", "anonymous_id", "created_at"]
    raw_id_fields = ["movie", "user"]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    """Imported ratings, with the "Retrain recommender" button above the list."""

    list_display = ["source", "rater", "movie", "score", "rated_at"]
    list_filter = ["source"]
    raw_id_fields = ["movie"]
    change_list_template = "admin/viewers/rating/change_list.html"

    def get_urls(self):
        retrain = path(
            "retrain-recommender/",
            self.admin_site.admin_view(self.retrain_recommender_view),
            name="viewers_rating_retrain",
        )
        return [retrain, *super().get_urls()]

    def retrain_recommender_view(self, request: HttpRequest):
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:viewers_rating_changelist"))
        job = retrain_from_admin(self, request)
        if job is None:  # refused, with a message saying why
            return HttpResponseRedirect(reverse("admin:viewers_rating_changelist"))
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))


class CuratedRowFilmInline(admin.TabularInline):
    model = CuratedRowFilm
    fields = ["order", "movie", "note"]
    autocomplete_fields = ["movie"]  # search films by title or person (MovieAdmin)
    extra = 3


@admin.register(CuratedRow)
class CuratedRowAdmin(admin.ModelAdmin):
    """Home rows shaped by hand: title, films in order (lowest "order" first), where the row
    sits among the curated rows, and whether viewers see it."""

    list_display = ["title", "position", "is_active", "film_count", "updated_at"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["title"]
    inlines = [CuratedRowFilmInline]

    @admin.display(description="films")
    def film_count(self, row: CuratedRow) -> int:
        return row.entries.count()
