"""Text helpers shared by importers, matching and search."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")
_LEADING_ARTICLE = re.compile(r"^(the|a|an)\s+")


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
