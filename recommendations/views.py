from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from movies.models import Credit, Movie
from recommendations.explain.evidence import evidence_remember, search_evidence
from recommendations.forms import PAGE_SIZE, SearchForm
from recommendations.search.catalogue import get_snapshot
from recommendations.selectors import movie_search, movie_similar
from recsys_site.errors import not_found


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    """The search page; an HTMX request gets the results partial (or, with an offset, the
    next page of cards), a plain GET the whole page with the same results."""
    form = SearchForm(request.GET, genres=get_snapshot().genre_names)
    response = None
    if form.is_valid():
        filters = form.filters()
        query = form.cleaned_data["q"]
        if query or filters.active:
            response = movie_search(
                query,
                filters=filters,
                top_k=PAGE_SIZE,
                offset=form.cleaned_data.get("offset") or 0,
            )
            # The "why this?" panels, asked for later, read what the pipeline found: once a
            # ranking (a cached one is kept less long than the evidence, EVIDENCE_SECONDS).
            if "evidence" not in response.done:
                response.done.add("evidence")
                evidence_remember(
                    query=query,
                    evidence_by_movie=search_evidence(response.results),
                    query_vector=response.query_vector,
                    query_tokens=response.query_tokens,
                    merge=response.offset > 0,
                )
    context = {
        "form": form,
        "query": form.cleaned_data.get("q", "") if form.is_valid() else "",
        "response": response,
        "more_url": _more_url(request, response),
        "suggestion_url": _suggestion_url(request, response),
    }
    template = "recommendations/search.html"
    if not request.htmx or request.htmx.history_restore_request:
        # htmx restoring history it did not keep asks for the whole page, box filled in.
        page = render(request, template, context)
    elif response and response.offset:
        page = render(request, f"{template}#page", context)
    else:
        page = render(request, f"{template}#results", context)
        page["HX-Push-Url"] = _shareable_url(request)  # without the form's empty fields
    # One URL, two bodies: the browser must not show a cached partial as the page on "back".
    patch_vary_headers(page, ["HX-Request"])
    return page


def _shareable_url(request: HttpRequest) -> str:
    lists = {
        key: kept
        for key, values in request.GET.lists()
        if key != "offset" and (kept := [v for v in values if v])
    }
    query = _urlencode(lists)
    return f"{request.path}?{query}" if query else request.path


def _suggestion_url(request: HttpRequest, response) -> str:
    """The same search with the corrected query: "Did you mean …" (a plain link, so the search
    box shows what it runs)."""
    if response is None or not response.suggestion:
        return ""
    lists = dict(request.GET.lists())
    lists["q"] = [response.suggestion]
    lists.pop("offset", None)
    return f"{request.path}?{_urlencode(lists)}"


def _more_url(request: HttpRequest, response) -> str:
    if response is None or not response.has_more:
        return ""
    lists = dict(request.GET.lists())
    lists["offset"] = [str(response.next_offset)]
    return f"?{_urlencode(lists)}"


def _urlencode(lists: dict[str, list[str]]) -> str:
    """What QueryDict.urlencode writes for these keys and values, without the deep copy of the
    request's QueryDict that editing one needs (two or three a search)."""
    return urlencode([(key, value) for key, values in lists.items() for value in values])


@require_GET
def movie_detail(request: HttpRequest, movie_id: int) -> HttpResponse:
    movie = (
        Movie.objects.prefetch_related("genres", "keywords", "credits__person")
        .filter(pk=movie_id)
        .first()
    )
    if movie is None:
        return not_found(request, "This film is not in the catalogue.")
    credits = sorted(movie.credits.all(), key=lambda c: (c.role, c.order))
    similar = movie_similar(movie.pk, top_k=12)
    return render(
        request,
        "recommendations/movie_detail.html",
        {
            "movie": movie,
            "directors": [c for c in credits if c.role == Credit.Role.DIRECTOR],
            "writers": [c for c in credits if c.role == Credit.Role.WRITER],
            "cast": [c for c in credits if c.role == Credit.Role.CAST],
            "similar": similar,
        },
    )
