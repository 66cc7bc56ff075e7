"""Text helpers shared by importers, matching and search."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")
_LEADING_ARTICLE = re.compile(r"^(the|a|an)\s+")

# What a source's parser leaves of a sentence in a cast list ("Voices of", "Narrated by",
# "and his Orchestra", "the life of", "in post-"): a name never ends with such a word, nor
# starts with one written in lower case. Capitalised, some are names' own ("A Martinez",
# "The Rolling Stones", "Yoson An"), so those are read as written.
_NEVER_LAST = frozenset(["of", "by", "with", "from", "for", "and", "the", "at", "into", "about"])
_NEVER_LAST_LOWER = frozenset(["in", "on", "to", "a", "an", "as"])
_NEVER_FIRST_LOWER = _NEVER_LAST | _NEVER_LAST_LOWER | {"or"}
_EDGE_PUNCTUATION = ".,:;\u2013-"


def normalize_title(title: str) -> str:
    """'The Lord of the Rings: The Return…' -> 'lord of the rings the return'.

    Accents, punctuation, case and a leading article are dropped, so titles from different
    sources ("Amélie", "Amelie"; "Matrix, The", "The Matrix") match.
    """
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("&", " and ")
    text = _NON_WORD.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    text = re.sub(r"\s+(the|a|an)$", "", text)  # "matrix the" (from "Matrix, The")
    return _LEADING_ARTICLE.sub("", text)


def reads_as_person_name(name: str) -> bool:
    """Whether a credited name can be a person's (or a group's), rather than words of a
    sentence that a source's parser cut into a cast list (the 36k Wikipedia films hold 42 such
    entries among 133,326 names; Netflix's 71,104 and the bundled catalogue's hold none)."""
    words = [w.strip(_EDGE_PUNCTUATION) for w in name.split()]
    words = [w for w in words if w]
    if not words:
        return False
    first, last = words[0], words[-1]
    return not (
        first in _NEVER_FIRST_LOWER or last.lower() in _NEVER_LAST or last in _NEVER_LAST_LOWER
    )
