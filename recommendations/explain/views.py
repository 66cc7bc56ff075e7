from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from recommendations.explain.evidence import evidence_recall
from recommendations.explain.facts import clean_text
from recommendations.explain.selectors import explanation_for, facts_queryset
from recommendations.forms import MAX_QUERY_CHARS  # as long as the search box takes
from recsys_site.clients import client_ip

MISSING_QUERY = "Say what you are looking for (the q parameter) to see why this film fits it."
LONG_QUERY = f"The description (q) is longer than {MAX_QUERY_CHARS:,} characters; shorten it."


def _llm_caller(request: HttpRequest) -> dict:
    """Who would cause an LLM call (an account, else an address), and whether this request may
    cause one at all: a page of another site that loads this URL (Sec-Fetch-Site: cross-site)
    gets the offline explainer, so it cannot spend the LLM budget of the site's visitors."""
    user = request.user
    client = f"user:{user.pk}" if user.is_authenticated else f"ip:{client_ip(request)}"
    cross_site = request.headers.get("Sec-Fetch-Site", "") == "cross-site"
    return {"client": client, "llm_allowed": not cross_site}


def _query_error(query: str) -> str:
    if not query:
        return MISSING_QUERY
    return LONG_QUERY if len(query) > MAX_QUERY_CHARS else ""


@require_GET
def why_panel(request: HttpRequest, movie_id: int) -> HttpResponse:
    """The "why this?" panel: a partial for htmx (the result card loads it when revealed), a
    full page otherwise, so the link works without JavaScript."""
    movie = get_object_or_404(facts_queryset(), pk=movie_id)
    query = clean_text(request.GET.get("q"))
    template = "recommendations/why.html#panel" if request.htmx else "recommendations/why.html"
    context = {"movie": movie, "query": query}
    if error := _query_error(query):
        return render(request, template, {**context, "error": error}, status=400)
    evidence = evidence_recall(query=query, movie_id=movie.pk)
    context["explanation"] = explanation_for(
        movie=movie, query=query, evidence=evidence, **_llm_caller(request)
    )
    return render(request, template, context)


@require_GET
def explain_api(request: HttpRequest, movie_id: int) -> JsonResponse:
    query = clean_text(request.GET.get("q"))
    if error := _query_error(query):
        return JsonResponse({"error": error}, status=400)
    try:
        movie = get_object_or_404(facts_queryset(), pk=movie_id)
    except Http404:
        return JsonResponse({"error": f"No film with id {movie_id}."}, status=404)
    evidence = evidence_recall(query=query, movie_id=movie.pk)
    explanation = explanation_for(
        movie=movie, query=query, evidence=evidence, **_llm_caller(request)
    )
    return JsonResponse({"title": movie.title, "year": movie.year, **explanation.to_dict()})
