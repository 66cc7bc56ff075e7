"""Extraction is pure: HTML in, fields out. These run without a browser or a server."""

import pytest
from django.core.exceptions import ValidationError

from movies.forms import normalize_imdb_id
from scraping.extract import (
    extract_title_page,
    full_size_image,
    parse_iso_duration,
    parse_runtime_text,
    parse_vote_count,
)
from tests.scraping.expected import FIXTURES, REAL, assert_matches
from tests.scraping.imdb_server import FIXTURES as FIXTURE_DIR


@pytest.mark.parametrize("imdb_id", sorted(REAL))
def test_real_saved_pages_give_their_true_values(real_pages, imdb_id):
    page = next(real_pages.glob(f"title_{imdb_id}_*.html"))
    extraction = extract_title_page(page.read_text(encoding="utf-8"))
    assert extraction.imdb_id == imdb_id
    assert_matches(imdb_id, extraction.fields, extraction.missing, REAL[imdb_id])


@pytest.mark.parametrize("imdb_id", sorted(i for i in FIXTURES if not FIXTURES[i].get("js_only")))
def test_authored_fixtures_give_their_values_from_the_reader_they_exercise(imdb_id):
    extraction = extract_title_page((FIXTURE_DIR / f"title_{imdb_id}.html").read_text())
    expected = FIXTURES[imdb_id]
    assert_matches(imdb_id, extraction.fields, extraction.missing, expected)
    if "source" in expected:
        assert set(extraction.sources.values()) == {expected["source"]}


def test_a_page_that_only_javascript_renders_gives_nothing_as_served():
    extraction = extract_title_page((FIXTURE_DIR / "title_tt9100005.html").read_text())
    assert extraction.fields == {}
    assert "title" in extraction.missing


def test_each_reader_alone_finds_the_same_dark_knight(real_pages):
    page = next(real_pages.glob("title_tt0468569_*.html")).read_text(encoding="utf-8")
    raw = extract_title_page(page).raw
    assert raw["jsonld"]["title"] == raw["testid"]["title"] == "The Dark Knight"
    assert raw["jsonld"]["runtime"] == raw["testid"]["runtime"] == 152
    # The 2021 layout keeps its page props elsewhere: __NEXT_DATA__ holds only the id there.
    assert raw["next_data"] == {}


def test_lists_capped_at_three_give_way_to_the_complete_list(real_pages):
    page = next(real_pages.glob("title_tt0106062_*.html")).read_text(encoding="utf-8")
    extraction = extract_title_page(page)
    assert extraction.raw["jsonld"]["genres"] == ["Action", "Drama", "Fantasy"]
    assert extraction.fields["genres"] == ["Action", "Drama", "Fantasy", "Thriller"]
    assert extraction.sources["genres"] == "next_data"
    assert extraction.raw["jsonld"]["plot"].endswith("...")
    assert extraction.sources["plot"] == "next_data"


def test_cast_is_capped_by_max_cast(real_pages):
    page = next(real_pages.glob("title_tt0468569_*.html")).read_text(encoding="utf-8")
    assert len(extract_title_page(page, max_cast=5).fields["cast"]) == 5


def test_garbage_gives_every_field_missing():
    extraction = extract_title_page("<html><body><p>hello</p></body></html>")
    assert extraction.fields == {}
    assert extraction.imdb_id is None


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("2h 32min", 152), ("1 hour", 60), ("22m", 22), ("22 minutes", 22), ("1h 47m", 107)],
)
def test_runtime_text(text, minutes):
    assert parse_runtime_text(text) == minutes


def test_iso_durations_and_vote_counts_and_posters():
    assert parse_iso_duration("PT2H32M") == 152
    assert parse_iso_duration("PT45M") == 45
    assert parse_iso_duration("nonsense") is None
    assert parse_vote_count("2.4M") == 2_400_000
    assert parse_vote_count("31K") == 31_000
    assert parse_vote_count("2,371,641") == 2_371_641
    assert (
        full_size_image("https://m.media-amazon.com/images/M/X@._V1_QL75_UX190_CR0,0,190,281_.jpg")
        == "https://m.media-amazon.com/images/M/X@._V1_.jpg"
    )


@pytest.mark.parametrize(
    "pasted",
    [
        "tt0468569",
        " https://www.imdb.com/title/tt0468569/?ref_=nv_sr_srsg_0 ",
        "imdb.com/title/tt0468569",
        "https://m.imdb.com/title/tt0468569/plotsummary/",
    ],
)
def test_pasted_imdb_urls_normalise_to_the_id(pasted):
    assert normalize_imdb_id(pasted) == "tt0468569"


@pytest.mark.parametrize(
    "bad", ["0468569", "https://example.com/title/tt0468569/", "https://www.imdb.com/name/nm1/"]
)
def test_anything_else_is_a_clear_error(bad):
    with pytest.raises(ValidationError, match="not an IMDb id or title URL"):
        normalize_imdb_id(bad)


def test_blank_is_none():
    assert normalize_imdb_id("  ") is None
