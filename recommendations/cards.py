"""A film's result card, in HTML, for every list of films (search results, similar films,
a person's or a keyword's films, My list).

Written in Python rather than a template: a page of 20 cards was most of a search's CPU
time, a few thousand template nodes (docs/benchmarks.md, "Throughput"); this renders the same
markup for a fraction of it. The Like / Not for me / My list buttons stay the viewers app's
template (templates/viewers/_film_actions.html), rendered once per process for each state and
stamped with each film's values."""

import hashlib
from functools import lru_cache
from urllib.parse import quote

from django.template import Context
from django.template.defaultfilters import title as title_case
from django.template.defaultfilters import truncatewords
from django.template.loader import get_template
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from movies.models import Movie

SYNOPSIS_WORDS = 32
_STAMP = {"pk": "987654321", "reaction": "/@stamp-reaction@/", "my_list": "/@stamp-list@/"}
_STAMP_TOKEN = "stampcsrftoken"


def poster_hue(title: str) -> int:
    """A stable hue for a film's generated placeholder poster."""
    return int(hashlib.md5(title.encode(), usedforsecurity=False).hexdigest()[:4], 16) % 360


def initials(title: str) -> str:
    words = [w for w in title.replace(":", " ").split() if w[:1].isalnum()]
    return "".join(w[0] for w in words[:2]).upper() or "?"


@lru_cache(maxsize=8)
def url_pattern(name: str) -> str:
    """A route's path for any film id: reversed once, formatted per card."""
    return reverse(name, args=[987654321]).replace("987654321", "{}")


def why_slot(movie_id: int, query: str) -> SafeString:
    """The lazy "why this?" panel of a card: it loads itself when scrolled into view and
    replaces itself with the panel (static/js/site.js shows the failure line if it cannot);
    without JavaScript the link opens the explanation as a page. Nothing without a query."""
    if not query:
        return SafeString("")
    url = f"{url_pattern('explain:why').format(movie_id)}?q={quote(query, safe='')}"
    return format_html(
        '<div class="why why--loading" data-why-movie="{}"\n'
        '     hx-get="{}" hx-trigger="revealed" hx-swap="outerHTML">\n'
        '  <noscript><a class="why__link" href="{}">Why this?</a></noscript>\n'
        '  <span class="why__status" role="status"><span class="why__spinner" aria-hidden="true">'
        "</span>Finding what fits…</span>\n"
        '  <span class="why__failure">No explanation right now.</span>\n'
        "</div>\n",
        movie_id,
        url,
        url,
    )


@lru_cache(maxsize=16)
def _actions_stamp(reaction: int, in_list: bool) -> str:
    """The film actions template rendered for one state with placeholder values."""
    context = {
        "movie": {"pk": _STAMP["pk"]},
        "reaction": reaction,
        "in_list": in_list,
        "urls": {"reaction": _STAMP["reaction"], "my_list": _STAMP["my_list"]},
        "csrf_token": _STAMP_TOKEN,
    }
    return get_template("viewers/_film_actions.html").template.render(Context(context))


def film_actions(actions: dict) -> SafeString:
    """What `{% film_actions movie %}` renders (its context: viewers.templatetags), from the
    template's stamp for the viewer's state."""
    token = str(actions.get("csrf_token") or "")
    reaction = actions["reaction"] or 0
    html = _actions_stamp(reaction, bool(actions["in_list"]))
    for placeholder, value in (
        (_STAMP["reaction"], actions["urls"].reaction),
        (_STAMP["my_list"], actions["urls"].my_list),
        (_STAMP["pk"], actions["movie"].pk),
        (_STAMP_TOKEN, token),
    ):
        html = html.replace(placeholder, escape(value))
    if not token or token == "NOTPROVIDED":  # the template writes no token field then
        html = _without_token_fields(html)
    return mark_safe(html)


def _without_token_fields(html: str) -> str:
    field = '<input type="hidden" name="csrfmiddlewaretoken" value="">'
    return html.replace(field.replace('value=""', 'value="NOTPROVIDED"'), "").replace(field, "")


def card(
    movie: Movie,
    *,
    actions: SafeString,
    query: str = "",
    note: str = "",
    genres: tuple[str, ...] = (),
    title_match: bool = False,
    people: list[str] | tuple[str, ...] = (),
) -> SafeString:
    """One film's card: poster, title and year, a note (a role, a reason), genres, the badge
    of a title or person match, the synopsis' first words, the buttons and the "why" slot."""
    url = url_pattern("recommendations:movie").format(movie.pk)
    if src := movie.poster_src:
        poster = format_html(
            '<img class="poster" src="{}" alt="Poster of {}" loading="lazy">', src, movie.title
        )
    else:
        poster = format_html(
            '<div class="poster poster-placeholder" style="--hue: {}" aria-hidden="true">{}</div>',
            poster_hue(movie.title),
            initials(movie.title),
        )
    year = format_html(' <span class="year">{}</span>', movie.year) if movie.year else ""
    lines = [format_html('<p class="card-note">{}</p>', note) if note else ""]
    lines.append(format_html('<p class="genres">{}</p>', " · ".join(genres)) if genres else "")
    if title_match:
        lines.append(mark_safe('<p class="badge">Title match</p>'))
    elif people:
        lines.append(format_html('<p class="badge">With {}</p>', title_case(", ".join(people))))
    return format_html(
        '<article class="card" id="movie-{pk}" data-movie-id="{pk}">\n'
        '  <a class="card-link" href="{url}">\n    {poster}\n  </a>\n'
        '  <div class="card-body">\n'
        '    <h3 class="card-title"><a href="{url}">{title}</a>{year}</h3>\n'
        "    {lines}\n"
        '    <p class="synopsis">{synopsis}</p>\n'
        "    {actions}\n    {why}\n"
        "  </div>\n</article>\n",
        pk=movie.pk,
        url=url,
        poster=poster,
        title=movie.title,
        year=year,
        lines=mark_safe("\n    ".join(line for line in lines if line)),
        synopsis=truncatewords(movie.synopsis, SYNOPSIS_WORDS),
        actions=actions,
        why=why_slot(movie.pk, query),
    )
