from django.contrib import admin

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
    """Imported ratings, with a link above the list to "Retrain the recommender" (the
    recommendations admin's confirmation page: viewers imports nothing of recommendations)."""

    list_display = ["source", "rater", "movie", "score", "rated_at"]
    list_filter = ["source"]
    raw_id_fields = ["movie"]
    change_list_template = "admin/viewers/rating/change_list.html"


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
