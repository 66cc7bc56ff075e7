from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString

from recommendations import cards
from viewers.templatetags.viewer_extras import context_taste, film_actions

register = template.Library()

poster_hue = register.filter(cards.poster_hue)
initials = register.filter(cards.initials)


@register.simple_tag(takes_context=True)
def film_card(context: template.Context) -> SafeString:
    """recommendations.cards.card for the context's `movie`, with its `result` (a search's:
    genres, title or person match), `note` and `query` where the page has them."""
    movie, result = context["movie"], context.get("result")
    return cards.card(
        movie,
        actions=cards.film_actions(film_actions(context, movie)),
        query=context.get("query") or "",
        note=context.get("note") or "",
        genres=getattr(result, "genres", ()),
        title_match=getattr(result, "title_match", False),
        people=getattr(result, "people", ()),
    )


@register.simple_tag(takes_context=True)
def search_cards(context: template.Context, response) -> SafeString:
    """A search page's cards, with the "Loosely related" heading before the first loose one
    ("More like …" where they are the films most like the one, or the person's, the query
    names, each with the reason as its note): what `{% for %}` over `{% include
    "recommendations/_card.html" %}` wrote, without the template machinery around each of
    the 20 cards."""
    query, loose = context.get("query") or "", response.first_loose_rank
    like = response.like_label
    heading = f"More like {escape(like)}" if like else "Loosely related"
    # The viewer and the form token, looked up once a page (the token is a lazy value)
    taste, token = context_taste(context), str(context.get("csrf_token") or "")
    parts = []
    for result in response.results:
        if result.rank == loose:
            parts.append(f'<h3 class="group-heading">{heading}</h3>')
        movie = result.movie
        parts.append(
            cards.card(
                movie,
                actions=cards.film_actions_of(
                    movie.pk, taste.reaction_of(movie.pk), movie.pk in taste.my_list, token
                ),
                query=query,
                note=result.reason,
                genres=result.genres,
                title_match=result.title_match,
                people=result.people,
            )
        )
    return SafeString("".join(parts))


@register.simple_tag(takes_context=True)
def why_slot(context: template.Context) -> SafeString:
    return cards.why_slot(context["movie"].pk, context.get("query") or "")
