"""Pages that browse the catalogue from a film page: a person's films, a keyword's films."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from movies.models import Keyword, Person
from movies.selectors import keyword_films, person_filmography
from recsys_site.errors import not_found

KEYWORD_PAGE_SIZE = 60


@require_GET
def person_page(request: HttpRequest, person_id: int) -> HttpResponse:
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        return not_found(request, "This person is not in the catalogue.")
    return render(
        request,
        "recommendations/person.html",
        {"person": person, "films": person_filmography(person.pk)},
    )


@require_GET
def keyword_page(request: HttpRequest, keyword_id: int) -> HttpResponse:
    keyword = Keyword.objects.filter(pk=keyword_id).first()
    if keyword is None:
        return not_found(request, "This keyword is not in the catalogue.")
    films, total = keyword_films(keyword.pk, limit=KEYWORD_PAGE_SIZE)
    return render(
        request,
        "recommendations/keyword.html",
        {"keyword": keyword, "films": films, "total": total},
    )
