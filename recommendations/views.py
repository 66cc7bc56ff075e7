from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    return render(request, "recommendations/search.html", {"query": request.GET.get("q", "")})
