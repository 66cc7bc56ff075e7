"""The home page and its rows (recommendations/home.py), one lazily loaded request per row."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from recommendations import home
from viewers.forms import HomeRowForm
from viewers.identity import viewer_from_request
from viewers.selectors import viewer_taste


def home_rows_context(request: HttpRequest) -> dict:
    """What templates/viewers/_home_rows.html needs; for any page that includes the rows."""
    taste = viewer_taste(viewer_from_request(request))
    return {"row_specs": home.home_row_specs(taste)}


@require_GET
def home_page(request: HttpRequest) -> HttpResponse:
    return render(request, "viewers/home.html", home_rows_context(request))


@require_GET
def home_rows(request: HttpRequest) -> HttpResponse:
    """The lazily loading row placeholders alone (for a page that loads them by hx-get)."""
    return render(request, "viewers/_home_rows.html", home_rows_context(request))


@require_GET
def home_row(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in home.RowKind.ALL:
        return HttpResponseBadRequest("unknown row")
    params = HomeRowForm(request.GET)
    if not params.is_valid():
        return HttpResponseBadRequest(params.error_text(), content_type="text/plain")
    taste = viewer_taste(viewer_from_request(request))
    row = home.home_row(
        kind, taste, **{name: params.cleaned_data[name] for name in home.ROW_PARAMS}
    )
    template = "viewers/row.html#row" if request.htmx else "viewers/row.html"
    return render(request, template, {"row": row})
