"""The home page and its lazily loaded rows, through the views."""

import re

import pytest
from django.urls import reverse

from viewers.models import MyListEntry, Reaction

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _like(client, movie, value="like"):
    return client.post(reverse("viewers:reaction", args=[movie.pk]), {"value": value}, **HTMX)


def _row_urls(html: str) -> list[str]:
    return [u.replace("&amp;", "&") for u in re.findall(r'hx-get="([^"]+)"', html)]


def test_a_new_viewer_gets_popular_rows_loaded_lazily(client, trained, catalogue):
    page = client.get(reverse("viewers:home")).content.decode()

    assert 'hx-trigger="revealed"' in page
    assert "Top picks for you" not in page
    assert 'id="topbar-q"' in page  # search in the top bar, "/" focuses it
    popular = client.get(reverse("viewers:home_row", args=["popular"]), **HTMX).content.decode()
    assert "<html" not in popular  # a partial
    assert "Popular: liked or rated by 5 viewers" in popular  # Heat and The Town: 5 raters


def test_liking_a_film_swaps_its_buttons_and_shapes_the_rows(client, trained, catalogue):
    response = _like(client, catalogue["Heat"])
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="film-actions"')
    assert 'aria-pressed="true"' in html and "Liked" in html

    page = client.get(reverse("viewers:home")).content.decode()
    assert "Top picks for you" in page and "Because you liked Heat" in page
    rows = {url: client.get(url, **HTMX).content.decode() for url in _row_urls(page)}
    because = next(html for url, html in rows.items() if "/because/" in url)
    assert "Because you liked Heat: also a Michael Mann crime, thriller film" in because or (
        "Because you liked Heat: also a Michael Mann crime thriller film" in because
    )
    assert ">Heat<" not in because.split("</h2>", 1)[1]  # the liked film is not re-offered
    assert any("Crime picks for you" in html for html in rows.values())


def test_the_reason_names_shared_keywords_when_the_director_differs(client, trained, catalogue):
    _like(client, catalogue["Heat"])
    url = reverse("viewers:home_row", args=["because"]) + f"?film={catalogue['Heat'].pk}"
    html = client.get(url, **HTMX).content.decode()
    assert "Shares keywords heist, betrayal with Heat" in html  # The Town


def test_a_dislike_hides_the_film_and_the_list_button_toggles(client, trained, catalogue):
    _like(client, catalogue["Heat"])
    _like(client, catalogue["The Town"], value="dislike")
    client.post(reverse("viewers:my_list", args=[catalogue["Thief"].pk]), **HTMX)

    top = client.get(reverse("viewers:home_row", args=["top-picks"]), **HTMX).content.decode()
    my_list = client.get(reverse("viewers:home_row", args=["my-list"]), **HTMX).content.decode()

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
    assert client.get(reverse("viewers:home_row", args=["nope"])).status_code == 400


def test_without_a_trained_model_the_rows_fall_back_to_the_catalogue(client, catalogue):
    _like(client, catalogue["Heat"])
    html = client.get(reverse("viewers:home_row", args=["top-picks"]), **HTMX).content.decode()
    assert html.count('class="card"') == len(catalogue) - 1
    assert "Popular in the catalogue" in html


def test_signing_in_merges_what_the_browser_liked(client, django_user_model, catalogue):
    django_user_model.objects.create_user("cleo", password="a-long-pass-phrase-9")
    _like(client, catalogue["Heat"])

    response = client.post(
        reverse("viewers:login"), {"username": "cleo", "password": "a-long-pass-phrase-9"}
    )

    assert response.status_code == 302 and response.url == reverse("viewers:home")
    reaction = Reaction.objects.get()
    assert reaction.user.username == "cleo" and reaction.anonymous_id == ""
    assert "Because you liked Heat" in client.get(reverse("viewers:home")).content.decode()


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
    assert "Because you liked" not in client.get(reverse("viewers:home")).content.decode()


def test_the_row_placeholders_alone_for_another_page_to_include(client, catalogue):
    _like(client, catalogue["Heat"])
    html = client.get(reverse("viewers:home_rows")).content.decode()
    assert "<html" not in html and 'id="home-rows"' in html
    assert any("/because/" in url for url in _row_urls(html))
