"""`{% film_actions movie %}`: Like, Not for me and My list for one film, in any template.

Every card and the film page render the same partial (templates/viewers/_film_actions.html).
The viewer's reactions and list are read once per request, however many cards a page has."""

from django import template

from viewers.actions import film_action_urls
from viewers.selectors import ViewerTaste, request_viewer_taste

register = template.Library()


@register.inclusion_tag("viewers/_film_actions.html", takes_context=True)
def film_actions(context: template.Context, movie) -> dict:
    return film_actions_context(context_taste(context), movie, context.get("csrf_token"))


def context_taste(context: template.Context) -> ViewerTaste:
    """The taste of the page's viewer (none without a request)."""
    request = context.get("request")
    return request_viewer_taste(request) if request is not None else ViewerTaste()


def film_actions_context(taste: ViewerTaste, movie, csrf_token: object) -> dict:
    """What the film actions template reads for one film: a page of cards looks the viewer
    and the form token up once (context_taste) and calls this for each card."""
    return {
        "movie": movie,
        "reaction": taste.reaction_of(movie.pk),
        "in_list": movie.pk in taste.my_list,
        "urls": film_action_urls(movie.pk),
        "csrf_token": csrf_token,
    }
