"""The My list page: in the navigation, an empty state, and a list that follows the viewer
from an anonymous browser into the account created at sign-up."""

import re

import pytest
from django.urls import reverse

from viewers.models import MyListEntry, Reaction

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _titles(html: str) -> list[str]:
    return re.findall(r'<h3 class="card-title"><a href="[^"]+">([^<]+)</a>', html)


def test_the_navigation_links_my_list_on_every_viewer_page(client, catalogue):
    movie = catalogue["Heat"]
    for url in (
        "/",
        reverse("recommendations:home"),
        reverse("recommendations:movie", args=[movie.pk]),
    ):
        assert '<a href="/my-list/">My list</a>' in client.get(url).content.decode()


def test_an_empty_list_says_how_to_fill_it(client, catalogue):
    response = client.get(reverse("viewers:my_list_page"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your list is empty" in html and "+ My list" in html
    assert 'class="card"' not in html


def test_the_list_follows_the_viewer_into_a_new_account(client, catalogue):
    for title in ("Alien", "Heat"):
        client.post(reverse("viewers:my_list", args=[catalogue[title].pk]), **HTMX)
    client.post(
        reverse("viewers:reaction", args=[catalogue["Alien"].pk]), {"value": "like"}, **HTMX
    )
    html = client.get(reverse("viewers:my_list_page")).content.decode()
    assert _titles(html) == ["Heat", "Alien"]
    assert "to keep them on every device" in html  # anonymous: invited to sign up

    client.post(
        reverse("viewers:signup"),
        {
            "username": "fay",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )

    html = client.get(reverse("viewers:my_list_page")).content.decode()
    assert _titles(html) == ["Heat", "Alien"]
    assert "to keep them on every device" not in html
    alien = html[html.index(f'data-movie-id="{catalogue["Alien"].pk}"') :]
    assert "♥ Liked" in alien.split("</article>", 1)[0]
    assert set(MyListEntry.objects.values_list("user__username", flat=True)) == {"fay"}
    assert Reaction.objects.get().user.username == "fay"


def test_taking_a_film_off_the_list_from_its_card(client, catalogue):
    url = reverse("viewers:my_list", args=[catalogue["Heat"].pk])
    client.post(url, **HTMX)
    response = client.post(url, **HTMX)
    assert "+ My list" in response.content.decode()
    assert "Your list is empty" in client.get(reverse("viewers:my_list_page")).content.decode()
