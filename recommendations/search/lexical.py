"""Lexical candidates: field-weighted BM25 (bm25s) over title, genres + keywords, and body
(tagline, synopsis, cast). Each field is its own index; a film's score is the weighted sum."""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import bm25s
import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from recommendations.search.fuzzy import KeysByLength

# English function words plus the words people use to *describe* a search rather than the
# film ("movie about a guy ... I remember a scene"), which otherwise match every synopsis.
_STOPWORDS_TEXT = """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing don down during
    each else ever few for from further had has have having he her here hers herself him
    himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours out over own same she should so some such
    than that the their theirs them themselves then there these they this those through to
    too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves im ive id dont didnt cant wasnt isnt doesnt
    thats theres movie movies film films watched watch remember remembered recall think
    thought know knew seen saw scene scenes like really something someone thing things
    kind sort pretty maybe probably anyone anybody help please thanks thank title name
    find looking tv trying got get gets one two guy guys bit lot much many way even still
    around back going go goes went came come comes see says said tell told want wanted
    year years old time made make makes part end ending plot main character characters
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_TOKEN = re.compile(r"\w\w+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def tokenize(text: str) -> list[str]:
    return _tokens(_normalized(text))


def _normalized(text: str) -> str:
    text = text.replace("'", "").replace("\u2019", "")
    if not text.isascii():  # strip accents ("café" -> "cafe"); ASCII has none to strip
        text = unicodedata.normalize("NFKD", text)
        # Each combining mark the text holds, removed by one replace (a text has a few kinds
        # at most): not a Python step per character (a synopsis with one dash is long)
        for mark in {ch for ch in set(_NON_ASCII.findall(text)) if unicodedata.combining(ch)}:
            text = text.replace(mark, "")
    return text.lower()


def _tokens(normalized: str) -> list[str]:
    return [_stem(t) for t in _TOKEN.findall(normalized) if t not in STOPWORDS]


def tokens_in(text: str, tokens: set[str]) -> list[str]:
    """Those of `tokens` (tokenize's) that tokenize(text) gives too, sorted. A token is a
    word or the word less its plural "s", so it is a substring of the text as tokenize reads
    it: a text containing none of them is not tokenized (most fields of a result's card).
    Otherwise the text's words are matched against the two words that can give each token,
    instead of stemming every word (a synopsis has a hundred; the query a few)."""
    normalized = _normalized(text)
    if not any(token in normalized for token in tokens):
        return []
    token_of = _words_giving(frozenset(tokens))
    return sorted({token_of[word] for word in token_of.keys() & set(_TOKEN.findall(normalized))})


@lru_cache(maxsize=64)
def _words_giving(tokens: frozenset[str]) -> dict[str, str]:
    """The words tokenize reads as one of `tokens`, each with its token: the token itself and
    the token + "s", where not stop words (made once a query: a page asks for each card's
    fields)."""
    return {
        word: token
        for token in tokens
        for word in (token, f"{token}s")
        if word not in STOPWORDS and _stem(word) == token
    }


def _stem(token: str) -> str:
    """A light plural stemmer: 'robbers' -> 'robber', 'heists' -> 'heist', keeps 'boss'."""
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


@dataclass(frozen=True)
class FieldWeights:
    title: float = 1.0
    keywords: float = 1.0
    body: float = 1.0


DEFAULT_WEIGHTS = FieldWeights()
NEAREST_KEPT = 4096  # misspelled words whose nearest word is kept, per catalogue version


class LexicalIndex:
    def __init__(self, fields: dict[str, bm25s.BM25], size: int) -> None:
        self.fields = fields
        self.size = size
        self._words: KeysByLength | None = None
        self._nearest: dict[tuple[str, float, int], str | None] = {}
        self._common_words: dict[int, KeysByLength] = {}

    def knows_all(self, tokens: list[str]) -> bool:
        """Every token is a word of some field's vocabulary (no misspelling among them)."""
        return all(any(t in index.vocab_dict for index in self.fields.values()) for t in tokens)

    def has_nearer_word(
        self, text: str, score: float, *, besides: set[str], or_as_near: bool = False
    ) -> bool:
        """Whether a word of the vocabularies, not one of `besides`, is spelled nearer `text`
        than `score` (fuzz.ratio), or as near with `or_as_near`."""
        # rapidfuzz's cut-off is not exact: a score equal to it can fall under it
        candidates, _ = self._words_by_length().ratio_candidates(text, score - 1e-6)
        hits = process.extract(
            text,
            candidates,
            scorer=fuzz.ratio,
            score_cutoff=score - 1e-6,
            limit=None,
        )
        return any(
            word not in besides and (found > score + 1e-6 or (or_as_near and found >= score - 1e-6))
            for word, found, _ in hits
        )

    def nearest_word(self, word: str, cutoff: float, min_films: int = 1) -> str | None:
        """`_nearest_word`, kept per word: a scan costs about a millisecond, and viewers
        repeat their slips ("zombi")."""
        key = (word, cutoff, min_films)
        if key not in self._nearest:
            if len(self._nearest) >= NEAREST_KEPT:
                self._nearest.clear()
            self._nearest[key] = self._nearest_word(word, cutoff, min_films)
        return self._nearest[key]

    def _nearest_word(self, word: str, cutoff: float, min_films: int) -> str | None:
        """The word of the vocabularies, held by `min_films` films or more, spelled nearest
        `word`, by the share of its letters kept (optimal string alignment: a letter dropped,
        added, replaced, or two swapped count one each; 100 x that share >= cutoff); of those
        as near, the one the most films hold (then the first in order). Not fuzz.ratio: it
        counts a swap as two, and read "travle" as "traveler" before "travel"."""
        candidates, _ = self._words_held_by(min_films).alignment_candidates(word, cutoff / 100)
        hits = process.extract(
            word,
            candidates,
            scorer=OSA.normalized_similarity,
            score_cutoff=cutoff / 100 - 1e-6,  # 1 - 1/5 is not 0.8 to rapidfuzz's cut-off
            limit=None,
        )
        if not hits:
            return None
        best = hits[0][1]
        return max((w for w, score, _ in hits if score == best), key=self._films_holding)

    def _films_holding(self, word: str) -> int:
        """How many films hold `word`, summed over the fields (a film can count in each)."""
        total = 0
        for index in self.fields.values():
            if (at := index.vocab_dict.get(word)) is not None:
                pointers = index.scores["indptr"]
                total += int(pointers[at + 1] - pointers[at])
        return total

    def _words_held_by(self, min_films: int) -> KeysByLength:
        if min_films <= 1:
            return self._words_by_length()
        if min_films not in self._common_words:
            held = [w for w in self._words_by_length().keys if self._films_holding(w) >= min_films]
            self._common_words[min_films] = KeysByLength.of(held)
        return self._common_words[min_films]

    def prepare_spelling_lookups(self) -> None:
        """Makes the vocabulary's list by length now (a worker's warm-up), not on the first
        misspelled search (18 ms at TMDB 5000)."""
        self._words_by_length()

    def _words_by_length(self) -> KeysByLength:
        if self._words is None:  # made on the first misspelling that needs it
            vocabulary = {w for index in self.fields.values() for w in index.vocab_dict if w}
            self._words = KeysByLength.of(sorted(vocabulary))
        return self._words

    def has_word(self, field: str, token: str) -> bool:
        index = self.fields.get(field)
        return index is not None and token in index.vocab_dict

    def films_with(self, field: str, token: str) -> np.ndarray:
        """Positions of the films whose `field` holds the token."""
        index = self.fields.get(field)
        if index is None or token not in index.vocab_dict:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(index.get_scores([token]) > 0)

    def scores(self, tokens: list[str], weights: FieldWeights = DEFAULT_WEIGHTS) -> np.ndarray:
        """BM25 score of every film (position order) for the query tokens."""
        return weighted_sum(self.field_scores(tokens, weights), weights, self.size)

    def field_scores(
        self, tokens: list[str], weights: FieldWeights = DEFAULT_WEIGHTS
    ) -> dict[str, np.ndarray]:
        """Each field's BM25 score of every film, unweighted; only the fields with a weight
        and a known token (the others score 0 everywhere)."""
        out = {}
        for name, index in self.fields.items():
            known = [t for t in tokens if t in index.vocab_dict]
            if getattr(weights, name) and known:
                out[name] = index.get_scores(known)
        return out


def weighted_sum(fields: dict[str, np.ndarray], weights: FieldWeights, size: int) -> np.ndarray:
    total = np.zeros(size, dtype=np.float32)
    for name, values in fields.items():
        total += getattr(weights, name) * values
    return total


def _index(texts: list[str]) -> bm25s.BM25 | None:
    corpus = [tokenize(t) for t in texts]
    if not any(corpus):  # bm25s cannot index an empty vocabulary
        return None
    index = bm25s.BM25(k1=1.2, b=0.75)
    index.index(corpus, show_progress=False)
    return index


def build_lexical_index(
    *, titles: list[str], keywords: list[str], bodies: list[str]
) -> LexicalIndex:
    fields = {"title": _index(titles), "keywords": _index(keywords), "body": _index(bodies)}
    return LexicalIndex({k: v for k, v in fields.items() if v is not None}, size=len(titles))
