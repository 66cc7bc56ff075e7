"""The home page and its lazily loaded rows, through the views."""

import re

import pytest
from django.urls import reverse

from movies.models import Movie
from recommendations.models import TrainedModel
from tests.viewers.conftest import fresh_search_state
from viewers.models import CuratedRow, CuratedRowFilm, MyListEntry, Reaction

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _like(client, movie, value="like"):
    return client.post(reverse("viewers:reaction", args=[movie.pk]), {"value": value}, **HTMX)


def _row_urls(html: str) -> list[str]:
    return [u.replace("&amp;", "&") for u in re.findall(r'hx-get="([^"]+)"', html)]


def _page_rows(client) -> dict[str, str]:
    """Every row of the home page, as its lazy request loads it."""
    page = client.get(reverse("recommendations:home")).content.decode()
    return {url: client.get(url, **HTMX).content.decode() for url in _row_urls(page)}


def _card_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="card" data-movie-id="(\d+)"', html)]


def _page_cards(client) -> dict[int, str]:
    """{movie id: the card's reason} over every row of the page."""
    cards = {}
    for html in _page_rows(client).values():
        for movie_id, reason in re.findall(
            r'<li class="card" data-movie-id="(\d+)">.*?<p class="card-reason">([^<]*)</p>',
            html,
            flags=re.S,
        ):
            cards[int(movie_id)] = reason
    return cards


def _row(client, kind: str) -> str:
    return client.get(reverse("recommendations:home_row", args=[kind]), **HTMX).content.decode()


def _because(client, movie) -> str:
    url = reverse("recommendations:home_row", args=["because"]) + f"?film={movie.pk}"
    return client.get(url, **HTMX).content.decode()


def _titles(html: str, catalogue: dict) -> list[str]:
    by_id = {movie.pk: title for title, movie in catalogue.items()}
    return [by_id[i] for i in _card_ids(html)]


def test_a_new_viewer_gets_popular_rows_loaded_lazily(client, trained, catalogue):
    page = client.get(reverse("recommendations:home")).content.decode()

    assert 'hx-trigger="revealed"' in page
    assert "Top picks for you" not in page
    assert 'id="topbar-q"' in page  # search in the top bar, "/" focuses it
    popular = client.get(
        reverse("recommendations:home_row", args=["popular"]), **HTMX
    ).content.decode()
    assert "<html" not in popular  # a partial
    assert "Popular: liked or rated by 5 viewers" in popular  # Heat and The Town: 5 raters


def test_liking_a_film_swaps_its_buttons_and_shapes_the_rows(client, trained, catalogue):
    response = _like(client, catalogue["Heat"])
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="film-actions"')
    assert 'aria-pressed="true"' in html and "Liked" in html

    page = client.get(reverse("recommendations:home")).content.decode()
    assert "Top picks for you" in page and "Because you liked Heat" in page
    rows = {url: client.get(url, **HTMX).content.decode() for url in _row_urls(page)}
    because = next(html for url, html in rows.items() if "/because/" in url)
    top = next(html for url, html in rows.items() if "/top-picks/" in url)
    mann = "Because you liked Heat: also a Michael Mann crime thriller film"
    assert _card_ids(top) and mann in "".join(rows.values())  # Collateral, in some row
    reasons = re.findall(r'<p class="card-reason">([^<]*)</p>', because)
    assert reasons and all("Heat" in reason for reason in reasons)  # each card says why
    assert ">Heat<" not in because.split("</h2>", 1)[1]  # the liked film is not re-offered
    assert any("Crime picks for you" in html for html in rows.values())


def test_the_reason_names_shared_keywords_when_the_director_differs(client, trained, catalogue):
    _like(client, catalogue["Heat"])
    cards = _page_cards(client)
    # The Town: a Ben Affleck heist film, in whichever row it landed
    assert cards[catalogue["The Town"].pk] == "Shares keywords heist, betrayal with Heat"


def test_a_dislike_hides_the_film_and_the_list_button_toggles(client, trained, catalogue):
    _like(client, catalogue["Heat"])
    _like(client, catalogue["The Town"], value="dislike")
    client.post(reverse("viewers:my_list", args=[catalogue["Thief"].pk]), **HTMX)

    top = client.get(
        reverse("recommendations:home_row", args=["top-picks"]), **HTMX
    ).content.decode()
    my_list = client.get(
        reverse("recommendations:home_row", args=["my-list"]), **HTMX
    ).content.decode()

    assert "The Town" not in top
    assert "Thief" in my_list and "✓ My list" in my_list
    assert MyListEntry.objects.count() == 1


def test_without_javascript_a_like_redirects_back(client, catalogue):
    response = client.post(
        reverse("viewers:reaction", args=[catalogue["Heat"].pk]),
        {"value": "like", "next": "/home/"},
    )
    assert response.status_code == 302 and response.url == "/home/"
    assert Reaction.objects.get().value == Reaction.Value.LIKE


def test_bad_input_is_refused(client, catalogue):
    url = reverse("viewers:reaction", args=[catalogue["Heat"].pk])
    assert client.post(url, {"value": "love"}).status_code == 400
    assert client.get(url).status_code == 405
    assert client.get(reverse("recommendations:home_row", args=["nope"])).status_code == 400


