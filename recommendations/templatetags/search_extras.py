import hashlib

from django import template

register = template.Library()


@register.filter
def poster_hue(title: str) -> int:
    """A stable hue for a film's generated placeholder poster."""
    return int(hashlib.md5(title.encode(), usedforsecurity=False).hexdigest()[:4], 16) % 360


@register.filter
def initials(title: str) -> str:
    words = [w for w in title.replace(":", " ").split() if w[:1].isalnum()]
    return "".join(w[0] for w in words[:2]).upper() or "?"
