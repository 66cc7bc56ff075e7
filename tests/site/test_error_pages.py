"""404 and 500 pages in the site's style; the 500 page needs neither a request nor the DB."""

import pytest
from django.template.loader import get_template
from django.test import Client
from django.urls import path

from recsys_site.urls import urlpatterns as site_urlpatterns


def _broken(request):
    raise RuntimeError("boom")


urlpatterns = [path("broken/", _broken), *site_urlpatterns]


@pytest.mark.django_db
def test_an_unknown_address_is_the_sites_404_page(client):
    response = client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'class="error-page"' in html and "There is nothing at this address." in html
    assert 'href="/static/css/site.css"' in html and 'id="topbar-q"' in html


@pytest.mark.urls("tests.site.test_error_pages")
@pytest.mark.django_db
def test_a_crash_is_the_sites_500_page():
    response = Client(raise_request_exception=False).get("/broken/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side." in html
    assert 'href="/static/css/site.css"' in html


def test_the_500_page_renders_without_context_or_database(django_db_blocker):
    with django_db_blocker.block():  # any query would raise
        html = get_template("500.html").render()
    assert "Something went wrong" in html and "{" not in html
