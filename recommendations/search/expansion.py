"""What the dense stage encodes, and the words it cannot read on its own.

MiniLM's vocabulary lacks many words viewers search films by: "heist" is read as "he" +
"##ist", "dystopia" as four pieces that say nothing of it. The catalogue knows them: the films
tagged with such a word stand for its meaning. So the query vector is moved towards the mean
vector of those films (once per word the model splits and enough films are tagged with),
before the dense search; the lexical stage finds the tagged films themselves, the dense stage
now their neighbours too (a film about a bank robbery that nobody tagged "heist").

And "film" and "movie", which frame a search rather than describe the film, pull MiniLM
towards films about film-making ("a heist film": Bowling for Columbine, Blow-Up): the dense
stage reads the query without them. Both chosen on tomt-dev's validation queries
(docs/benchmarks.md, "Words the model cannot read")."""

import re
from typing import TYPE_CHECKING

import numpy as np

from recommendations.query_encoder import word_pieces
from recommendations.search.catalogue import CatalogueSnapshot

if TYPE_CHECKING:
    from recommendations.search.dense import DenseIndex

_FRAMING = re.compile(r"\b(?:films?|movies?)\b", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
KEYWORD_FIELD = "keywords"  # the BM25 field of genres and keywords (search.catalogue)


def without_framing(chunks: tuple[str, ...]) -> tuple[str, ...]:
    """The chunks without "film(s)" and "movie(s)"; a chunk of nothing else stays as it is."""
    return tuple(_SPACES.sub(" ", _FRAMING.sub(" ", chunk)).strip() or chunk for chunk in chunks)


def unread_words(tokens: list[str], model: str) -> list[str]:
    """The query's words (lexical tokens, each once) that the model splits into pieces."""
    return [token for token in dict.fromkeys(tokens) if word_pieces(token, model) > 1]


def keyword_meanings(
    snapshot: CatalogueSnapshot, dense: "DenseIndex", tokens: list[str], min_films: int
) -> np.ndarray | None:
    """The mean, over the query's words the model cannot read and at least `min_films` films
    are tagged with, of the mean vector of those films; None when there is no such word."""
    meanings = []
    for word in unread_words(tokens, dense.model):
        tagged = snapshot.lexical.films_with(KEYWORD_FIELD, word)
        if len(tagged) < min_films:
            continue
        if (meaning := dense.mean_vector(tagged, snapshot.size)) is not None:
            meanings.append(meaning)
    return np.mean(meanings, axis=0, dtype=np.float32) if meanings else None


def moved_towards(vectors: np.ndarray, meaning: np.ndarray | None, weight: float) -> np.ndarray:
    """Each query vector plus weight x the meaning, unit length again."""
    if meaning is None or not weight:
        return vectors
    moved = vectors + np.float32(weight) * meaning
    return moved / np.linalg.norm(moved, axis=1, keepdims=True)
