"""The JSON API: POST /api/recommend/query and GET /api/movies/<id>/similar. Input is
validated here; every rejection is a 400 with a message saying what to fix."""

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from movies.models import Movie
from recommendations.forms import MAX_QUERY_CHARS
from recommendations.search.catalogue import Filters
from recommendations.selectors import MAX_TOP_K, SearchResult, movie_search, movie_similar

# The longest query, every character escaped as a surrogate pair ("\\ud83c\\udfac": 12 bytes),
# plus the filters.
MAX_BODY_BYTES = 12 * MAX_QUERY_CHARS + 4096
DEFAULT_TOP_K = 10


class BadRequest(ValueError):
    pass


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _int(data: dict, name: str, default: int | None, low: int, high: int) -> int | None:
    value = data.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{name} must be an integer from {low} to {high}")
    if not low <= value <= high:
        raise BadRequest(f"{name} must be from {low} to {high}, not {value}")
    return value


def _text(value: str, name: str) -> str:
    """A JSON string may hold lone surrogates ("\\ud800"), which no encoder can take."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"{name} is not valid Unicode text (a lone surrogate)") from None
    return value


def _filters(raw: Any) -> Filters:
    if raw is None:
        return Filters()
    if not isinstance(raw, dict):
        raise BadRequest("filters must be an object")
    unknown = set(raw) - {"genres", "kind", "year_from", "year_to"}
    if unknown:
        raise BadRequest(f"unknown filters: {', '.join(sorted(unknown))}")
    genres = raw.get("genres") or []
    if isinstance(genres, str):
        genres = [genres]
    if not isinstance(genres, list) or not all(isinstance(g, str) for g in genres):
        raise BadRequest("filters.genres must be a list of genre names")
    genres = [_text(g, "filters.genres") for g in genres]
    kind = raw.get("kind") or None
    if kind is not None and kind not in Movie.Kind.values:
        raise BadRequest(f"filters.kind must be one of {', '.join(Movie.Kind.values)}")
    year_from = _int(raw, "year_from", None, 1870, 2100)
    year_to = _int(raw, "year_to", None, 1870, 2100)
    if year_from and year_to and year_from > year_to:
        raise BadRequest("filters.year_from is after filters.year_to")
    return Filters(tuple(genres), kind, year_from, year_to)


def _parse_query_request(request: HttpRequest) -> tuple[str, int, int, Filters]:
    try:
        body = request.body
    except RequestDataTooBig as error:
        raise BadRequest("request body too large") from error
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"request body too large: at most {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body or b"")
    except RecursionError:
        raise BadRequest("malformed JSON: nested too deeply") from None
    except ValueError as error:  # bad syntax or encoding, or a number of over 4300 digits
        raise BadRequest(f"malformed JSON: {error}") from error
    if not isinstance(data, dict):
        raise BadRequest('the body must be a JSON object like {"query": "..."}')
    query = data.get("query")
    if not isinstance(query, str):
        raise BadRequest("query must be a string")
    query = _text(query, "query").strip()
    if not query:
        raise BadRequest("query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise BadRequest(f"query too long: {len(query)} characters, at most {MAX_QUERY_CHARS}")
    top_k = _int(data, "top_k", DEFAULT_TOP_K, 1, MAX_TOP_K)
    offset = _int(data, "offset", 0, 0, 10_000)
    return query, top_k, offset, _filters(data.get("filters"))


def _result_json(result: SearchResult) -> dict:
    movie = result.movie
    return {
        "id": movie.pk,
        "title": movie.title,
        "year": movie.year,
        "kind": movie.kind,
        "genres": list(result.genres),
        "url": reverse("recommendations:movie", args=[movie.pk]),
        "rank": result.rank,
        "score": result.score,
        "stages": {
            name: {"rank": stage.rank, "score": stage.score}
            for name, stage in result.stages.items()
        },
        "matched": result.matched,
        "title_match": result.title_match,
        "people": result.people,
        "strong": result.strong,
    }


@csrf_exempt
@require_POST
def recommend_query(request: HttpRequest) -> JsonResponse:
    try:
        query, top_k, offset, filters = _parse_query_request(request)
    except BadRequest as error:
        return _error(str(error))
    response = movie_search(query, filters=filters, top_k=top_k, offset=offset)
    return JsonResponse(
        {
            "query": response.query,
            "total": response.total,
            "offset": response.offset,
            "results": [
                _result_json(r)
                | (
                    {"like": r.like, "like_person": r.like_person, "reason": r.reason}
                    if r.like
                    else {}
                )
                for r in response.results
            ],
            "strong": response.strong,
            "suggestion": response.suggestion,
            "like_title": response.like_title,
            "like_person": response.like_person,
            "notices": response.notices,
            "took_ms": round(response.took_ms, 2),
        }
    )


@require_GET
def similar_movies(request: HttpRequest, movie_id: int) -> JsonResponse:
    movie = get_object_or_404(Movie, pk=movie_id)
    try:
        top_k = _int(
            {"top_k": int(request.GET.get("top_k", DEFAULT_TOP_K))},
            "top_k",
            DEFAULT_TOP_K,
            1,
            MAX_TOP_K,
        )
    except ValueError as error:
        message = str(error) if isinstance(error, BadRequest) else "top_k must be an integer"
        return _error(message)
    response = movie_similar(movie.pk, top_k=top_k)
    return JsonResponse(
        {
            "movie": {"id": movie.pk, "title": movie.title, "year": movie.year},
            "results": [_result_json(r) | {"reason": r.reason} for r in response.results],
            "notices": response.notices,
        }
    )
