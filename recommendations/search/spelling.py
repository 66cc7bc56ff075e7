"""Words a viewer misspelled in a description ("zombi apocalypse", "time travle"): each word
of at least `min_chars` letters that no field of the catalogue holds, and that is no word of
the language either (`_a_word_of_the_language`: "chanting", "campy", "revenging" are words the
catalogue happens not to use), is read as the word of the catalogue spelled nearest it
(LexicalIndex.nearest_word: a slip is a letter dropped, added, replaced, or two swapped;
`cutoff` the share of letters kept, in %), of those as near the one most films hold. The
stages read the query respelled and "Did you mean" offers it; the settings are
PipelineConfig's. A misspelled title or name is looked up as typed too
(recommendations.search.fuzzy)."""

import re
from dataclasses import dataclass

from recommendations.query_encoder import word_pieces
from recommendations.search.lexical import LexicalIndex, tokenize

_WORD = re.compile(r"[^\W\d_]+")  # letters only: "2000s" and "r2-d2" stay as typed


@dataclass(frozen=True)
class Respelling:
    typed: str  # the query as typed
    text: str  # as the stages read it
    words: tuple[tuple[str, str], ...]  # (as typed, as read)


def respelled(
    text: str, lexical: LexicalIndex, *, min_chars: int, cutoff: float, min_films: int = 1
) -> Respelling | None:
    """`text` with the words the catalogue does not know respelled, or None if none was
    (most queries: the pipeline asks only where some word is unknown)."""
    words: list[tuple[str, str]] = []

    def respell(match: re.Match) -> str:
        word = match.group(0)
        tokens = tokenize(word)
        if len(word) < min_chars or not tokens or lexical.knows_all(tokens):
            return word
        if _a_word_of_the_language(word.lower(), lexical):
            return word
        if (nearest := lexical.nearest_word(tokens[0], cutoff, min_films)) is None:
            return word
        words.append((word, nearest))
        return nearest

    fixed = _WORD.sub(respell, text)
    return Respelling(text, fixed, tuple(words)) if words else None


def prepare_respelling(lexical: LexicalIndex) -> None:
    """Loads what the first misspelled word of a process would (the vocabulary by length, the
    model's word list: about 40 ms at TMDB 5000), for a worker's warm-up."""
    lexical.prepare_spelling_lookups()
    word_pieces("warm")


_ENDINGS = ("ing", "ed", "es", "s", "er", "ly", "y", "d")


def _a_word_of_the_language(word: str, lexical: LexicalIndex) -> bool:
    """Whether the embedding model's vocabulary holds the word whole, or, less an ending
    (and with an "e" put back), the model or the catalogue holds its stem ("campy",
    "interrogated", "revenging"). A rarer word whose stem the model splits too ("plummets")
    is not told from a slip."""
    if word_pieces(word) == 1:
        return True
    for ending in _ENDINGS:
        stem = word.removesuffix(ending)
        if stem != word and len(stem) >= 3:
            for form in (stem, f"{stem}e"):
                if word_pieces(form) == 1 or lexical.knows_all([form]):
                    return True
    return False
