"""Result cards in Python (recommendations/cards.py): the markup the templates wrote, for a
fraction of the CPU time (issue 20)."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory

from recommendations import cards
from recommendations.selectors import SearchResult
from tests.factories import MovieFactory
from viewers.actions import film_action_urls

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("reaction", [None, 1, -1])
@pytest.mark.parametrize("in_list", [False, True])
@pytest.mark.parametrize("token", ["Tok3nValue", "", "NOTPROVIDED"])
def test_film_actions_are_the_viewers_template_for_every_state(reaction, in_list, token):
    movie = MovieFactory()
    context = {
        "movie": movie,
        "reaction": reaction,
        "in_list": in_list,
        "urls": film_action_urls(movie.pk),
        "csrf_token": token,
    }

    stamped = cards.film_actions(context)

    assert stamped == render_to_string("viewers/_film_actions.html", context)
    # A search page's cards: the same buttons from the film's id and the viewer's state
    assert cards.film_actions_of(movie.pk, reaction, in_list, token) == stamped


@pytest.mark.parametrize("query", ["heat", 'a "cop" & <b>', "{} {0} 100% ü'", "x" * 300])
def test_the_why_slot_links_the_film_s_panel_for_the_query_escaped(query):
    from html import escape
    from urllib.parse import quote

    html = cards.why_slot(4321, query)

    url = escape(f"/movies/4321/why?q={quote(query, safe='')}")
    assert f'hx-get="{url}"' in html and f'href="{url}"' in html


def test_a_search_card_shows_the_film_its_matches_and_the_why_slot():
    movie = MovieFactory(title="Heat & <Dust>", year=1995, synopsis="word " * 40)
    result = SearchResult(
        movie=movie,
        rank=1,
        score=1.0,
        stages={},
        genres=("Crime", "Drama"),
        people=["al pacino"],
    )
    request = RequestFactory().get("/")
    request.user, request.session = AnonymousUser(), {}

    html = render_to_string(
        "recommendations/_card.html",
        {"movie": movie, "result": result, "query": 'a "cop" & <b>'},
        request=request,
    )

    assert f'<article class="card" id="movie-{movie.pk}" data-movie-id="{movie.pk}">' in html
    assert f'<a href="/movies/{movie.pk}/">Heat &amp; &lt;Dust&gt;</a>' in html
    assert '<span class="year">1995</span>' in html
    assert '<p class="genres">Crime · Drama</p>' in html
    assert '<p class="badge">With Al Pacino</p>' in html
    assert '<p class="synopsis">' + "word " * 31 + "word …</p>" in html
    assert f'hx-get="/movies/{movie.pk}/why?q=a%20%22cop%22%20%26%20%3Cb%3E"' in html
    assert re.search(r'name="csrfmiddlewaretoken" value="\w+"', html)
    assert "<b>" not in html and "<Dust>" not in html


def test_a_card_without_a_query_a_year_or_a_result_has_none_of_their_lines():
    movie = MovieFactory(title="Untitled", year=None, poster_url="javascript:alert(1)")

    html = render_to_string("recommendations/_card.html", {"movie": movie, "note": "Director"})

    assert '<p class="card-note">Director</p>' in html
    assert 'class="year"' not in html and 'class="genres"' not in html
    assert 'class="badge"' not in html and "why--loading" not in html
    assert "poster-placeholder" in html and "javascript" not in html


@pytest.mark.parametrize(
    "text",
    [
        "",
        "One   short\nsynopsis.",
        " ".join(f"word{i}" for i in range(40)),
        " ".join(f"w{i}" for i in range(31)) + " …  and more words after",
        " ".join(["…"] * 40),
        "Exactly " + " ".join(["x"] * 31),
    ],
)
def test_a_cards_first_words_are_what_truncatewords_writes(text):
    from django.template.defaultfilters import truncatewords

    assert cards.first_words(text, cards.SYNOPSIS_WORDS) == truncatewords(text, 32)


def _card_of(movie) -> str:
    return cards.card(movie, actions=cards.film_actions(_anonymous_actions(movie)), query="heat")


def _anonymous_actions(movie) -> dict:
    urls = film_action_urls(movie.pk)
    return {"movie": movie, "reaction": None, "in_list": False, "urls": urls, "csrf_token": "T0k"}


def test_a_card_kept_per_process_is_written_anew_when_its_film_is_edited():
    movie = MovieFactory(title="Heat", year=1995, synopsis="A thief.", poster_url="")
    first = _card_of(movie)
    assert _card_of(movie) == first  # the second time from what the process kept

    movie.title, movie.year, movie.synopsis = "Heat <2>", 1996, "A cop & a thief."
    movie.poster_url = "https://image.example/heat.jpg"
    movie.save()
    edited = _card_of(type(movie).objects.get(pk=movie.pk))

    assert "Heat &lt;2&gt;" in edited and '<span class="year">1996</span>' in edited
    assert "A cop &amp; a thief." in edited and 'src="https://image.example/heat.jpg"' in edited
    assert "A thief." not in edited and "1995" not in edited


def test_a_kept_card_still_shows_each_viewer_their_own_buttons_and_each_search_its_slot():
    movie = MovieFactory(title="Heat")
    liked = {**_anonymous_actions(movie), "reaction": 1, "in_list": True}

    plain = _card_of(movie)
    theirs = cards.card(movie, actions=cards.film_actions(liked), query="casino")

    assert "is-on" not in plain and theirs.count("is-on") == 2
    assert "why?q=heat" in plain and "why?q=casino" in theirs
    actions = '<div class="film-actions"'
    assert plain.split(actions)[0] == theirs.split(actions)[0]
