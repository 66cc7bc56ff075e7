"""The offline explainer: says what in this film matches this query, from the film's own data,
with no language model. It is also what the LLM explainer is fed (as evidence) and falls back
to.

Grounds, strongest first: the synopsis sentences nearest the query in embedding space (quoted
whole, or their last clauses: a quote ends where its sentence ends), keywords and people the
query names, genres the query's words point to, and the period the query gives against the
release year. Every quote is a verbatim piece of the film's data; every sentence names
something of this film.
"""

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from movies.text import normalize_title
from recommendations import embedding
from recommendations.explain.facts import ExplainRequest, Explanation, FilmFacts, Reason
from recommendations.explain.text import (
    Period,
    brief_quote,
    content_stems,
    phrase_in,
    query_period,
)
from recommendations.search.dense import encode_query
from recommendations.search.query import GENRE_CUES

SOURCE = "grounded"
VERSION = "grounded-5"  # bump when the wording or the grounds change: cached texts go stale
CLOSE, RELATED = 0.45, 0.25  # cosine of query and sentence: how strongly we say it matches
SECOND_SENTENCE_GAP = 0.08
MAX_KEYWORDS, MAX_GENRES = 4, 2


class _VectorCache:
    """Unit vectors of texts seen recently in this process (a list page asks for one query
    across ten films, and popular films come back): encode only the misses, in one batch."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            found = {t: self._items[t] for t in texts if t in self._items}
            for text in found:
                self._items.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            found.update(zip(missing, embedding.encode(missing), strict=True))
            with self._lock:
                for text in missing:
                    self._items[text] = found[text]
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        if not texts:
            return np.zeros((0, embedding.DIMENSIONS), dtype=np.float32)
        return np.stack([found[t] for t in texts])

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# Sentences only: a query's vector comes from search's query encoder and its cache
# (recommendations.search.dense.encode_query), as the search that led here computed it.
sentence_vectors = _VectorCache(size=8192)


@dataclass(frozen=True)
class Grounds:
    """What in one film matches one query."""

    # (brief quote, cosine, "synopsis" | "tagline"), best first
    sentences: tuple[tuple[str, float, str], ...] = ()
    title: str = ""  # "same" as the query, or "nearest" (the title a misspelling is closest to)
    by_person: bool = False  # search put it first for a person the query names
    # (the title the query names, what the two share): search listed it as most like that film
    like: tuple[str, str] | None = None
    like_person: str = ""  # ... that film being one of this person's, whom the query names
    keywords: tuple[str, ...] = ()
    people: tuple[tuple[str, str], ...] = ()  # (name, "director" | "writer" | "cast")
    genres: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (genre, the query's cue words)
    period: Period | None = None
    signals: dict[str, float] = field(default_factory=dict)


def find_grounds(request: ExplainRequest) -> Grounds:
    film, query, evidence = request.film, request.query, request.evidence or {}
    stems = set(content_stems(query))
    sentences = _nearest_sentences(film, query, stems, evidence)
    signals = {k: round(float(v), 4) for k, v in (evidence.get("stage_scores") or {}).items()}
    people = _named_people(film, query, evidence.get("people") or ())
    if sentences:
        signals["synopsis_similarity"] = round(sentences[0][1], 4)
    return Grounds(
        sentences=sentences,
        title=_title_match(film, query, evidence),
        keywords=_matched_keywords(film, stems, evidence),
        people=people,
        by_person=bool(people) and bool(evidence.get("people")),
        like=_like(evidence),
        like_person=str(evidence.get("like_person") or ""),
        genres=_cued_genres(film, query, stems),
        period=query_period(query),
        signals=signals,
    )


def _nearest_sentences(
    film: FilmFacts, query: str, stems: set[str], evidence: dict
) -> tuple[tuple[str, float, str], ...]:
    units = film.sentences
    kinds = {film.tagline: "tagline"} if film.tagline else {}
    given = [s for s in evidence.get("sentences") or () if s in units]
    units = given or units
    if not units:
        return ()
    if evidence.get("query_vector") is not None:
        query_vector = np.asarray(evidence["query_vector"], dtype=np.float32)
    else:
        query_vector = encode_query((query,))[0]
    similarities = _unit_vectors(units, evidence.get("sentence_vectors") or {}) @ query_vector
    order = np.argsort(-similarities, kind="stable")
    best = float(similarities[order[0]])
    chosen = [int(order[0])]
    if len(order) > 1:
        second = float(similarities[order[1]])
        if second >= max(RELATED, best - SECOND_SENTENCE_GAP):
            chosen.append(int(order[1]))
    return tuple(
        (
            brief_quote(units[i], stems).rstrip("."),
            round(float(similarities[i]), 4),
            kinds.get(units[i], "synopsis"),
        )
        for i in chosen
    )


def _unit_vectors(units: list[str], stored: dict[str, np.ndarray]) -> np.ndarray:
    """Vectors of the sentences: the index's (stored when the film was embedded) where it has
    them, else encoded now (and remembered in this process)."""
    missing = [u for u in units if u not in stored]
    fresh = dict(zip(missing, sentence_vectors.vectors(missing), strict=True))
    return np.stack([stored[u] if u in stored else fresh[u] for u in units])


def _matched_keywords(film: FilmFacts, stems: set[str], evidence: dict) -> tuple[str, ...]:
    named = {k.casefold() for k in (evidence.get("matched_fields") or {}).get("keywords", ())}
    found = [k for k in film.keywords if k.casefold() in named or phrase_in(k, stems)]
    return tuple(found[:MAX_KEYWORDS])


def _title_match(film: FilmFacts, query: str, evidence: dict) -> str:
    """Whether search put the film first for its title: the pipeline says so in `title_match`
    (the whole query, a quoted phrase, or the title a short query misspells); without it, only
    a query that is the title counts."""
    if normalize_title(query) == normalize_title(film.title):
        return "same"
    return "nearest" if evidence.get("title_match") else ""


def _like(evidence: dict) -> tuple[str, str] | None:
    like = evidence.get("like")
    return (str(like[0]), str(like[1])) if like and len(like) == 2 else None


def _named_people(
    film: FilmFacts, query: str, matched: Sequence[str] = ()
) -> tuple[tuple[str, str], ...]:
    """People of the film the query names: by their words in the query, or as the pipeline
    matched them (`matched`: normalised names, a misspelled one among them)."""
    lowered = f" {' '.join(content_stems(query))} "
    matched_names = set(matched)
    found: dict[str, str] = {}
    for role, names in (
        ("director", film.directors),
        ("writer", film.writers),
        ("cast", film.cast),
    ):
        for name in names:
            full = " ".join(content_stems(name))
            surname = name.split()[-1]
            named = (
                (full and f" {full} " in lowered)
                or (len(surname) >= 4 and surname[0].isupper() and f" {surname} " in f" {query} ")
                or normalize_title(name) in matched_names
            )
            if named and name not in found:
                found[name] = role
    return tuple(found.items())


def _cued_genres(
    film: FilmFacts, query: str, stems: set[str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    lowered = query.casefold()
    found = []
    for genre in film.genres:
        cues = (genre.casefold(), *GENRE_CUES.get(genre.casefold(), ()))
        hits = tuple(c for c in dict.fromkeys(cues) if phrase_in(c, stems) or f" {c} " in lowered)
        if hits:
            found.append((genre, hits[:3]))
    return tuple(found[:MAX_GENRES])


def _quoted_list(items: Sequence[str]) -> str:
    quoted = [f"“{item}”" for item in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


_ROLE_WORDS = {"director": "directed it", "writer": "wrote it", "cast": "is in the cast"}


def compose(film: FilmFacts, grounds: Grounds) -> tuple[Reason, ...]:
    reasons: list[Reason] = []
    if grounds.title == "same":
        reasons.append(Reason("title", f"Its title is what you searched for: “{film.title}”."))
    elif grounds.title:
        text = f"Its title, “{film.title}”, is the nearest to what you typed."
        reasons.append(Reason("title", text))
    people = [
        Reason("person", f"You name “{name}”, who {_ROLE_WORDS[role]}.")
        for name, role in grounds.people
    ]
    if grounds.like:
        # Listed after the film the query names, as one most like it: the query's words (a
        # title) did not find it, so nothing it "describes" is claimed to match.
        title, shared = grounds.like
        if grounds.like_person:
            text = (
                f"One of the films most like those of “{grounds.like_person}”, whom your search "
                f"names: closest to “{title}”"
            )
        else:
            text = f"One of the films most like “{title}”, which your search names"
        text = f"{text} ({_sentence_part(shared)})." if shared else f"{text}."
        return (Reason("like", text),)
    if grounds.by_person:  # what put it first leads
        reasons += people
    # A search by title or name describes no story: the story is said only where it is close
    by_name = bool(grounds.title) or grounds.by_person
    told = bool(grounds.sentences) and (not by_name or grounds.sentences[0][1] >= CLOSE)
    if told:
        quotes = _quoted_list([quote for quote, _, _ in grounds.sentences])
        _, best, field_name = grounds.sentences[0]
        its = "Its story" if field_name == "synopsis" else "Its tagline"
        if best >= CLOSE:
            text = f"{its} is close to what you describe: {quotes}."
        elif best >= RELATED:
            text = f"{its} touches on what you describe: {quotes}."
        else:
            text = f"{its} matches only loosely; the nearest line is {quotes}."
        reasons.append(Reason("synopsis", text))
    if not grounds.by_person:
        reasons += people
    if grounds.keywords:
        several = len(grounds.keywords) > 1
        noun = "keywords" if several else "keyword"
        verb = "are words" if several else "is a word"
        text = f"Its {noun} {_quoted_list(grounds.keywords)} {verb} from your description."
        reasons.append(Reason("keyword", text))
    for genre, cues in grounds.genres:
        cue_words = " and ".join(cues)
        text = f"Listed as “{genre}”, in keeping with {cue_words} in your description."
        reasons.append(Reason("genre", text))
    if grounds.period and film.year:
        if grounds.period.contains(film.year):
            text = f"Released in {film.year}, which fits {grounds.period.label} you mention."
        else:
            text = f"Released in {film.year}, not {grounds.period.label} as you recall it."
        reasons.append(Reason("period", text))
    if not grounds.sentences and len(reasons) < 2:
        reasons.append(Reason("facts", _facts_line(film)))
    return tuple(reasons)


def _sentence_part(text: str) -> str:
    """ "Same director: X" as the middle of a sentence: "same director: X"."""
    return text[:1].lower() + text[1:]


def _facts_line(film: FilmFacts) -> str:
    """For a film with no synopsis to compare: what the catalogue does hold, quoted."""
    head = f"“{film.title}”" + (f" ({film.year})" if film.year else "")
    parts = [f"{head} has no synopsis in the catalogue to compare with your description"]
    if film.genres:
        parts.append(f"it is listed as {_quoted_list(film.genres[:3])}")
    if film.directors:
        parts.append(f"directed by {_quoted_list(film.directors[:2])}")
    return "; ".join(parts) + "."


def explain(request: ExplainRequest) -> Explanation:
    grounds = find_grounds(request)
    reasons = compose(request.film, grounds)
    return Explanation(
        movie_id=request.film.movie_id,
        query=request.query,
        text=" ".join(r.text for r in reasons),
        source=SOURCE,
        reasons=reasons,
        signals=grounds.signals,
    )
