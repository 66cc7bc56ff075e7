"""The catalogue admin, built for curators: find a film by title, person or a pasted id, filter,
edit it with its credits, and import catalogue files.

Other apps add to the film list through `MOVIE_ADMIN_EXTENSIONS`, from their AppConfig.ready:
their actions (scraping: "Scrape from IMDb"; recommendations: "Re-embed") and the finder of
close matches when a search finds nothing (recommendations' fuzzy name index). The catalogue
app imports none of them (an import contract in pyproject.toml keeps it so).
"""

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Count, JSONField
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from movies.forms import DecadeForm, MovieImdbForm, MovieImportForm
from movies.models import Credit, Genre, Keyword, Movie, Person
from movies.selectors import movie_decades, movie_external_id_q, movies_in_decade
from movies.services import ImportTooLarge, movies_import_enqueue

CloseMatchFinder = Callable[[str], tuple[str, list[int]] | None]


@dataclass
class MovieAdminExtensions:
    """What other apps add to the Movie admin. `close_matches(term)` returns the title or name
    `term` seems to misspell and its films' pks, or None."""

    actions: list[Callable] = dataclass_field(default_factory=list)
    close_matches: CloseMatchFinder | None = None

    def action_add(self, action: Callable) -> None:
        if action not in self.actions:
            self.actions.append(action)


MOVIE_ADMIN_EXTENSIONS = MovieAdminExtensions()