def test_a_like_changes_the_rows_on_the_next_request_without_a_trained_model(client, catalogue):
    assert not TrainedModel.objects.exists()
    popular = _row(client, "popular")
    _like(client, catalogue["Alien"])
    top_after_alien = _row(client, "top-picks")
    alien = _because(client, catalogue["Alien"])
    _like(client, catalogue["Alien"], value="like")  # a second click takes the like back
    _like(client, catalogue["Heat"])
    top_after_heat = _row(client, "top-picks")
    heat = _because(client, catalogue["Heat"])

    assert _titles(alien, catalogue)[:2] == ["Aliens", "Blade Runner"]
    assert set(_titles(heat, catalogue)[:2]) == {"Collateral", "Thief"}  # Michael Mann's
    assert "Because you liked Heat: also a Michael Mann" in heat
    for top, liked in ((top_after_alien, "Alien"), (top_after_heat, "Heat")):
        reasons = re.findall(r'<p class="card-reason">([^<]*)</p>', top)
        assert reasons and all(liked in reason for reason in reasons)
    assert _card_ids(top_after_heat) != _card_ids(top_after_alien) != _card_ids(popular)


def test_no_film_repeats_across_the_rows_and_liked_ones_are_in_none(client, trained, catalogue):
    _like(client, catalogue["Heat"])
    _like(client, catalogue["Alien"])

    rows = _page_rows(client)
    ids = [movie_id for html in rows.values() for movie_id in _card_ids(html)]

    assert len(rows) >= 6 and len(ids) == len(set(ids))
    assert not {catalogue["Heat"].pk, catalogue["Alien"].pk} & set(ids)
    assert len(ids) == len(catalogue) - 2  # a small catalogue: every other film has a place


def test_a_film_marked_not_for_me_never_comes_back(client, trained, catalogue):
    _like(client, catalogue["Heat"])
    _like(client, catalogue["The Town"], value="dislike")
    with_model = _page_cards(client)
    TrainedModel.objects.update(is_active=False)
    without_model = _page_cards(client)

    assert catalogue["The Town"].pk not in with_model
    assert catalogue["The Town"].pk not in without_model
    assert catalogue["Inside Man"].pk in with_model and catalogue["Inside Man"].pk in without_model


def test_rows_that_are_not_personal_do_not_say_so(client, catalogue):
    Movie.objects.filter(pk=catalogue["Toy Story"].pk).update(popularity=90.0, vote_count=9000)
    Movie.objects.filter(pk=catalogue["Alien"].pk).update(popularity=50.0, vote_count=5000)
    fresh_search_state()
    page = client.get(reverse("recommendations:home")).content.decode()
    titles = re.findall(r'<h2 class="row-title">([^<]+)</h2>', page)

    assert titles[0] == "Popular" and "New in the catalogue" in titles
    assert not [t for t in titles if "you" in t]  # no "Because you liked", no "for you"
    assert any(t.startswith("Popular in ") for t in titles)
    assert "Popular from the 1990s" in titles
    popular = _row(client, "popular")
    assert _titles(popular, catalogue)[:2] == ["Toy Story", "Alien"]
    assert "Popular: 9,000 votes on TMDB" in popular


def test_the_curated_row_shows_its_films_in_the_curators_order(client, catalogue):
    row = CuratedRow.objects.create(title="Staff picks", position=1)
    order = ["Finding Nemo", "Thief", "Notting Hill", "Alien"]
    for n, title in enumerate(order):
        note = "A crew in deep space" if title == "Alien" else ""
        CuratedRowFilm.objects.create(row=row, movie=catalogue[title], order=n, note=note)
    CuratedRow.objects.create(title="Hidden", is_active=False)

    page = client.get(reverse("recommendations:home")).content.decode()
    html = client.get(
        f"{reverse('recommendations:home_row', args=['curated'])}?row={row.pk}", **HTMX
    )
    html = html.content.decode()

    assert "Staff picks" in page and "Hidden" not in page
    assert _titles(html, catalogue) == order
    assert "A crew in deep space" in html and "In Staff picks" in html


def test_a_row_url_that_is_not_on_the_page_is_empty(client, catalogue):
    url = reverse("recommendations:home_row", args=["because"]) + f"?film={catalogue['Heat'].pk}"
    html = client.get(url, **HTMX).content.decode()  # Heat is not liked: no such row
    assert "Because you liked Heat" not in html and _card_ids(html) == []


def test_signing_in_merges_what_the_browser_liked(client, django_user_model, catalogue):
    django_user_model.objects.create_user("cleo", password="a-long-pass-phrase-9")
    _like(client, catalogue["Heat"])

    response = client.post(
        reverse("viewers:login"), {"username": "cleo", "password": "a-long-pass-phrase-9"}
    )

    assert response.status_code == 302 and response.url == reverse("recommendations:home")
    reaction = Reaction.objects.get()
    assert reaction.user.username == "cleo" and reaction.anonymous_id == ""
    assert "Because you liked Heat" in client.get(reverse("recommendations:home")).content.decode()


def test_signing_up_logs_in_and_keeps_likes(client, catalogue):
    _like(client, catalogue["Collateral"])
    response = client.post(
        reverse("viewers:signup"),
        {
            "username": "dan",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response.status_code == 302
    assert Reaction.objects.get().user.username == "dan"
    client.post(reverse("viewers:logout"))
    assert "Because you liked" not in client.get(reverse("recommendations:home")).content.decode()


def test_the_row_placeholders_alone_for_another_page_to_include(client, catalogue):
    _like(client, catalogue["Heat"])
    html = client.get(reverse("recommendations:home_rows")).content.decode()
    assert "<html" not in html and 'id="home-rows"' in html
    assert any("/because/" in url for url in _row_urls(html))
