"""The like/dislike and My list URLs of a film, for every card and film page."""

from dataclasses import dataclass
from functools import lru_cache

from django.urls import reverse


@dataclass(frozen=True)
class FilmActionUrls:
    reaction: str
    my_list: str


@lru_cache(maxsize=4)
def _url_pattern(name: str) -> str:
    return reverse(name, args=[987654321]).replace("987654321", "{}")


def film_action_urls(movie_id: int) -> FilmActionUrls:
    """The like/dislike and My list URLs of a film (reversed once, not per button: a row has
    dozens of buttons)."""
    return FilmActionUrls(
        reaction=_url_pattern("viewers:reaction").format(movie_id),
        my_list=_url_pattern("viewers:my_list").format(movie_id),
    )
