"""The search page's own links (the shareable URL, "More results", "Did you mean"): what
editing a copy of the request's QueryDict wrote, written without copying it."""

from types import SimpleNamespace

import pytest
from django.test import RequestFactory

from recommendations.views import _more_url, _shareable_url, _suggestion_url

QUERY_STRINGS = [
    "q=heat",
    "q=heat&offset=20",
    "offset=40&q=a+heist+%26+a+casino&genre=Drama&genre=&kind=",
    "genre=&q=caf%C3%A9+%C3%BC%E2%80%9Cquoted%E2%80%9D&decade=1990&year_from=&genre=Crime",
    "q=%3Cb%3E%22x%22%27y%27&q=second&year_to=2001&offset=",
    "q=",
    "",
]


def _edited(request, edit) -> str:
    """The QueryDict way: a copy of request.GET, edited, urlencoded."""
    params = request.GET.copy()
    edit(params)
    return params.urlencode()


def _shareable_edit(params) -> None:
    for key in list(params):
        values = [v for v in params.getlist(key) if v and key != "offset"]
        if values:
            params.setlist(key, values)
        else:
            del params[key]


@pytest.mark.parametrize("query_string", QUERY_STRINGS)
def test_the_search_links_are_what_an_edited_querydict_writes(query_string):
    request = RequestFactory().get(f"/?{query_string}")
    response = SimpleNamespace(has_more=True, next_offset=60, suggestion="Le café « x » & y")

    shareable = _edited(request, _shareable_edit)
    assert _shareable_url(request) == (f"/?{shareable}" if shareable else "/")

    def more(params) -> None:
        params["offset"] = "60"

    assert _more_url(request, response) == f"?{_edited(request, more)}"

    def suggestion(params) -> None:
        params["q"] = response.suggestion
        params.pop("offset", None)

    assert _suggestion_url(request, response) == f"/?{_edited(request, suggestion)}"
    assert request.GET.urlencode() == RequestFactory().get(f"/?{query_string}").GET.urlencode()
