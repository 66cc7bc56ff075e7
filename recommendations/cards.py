"""A film's result card, in HTML, for every list of films (search results, similar films,
a person's or a keyword's films, My list).

Written in Python rather than a template: a page of 20 cards was most of a search's CPU
time, a few thousand template nodes (docs/benchmarks.md, "Throughput"); this renders the same
markup for a fraction of it. The Like / Not for me / My list buttons stay the viewers app's
template (templates/viewers/_film_actions.html), rendered once per process for each state and
stamped with each film's values."""

import hashlib
import string
from functools import lru_cache
from html import escape as escape_html
from urllib.parse import quote

from django.template import Context
from django.template.defaultfilters import title as title_case
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from movies.models import Movie
from viewers.actions import film_action_urls

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


def _h(value: object) -> str:
    """HTML-escaped text, as the templates' autoescape does (safe strings pass as they are);
    the standard library's escape, without the lazy-string checks of Django's (a card writes a
    dozen values, 20 cards a page)."""
    return value.__html__() if hasattr(value, "__html__") else escape_html(str(value))


def first_words(text: str, count: int) -> str:
    """What the `truncatewords` filter writes (runs of white space made one space, " …" after
    the `count`th word), without its lazy-string and translation machinery (20 cards a page)."""
    words = text.split(maxsplit=count)  # the rest in one piece: a synopsis is long
    if len(words) <= count:
        return " ".join(words)
    kept = " ".join(words[:count])
    return kept if kept.endswith(" …") else f"{kept} …"


@lru_cache(maxsize=64)
def _quoted(query: str) -> str:
    return quote(query, safe="")  # once a page, not once a card


def why_slot(movie_id: int, query: str) -> SafeString:
    """The lazy "why this?" panel of a card: it loads itself when scrolled into view and
    replaces itself with the panel (static/js/site.js shows the failure line if it cannot);
    without JavaScript the link opens the explanation as a page. Nothing without a query."""
    if not query:
        return SafeString("")
    before, after = _why_url(query)
    url = f"{before}{int(movie_id):d}{after}"
    return SafeString(
        f'<div class="why why--loading" data-why-movie="{movie_id:d}"\n'
        f'     hx-get="{url}" hx-trigger="revealed" hx-swap="outerHTML">\n'
        f'  <noscript><a class="why__link" href="{url}">Why this?</a></noscript>\n'
        '  <span class="why__status" role="status"><span class="why__spinner" aria-hidden="true">'
        "</span>Finding what fits…</span>\n"
        '  <span class="why__failure">No explanation right now.</span>\n'
        "</div>\n"
    )


@lru_cache(maxsize=64)
def _why_url(query: str) -> tuple[str, str]:
    """The query's "why this?" URL, escaped, before and after the film id: escaped once a page
    (escaping goes character by character and leaves an id's digits as they are)."""
    before, after = url_pattern("explain:why").split("{}")
    return _h(before), f"{_h(after)}?q={_h(_quoted(query))}"


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
    """What `{% film_actions movie %}` renders (its context: viewers.templatetags, whose URLs
    are viewers.actions.film_action_urls'), from the template's stamp for the viewer's state."""
    token = str(actions.get("csrf_token") or "")
    return film_actions_of(actions["movie"].pk, actions["reaction"], actions["in_list"], token)


def film_actions_of(pk: int, reaction: int | None, in_list: bool, token: str) -> SafeString:
    """`film_actions` for a film's id and the viewer's state, from the film's escaped URLs kept
    per process: a page of cards escapes none of them."""
    reaction_url, list_url = _action_urls(int(pk))
    pieces = _stamp_with_token(reaction or 0, bool(in_list), token)
    return mark_safe(
        _stamped(pieces, {"reaction": reaction_url, "my_list": list_url, "pk": str(int(pk))})
    )


@lru_cache(maxsize=4096)
def _action_urls(pk: int) -> tuple[str, str]:
    urls = film_action_urls(pk)
    return _h(urls.reaction), _h(urls.my_list)


@lru_cache(maxsize=16)
def _stamp_with_token(reaction: int, in_list: bool, token: str) -> tuple[tuple[str, str], ...]:
    """The stamp for a state with the page's form token in (one token a page: the cards of a
    page after the first find it here), cut once into (text, value name) pieces, a name ""
    after the last text: a card joins its values in (`_stamped`) where `str.format` read the
    whole 1.3 kB stamp for its placeholders on every card (docs/benchmarks.md, "round 6")."""
    html = _actions_stamp(reaction, in_list).replace(_STAMP_TOKEN, _h(token))
    if not token or token == "NOTPROVIDED":  # the template writes no token field then
        html = _without_token_fields(html)
    html = html.replace("{", "{{").replace("}", "}}")
    for name, placeholder in _STAMP.items():
        html = html.replace(placeholder, f"{{{name}}}")
    return tuple((text, name or "") for text, name, _, _ in string.Formatter().parse(html))


def _stamped(pieces: tuple[tuple[str, str], ...], values: dict[str, str]) -> str:
    """The stamp with its values in: what `str.format(**values)` gives for its text."""
    return "".join([part for text, name in pieces for part in (text, values[name] if name else "")])


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
    pk = int(movie.pk)
    head, synopsis = _film_parts(pk, movie.title, movie.year, movie.poster_src, movie.synopsis)
    lines = [f'<p class="card-note">{_h(note)}</p>'] if note else []
    if genres:
        lines.append(_genres_line(genres))
    if title_match:
        lines.append('<p class="badge">Title match</p>')
    elif people:
        lines.append(f'<p class="badge">With {_h(title_case(", ".join(people)))}</p>')
    body = "\n    ".join(lines)
    return SafeString(
        f"{head}    {body}\n{synopsis}    {_h(actions)}\n    {why_slot(pk, query)}\n"
        "  </div>\n</article>\n"
    )


@lru_cache(maxsize=2048)
def _film_parts(
    pk: int, title: str, year: int | None, poster_src: str, synopsis: str
) -> tuple[str, str]:
    """What a film's card shows of the film alone, up to its title line, and its synopsis
    line: written once per process and content (the key is the values shown, so an edited
    film is written anew), since most cards of a search are films shown before."""
    safe_title, url = _h(title), _h(url_pattern("recommendations:movie").format(pk))
    if poster_src:
        poster = (
            f'<img class="poster" src="{_h(poster_src)}" alt="Poster of {safe_title}" '
            'loading="lazy">'
        )
    else:
        poster = (
            f'<div class="poster poster-placeholder" style="--hue: {poster_hue(title):d}" '
            f'aria-hidden="true">{_h(initials(title))}</div>'
        )
    year_html = f' <span class="year">{int(year):d}</span>' if year else ""
    head = (
        f'<article class="card" id="movie-{pk:d}" data-movie-id="{pk:d}">\n'
        f'  <a class="card-link" href="{url}">\n    {poster}\n  </a>\n'
        '  <div class="card-body">\n'
        f'    <h3 class="card-title"><a href="{url}">{safe_title}</a>{year_html}</h3>\n'
    )
    return head, f'    <p class="synopsis">{_h(first_words(synopsis, SYNOPSIS_WORDS))}</p>\n'


@lru_cache(maxsize=1024)
def _genres_line(genres: tuple[str, ...]) -> str:
    return f'<p class="genres">{_h(" · ".join(genres))}</p>'
