import json

import pytest
from django.core.management import CommandError, call_command

from tests.scraping.conftest import NOT_FOUND_ID

pytestmark = pytest.mark.django_db


def _run(*args) -> dict:
    from io import StringIO

    out = StringIO()
    call_command("scrape_imdb", *args, stdout=out)
    return json.loads(out.getvalue())


def test_prints_the_extracted_fields_as_json(imdb_server):
    data = _run("tt9100002", "--base-url", imdb_server.base_url, "--fetcher", "http")
    assert data["imdb_id"] == "tt9100002"
    assert data["title"] == "Harbour Lights"
    assert data["genres"] == ["Crime", "Drama", "Thriller", "Mystery"]
    assert data["missing_fields"] == []
    assert data["url"] == f"{imdb_server.base_url}/title/tt9100002/"


@pytest.mark.slow
def test_a_pasted_url_and_the_browser(imdb_server, browser):
    data = _run("https://www.imdb.com/title/tt9100004/", "--fetcher", "browser")
    assert data["fetcher"] == "browser"
    assert data["title"] == "Untitled Basement Tapes"
    assert "directors" in data["missing_fields"]


def test_errors_are_clear(imdb_server):
    with pytest.raises(CommandError, match=r"\[not_found\].*HTTP 404"):
        _run(NOT_FOUND_ID, "--fetcher", "http")
    with pytest.raises(CommandError, match="not in RECSYS_SCRAPE_ALLOWED_HOSTS"):
        _run("tt9100001", "--base-url", "https://example.org")
    with pytest.raises(CommandError, match="not an IMDb id"):
        _run("banana")
