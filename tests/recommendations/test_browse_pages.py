"""Feedback on search result cards and the film page, and the pages a film page links to:
a person's films, a keyword's films; a missing one is the site's 404 page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from movies.models import Keyword, Person
from viewers.models import MyListEntry, Reaction

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _like(client, movie, value="like"):
    return client.post(reverse("viewers:reaction", args=[movie.pk]), {"value": value}, **HTMX)


def _card(html: str, movie) -> str:
    """The HTML of one result card (from its <article> to the next)."""
    start = html.index(f'<article class="card" id="movie-{movie.pk}"')
    end = html.find("<article", start + 1)
    return html[start : end if end > 0 else None]


def test_every_search_result_card_has_the_feedback_buttons(client, films):
    html = client.get("/", {"q": "heist"}, **HTMX).content.decode()
    cards = html.count('<article class="card"')
    assert cards > 2
    assert html.count('class="film-actions"') == cards
    assert html.count("action-like") == html.count("action-dislike") == cards
    assert f'hx-post="/films/{films["Inception"].pk}/reaction/"' in html
    assert f'hx-post="/films/{films["Inception"].pk}/my-list/"' in html


def test_result_cards_show_the_viewers_state_with_one_query_for_it(client, films):
    _like(client, films["Inception"])
    _like(client, films["Heat"], value="dislike")
    client.post(reverse("viewers:my_list", args=[films["Ocean's Eleven"].pk]), **HTMX)

    with CaptureQueriesContext(connection) as queries:
        html = client.get("/", {"q": "heist crew"}, **HTMX).content.decode()

    inception = _card(html, films["Inception"])
    assert 'aria-pressed="true"' in inception and "♥ Liked" in inception
    assert "Disliked" in _card(html, films["Heat"])
    assert "✓ My list" in _card(html, films["Ocean's Eleven"])
    # the viewer's reactions and list are each read once for the page, not once per card
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "viewers_reaction"' in s for s in sql) == 1
    assert sum('FROM "viewers_mylistentry"' in s for s in sql) == 1


def test_the_film_page_has_the_buttons_for_the_film_and_each_similar_card(client, films):
    movie = films["The Martian"]
    _like(client, movie)
    html = client.get(reverse("recommendations:movie", args=[movie.pk])).content.decode()

    own = html.split('<section class="similar">', 1)[0]
    assert own.count('class="film-actions"') == 1
    assert f'data-movie-id="{movie.pk}"' in own and "♥ Liked" in own
    similar = html.split('<section class="similar">', 1)[1]
    assert similar.count('class="film-actions"') == similar.count('<article class="card"') > 0

    # a like from the film page swaps the buttons in place and counts
    response = _like(client, films["Gravity"])
    assert response.content.decode().lstrip().startswith('<div class="film-actions"')
    assert Reaction.objects.filter(movie=films["Gravity"], value=1).exists()


def test_the_film_page_links_people_and_keywords(client, films):
    movie = films["Heat"]
    html = client.get(reverse("recommendations:movie", args=[movie.pk])).content.decode()
    mann = Person.objects.get(name="Michael Mann")
    robbery = Keyword.objects.get(name="bank robbery")
    assert f'<a href="/people/{mann.pk}/">Michael Mann</a>' in html
    assert f'<a href="/keywords/{robbery.pk}/">bank robbery</a>' in html


def test_a_person_page_lists_their_films_newest_first_with_their_role(client, films):
    hanks = Person.objects.get(name="Tom Hanks")
    html = client.get(reverse("recommendations:person", args=[hanks.pk])).content.decode()

    titles = re.findall(r'<h3 class="card-title"><a href="[^"]+">([^<]+)</a>', html)
    assert titles == ["The Terminal", "Cast Away", "Toy Story"]  # 2004, 2000, 1995
    assert "3 films in the catalogue" in html
    assert html.count('class="film-actions"') == 3
    scott = Person.objects.get(name="Ridley Scott")
    html = client.get(reverse("recommendations:person", args=[scott.pk])).content.decode()
    assert '<p class="card-note">Director</p>' in html


def test_a_keyword_page_lists_its_films_and_links_a_search(client, films):
    heist = Keyword.objects.get(name="heist")
    html = client.get(reverse("recommendations:keyword", args=[heist.pk])).content.decode()
    assert "Films about “heist”" in html
    assert "Inception" in html and "Ocean&#x27;s Eleven" in html and "Cast Away" not in html
    assert "2 films with this keyword" in html
    assert 'href="/?q=heist"' in html


def test_missing_film_person_or_keyword_is_the_sites_404_page(client, films, settings):
    settings.DEBUG = True  # the local demo's setting: still the site's page, not Django's
    for name in ("recommendations:movie", "recommendations:person", "recommendations:keyword"):
        response = client.get(reverse(name, args=[987654]))
        html = response.content.decode()
        assert response.status_code == 404
        assert 'class="error-page"' in html and "not in the catalogue" in html
        assert 'id="topbar-q"' in html  # the search box, to carry on


def test_my_list_page_shows_saved_films_as_cards_with_actions(client, films):
    for title in ("Alien", "Jaws"):
        client.post(reverse("viewers:my_list", args=[films[title].pk]), **HTMX)
    html = client.get(reverse("viewers:my_list_page")).content.decode()
    titles = re.findall(r'<h3 class="card-title"><a href="[^"]+">([^<]+)</a>', html)
    assert titles == ["Jaws", "Alien"]  # latest first
    assert html.count("✓ My list") == 2
    assert MyListEntry.objects.count() == 2


def test_htmx_history_restore_gets_the_whole_page_with_the_query_in_the_box(client, films):
    restore = {**HTMX, "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}
    response = client.get("/", {"q": "heist"}, **restore)
    html = response.content.decode()
    assert "<html" in html and 'value="heist"' in html
    assert "HX-Request" in response["Vary"]  # a cached partial is never shown as the page
    assert "HX-Request" in client.get("/", {"q": "heist"}, **HTMX)["Vary"]