class DecadeFilter(admin.SimpleListFilter):
    title = "decade"
    parameter_name = "decade"

    def lookups(self, request, model_admin):
        return [(str(decade), f"{decade}s") for decade in movie_decades()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        form = DecadeForm({"decade": self.value()})
        if not form.is_valid():  # the changelist says "invalid filter" instead of a 500
            raise IncorrectLookupParameters(form.errors.as_text())
        return movies_in_decade(queryset, form.cleaned_data["decade"])


class HasSynopsisFilter(admin.SimpleListFilter):
    title = "synopsis"
    parameter_name = "has_synopsis"

    def lookups(self, request, model_admin):
        return [("yes", "Has a synopsis"), ("no", "No synopsis")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(synopsis="")
        if self.value() == "no":
            return queryset.filter(synopsis="")
        return queryset


class CreditInline(admin.TabularInline):
    model = Credit
    fields = ["role", "person", "order", "character"]
    autocomplete_fields = ["person"]
    ordering = ["role", "order"]
    extra = 1


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    form = MovieImdbForm  # accepts a pasted IMDb URL in the IMDb id field
    list_display = ["title", "year", "kind", "has_synopsis", "index_state", "external_links"]
    list_filter = [
        "kind",
        DecadeFilter,
        HasSynopsisFilter,
        "index_state",
        ("genres", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "original_title", "credits__person__name"]
    search_help_text = (
        "Title, original title or a person's name; or paste an id or link: "
        "tt0113277, a TMDB or MovieLens id, an IMDb or TMDB address, a Netflix id (s42)."
    )
    autocomplete_fields = ["genres", "keywords"]
    inlines = [CreditInline]
    list_per_page = 50
    formfield_overrides = {JSONField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 60})}}
    readonly_fields = [
        "external_links",
        "index_state",
        "index_error",
        "indexed_hash",
        "indexed_model",
        "indexed_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["title", "original_title", ("year", "kind"), "external_links"]}),
        ("Story", {"fields": ["synopsis", "tagline", "genres", "keywords"]}),
        (
            "Details",
            {"fields": [("runtime", "certificate"), "countries", "languages", "poster_url"]},
        ),
        (
            "External ids",
            {"fields": [("imdb_id", "tmdb_id"), ("movielens_id", "netflix_id"), "wikipedia_slug"]},
        ),
        ("Popularity", {"fields": [("popularity", "vote_average", "vote_count")]}),
        (
            "Search index",
            {
                "classes": ["collapse"],
                "fields": [
                    ("index_state", "indexed_at"),
                    "index_error",
                    ("indexed_model", "indexed_hash"),
                    ("created_at", "updated_at"),
                ],
            },
        ),
    ]

    @property
    def actions(self) -> list[Callable]:
        return list(MOVIE_ADMIN_EXTENSIONS.actions)

    @admin.display(boolean=True, description="synopsis")
    def has_synopsis(self, movie: Movie) -> bool:
        return bool(movie.synopsis)

    @admin.display(description="links")
    def external_links(self, movie: Movie) -> str:
        links = [
            (url, name)
            for url, name in (
                (movie.imdb_url, "IMDb"),
                (movie.tmdb_url, "TMDB"),
                (movie.wikipedia_url, "Wikipedia"),
            )
            if url
        ]
        if not links:
            return "—"
        return format_html_join(
            " · ", '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', links
        )

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # The index listens for saved films (movies_changed): say so, and where to follow it.
        jobs = reverse("admin:jobs_job_changelist") + "?kind__exact=sync"
        self.message_user(
            request,
            format_html(
                'Search picks the change up in a few seconds: "{}" is being re-indexed '
                '(<a href="{}">follow the index sync jobs</a>).',
                form.instance,
                jobs,
            ),
            messages.INFO,
        )

    def get_changeform_initial_data(self, request):
        """The add page's initial values from its URL, less many-to-many ids that are not
        ids: Django's admin hands `?genres=:` to the form, which then fails with a 500."""
        initial = super().get_changeform_initial_data(request)
        for field in self.model._meta.many_to_many:
            values = initial.get(field.name)
            if isinstance(values, list) and not all(_is_id(v) for v in values):
                del initial[field.name]
        return initial

    def get_search_results(self, request, queryset, search_term):
        by_id = movie_external_id_q(search_term)
        if by_id is not None and by_id[1]:
            return queryset.filter(by_id[0]), False
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if by_id is not None:
            results = results | queryset.filter(by_id[0])
        if search_term.strip() and not results.exists():
            return self._close_matches(request, queryset, search_term), False
        return results, may_have_duplicates

    def _close_matches(self, request, queryset, search_term: str):
        """Nothing matched: the films of the title or name the term seems to misspell
        ("godfahter"), as the site's search finds them, with a note saying so."""
        finder = MOVIE_ADMIN_EXTENSIONS.close_matches
        found = finder(search_term) if finder else None
        if found is None:
            return queryset.none()
        label, movie_ids = found
        if request.GET.get("q") == search_term:  # the change list, not an autocomplete
            messages.info(request, f"Close to “{search_term}”: {label} (nothing matched exactly).")
        return queryset.filter(pk__in=movie_ids)

    def get_urls(self):
        import_url = path(
            "import/",
            self.admin_site.admin_view(self.import_view),
            name="movies_movie_import",
        )
        return [import_url, *super().get_urls()]

    def import_view(self, request):
        """Upload catalogue files; they are imported by a background job (the same service as
        `manage.py import_movies`), which this page then shows."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = MovieImportForm(request.POST or None, request.FILES or None)
        job = None
        if request.method == "POST" and getattr(request, "upload_too_large", 0):
            messages.error(request, str(ImportTooLarge(request.upload_too_large)))
            form = MovieImportForm(initial=request.POST)
        elif request.method == "POST" and form.is_valid():
            try:
                job = movies_import_enqueue(
                    format=form.cleaned_data["format"],
                    files=form.cleaned_data["files"],
                    skip_invalid=form.cleaned_data["skip_invalid"],
                    created_by=request.user,
                )
            except ImportTooLarge as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request, f"Import queued as job #{job.pk}: every row is checked first."
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import films",
            "form": form,
            "job": job,
            "errors_visible": {job.pk} if job else set(),
            "max_megabytes": settings.RECSYS_IMPORT_MAX_MB,
        }
        return TemplateResponse(request, "admin/movies/movie/import.html", context)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "imdb_id", "film_count"]
    search_fields = ["name", "=imdb_id"]
    ordering = ["name", "pk"]  # Meta.ordering does not survive the film count's GROUP BY

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(film_count=Count("movies", distinct=True))

    @admin.display(description="films", ordering="film_count")
    def film_count(self, person: Person) -> int:
        return person.film_count


class _NamedAdmin(admin.ModelAdmin):
    list_display = ["name", "film_count"]
    search_fields = ["name"]
    ordering = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(film_count=Count("movies"))

    @admin.display(description="films", ordering="film_count")
    def film_count(self, obj) -> int:
        return obj.film_count


@admin.register(Genre)
class GenreAdmin(_NamedAdmin):
    pass


@admin.register(Keyword)
class KeywordAdmin(_NamedAdmin):
    pass


def _is_id(value: str) -> bool:
    """An id a database column holds: ASCII digits, at most 18 of them (below 2**63)."""
    return value.isascii() and value.isdigit() and len(value) <= 18
