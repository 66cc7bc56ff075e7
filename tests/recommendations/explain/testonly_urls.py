"""TEST-ONLY URLconf: the site's URLs plus a page listing every film as a tall result card that
includes recommendations/_why_slot.html, as the search page's cards do. test_browser.py uses it
until the real search page (branch `search`) is merged; then point that test at the search page
and delete this module and templates/testonly_result_list.html."""

from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from movies.models import Movie
from recsys_site.urls import urlpatterns as site_urlpatterns

TEMPLATE = Path(__file__).parent / "templates" / "testonly_result_list.html"


def testonly_result_list(request: HttpRequest) -> HttpResponse:
    template = engines["django"].from_string(TEMPLATE.read_text())
    context = {"movies": Movie.objects.order_by("pk"), "query": request.GET.get("q", "")}
    return HttpResponse(template.render(context, request))


urlpatterns = [path("test-only/result-list", testonly_result_list), *site_urlpatterns]
