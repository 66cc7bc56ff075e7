"""The site's own error pages for viewers."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def not_found(request: HttpRequest, message: str) -> HttpResponse:
    """The site's 404 page (templates/404.html) for something a viewer followed a link to.

    Views call it instead of raising Http404 so the page is the site's under DEBUG too (the
    local demo runs with DEBUG, where Django answers an Http404 with its debug page)."""
    return render(request, "404.html", {"message": message}, status=404)
