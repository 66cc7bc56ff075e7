"""Reads for search and recommendation: `movie_search` and `movie_similar` return films with
their scores, per-stage ranks and the evidence an explanation can cite."""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.db import connections

from movies.models import Movie
from recommendations.latency import search_latency_note
from recommendations.search.catalogue import CatalogueSnapshot, Filters, get_snapshot
from recommendations.search.dense import DenseUnavailable, get_dense_index
from recommendations.search.fusion import top_positions
from recommendations.search.lexical import tokenize, tokens_in
from recommendations.search.pipeline import (
    DEFAULT_CONFIG,
    DENSE_UNAVAILABLE,
    STAGES,
    PipelineResult,
    run_pipeline,
)
from recommendations.search.result_cache import results as cached_results
from recommendations.search.result_cache import search_key, search_stamp
from recommendations.similar import (
    WEIGHTS,
    Signals,
    SimilarWeights,
    similar_films,
    similar_reason,
    similar_scores_of,
)

MAX_TOP_K = 100


@dataclass(frozen=True)
class StageScore:
    rank: int | None
    score: float | None


EVIDENCE_FIELDS = ("title", "genres", "keywords", "synopsis")


class MatchedWords:
    """The query's words (tokenize's) found in each field of a result's film, each field read
    on first asking: a results page shows none of them, the "why" panels read the keywords'
    (explain.evidence), the API all four. Tokenizing every field of every card was a tenth
    of a results partial's CPU (docs/benchmarks.md, "round 5")."""

    __slots__ = ("_found", "_genres", "_keywords", "_movie", "_tokens")

    def __init__(
        self,
        movie: Movie,
        genres: tuple[str, ...],
        keywords: tuple[str, ...],
        tokens: frozenset[str],
    ) -> None:
        self._movie, self._genres, self._keywords, self._tokens = movie, genres, keywords, tokens
        self._found: dict[str, list[str]] = {}

    def _text(self, name: str) -> str:
        """The title's or the synopsis' text (genres and keywords are matched as names)."""
        if name == "title":
            return self._movie.title
        return f"{self._movie.tagline} {self._movie.synopsis}"

    def field(self, name: str) -> list[str]:
        """The query's words found in one of EVIDENCE_FIELDS, sorted."""
        if (words := self._found.get(name)) is None:
            if name in ("genres", "keywords"):  # the film's tokens kept (the "why" hand-off)
                words = _found_in_names(
                    self._tokens, self._genres if name == "genres" else self._keywords
                )
            else:
                words = tokens_in(self._text(name), self._tokens)
            # Shared by the threads a cached result reaches: the same words either way
            self._found[name] = words
        return words

    def all(self) -> dict[str, list[str]]:
        return {name: words for name in EVIDENCE_FIELDS if (words := self.field(name))}


def keywords_matching(movie_id: int, tokens: frozenset[str]) -> list[str]:
    """What MatchedWords.field("keywords") finds for a film of the current catalogue snapshot
    (none for a film not in it): the "why" panel's one film, matched when it is asked for
    (explain.evidence), not every film of every results page."""
    snapshot = get_snapshot()
    position = snapshot.positions_of(movie_id)
    if position < 0 or not tokens:
        return []
    return _found_in_names(tokens, snapshot.keywords_at[position])


def _found_in_names(tokens: frozenset[str], names: tuple[str, ...]) -> list[str]:
    """The query's tokens among a film's genre or keyword names' (tokens_in's words), sorted."""
    return sorted(tokens & _tokens_of_names(names))


@lru_cache(maxsize=4096)
def _tokens_of_names(names: tuple[str, ...]) -> frozenset[str]:
    """tokenize's tokens of a film's genre or keyword names, kept per process by the names
    (a film edited is a new key): tokens_in's words are the query's tokens among them, and
    every "why" panel asks for its film's keywords' (keywords_matching)."""
    return frozenset(tokenize(" ".join(names)))


@dataclass
class SearchResult:
    movie: Movie
    rank: int  # 1-based, in the final order
    score: float  # the final stage's score (reranked, else fused, else lexical)
    stages: dict[str, StageScore]
    genres: tuple[str, ...] = ()  # from the catalogue snapshot, by name
    title_match: bool = False
    people: list[str] = field(default_factory=list)  # people the query names, in this film
    strong: bool = True  # a strong match, not one "loosely related" (PipelineConfig)
    reason: str = ""  # why it is there, in words ("more like this": "Same director: ...")
    like: str = ""  # the title of the film the query names, which this one is most like
    like_person: str = ""  # ... or of the person it names: `like` is their film it is nearest
    # The query's words in the film's fields, read when asked (a search's results only)
    matches: MatchedWords | None = field(default=None, repr=False, compare=False)

    @property
    def matched(self) -> dict[str, list[str]]:
        """Field -> the query's words found there (EVIDENCE_FIELDS, those with any)."""
        return self.matches.all() if self.matches is not None else {}

    def matched_in(self, name: str) -> list[str]:
        return self.matches.field(name) if self.matches is not None else []


@dataclass
class SearchResponse:
    query: str
    filters: Filters
    results: list[SearchResult]
    total: int
    offset: int
    top_k: int
    notices: list[str] = field(default_factory=list)
    took_ms: float = 0.0
    query_vector: np.ndarray | None = None  # the dense stage's (first chunk); None without it
    strong: int = 0  # how many of all `total` films, from the first, are strong matches
    # The query as corrected ("The Godfather" for "godfahter"), when it seems misspelled
    suggestion: str = ""
    stamp: tuple = ()  # the catalogue snapshot's it was ranked in
    from_cache: bool = False  # a repeat, answered by recommendations.search.result_cache
    # What requests did once for this ranking, shared with its cached copies: "evidence" once
    # the search page handed its evidence to the "why this?" panels
    done: set[str] = field(default_factory=set, repr=False, compare=False)
    # tokenize's tokens of the query, those MatchedWords look for (a search's results only)
    query_tokens: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    # The title of the film the query names ("Jurassic Park" for "jurasic park"), when the
    # films after the best matches are the ones most like it rather than loosely related
    like_title: str = ""
    # ... or the name of the person it names, when they are the ones most like their films
    like_person: str = ""

    @property
    def like_label(self) -> str:
        """What the films after the best matches are like, in words; "" where they are not."""
        if self.like_person:
            return f"the films of {self.like_person}"
        return f"“{self.like_title}”" if self.like_title else ""

    @property
    def loose(self) -> int:
        return self.total - self.strong

    @property
    def first_loose_rank(self) -> int:
        """The rank before which the page says where loosely related films begin; 0 where no
        such line belongs (all strong, or none)."""
        return self.strong + 1 if 0 < self.strong < self.total else 0

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.results) < self.total

    @property
    def next_offset(self) -> int:
        return self.offset + len(self.results)


class FilmCache:
    """The films this process read for cards, kept while the catalogue snapshot they were read
    in is current (its stamp changes with any film saved, added or deleted, checked as often
    as the snapshot is: catalogue.STAMP_TTL), up to settings.RECSYS_FILM_CACHE_SIZE, least
    recently shown first out. A new search's cards are mostly films shown before (56% of 6,000
    cards over 300 distinct tomt-dev queries on TMDB 5000): they skip the query and the ORM.
    The films are shared between requests as the result cache shares them: read-only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._films: OrderedDict[int, Movie] = OrderedDict()
        self._stamp: tuple | None = None

    def films(self, stamp: tuple, movie_ids: list[int]) -> dict[int, Movie]:
        size = settings.RECSYS_FILM_CACHE_SIZE
        if size <= 0:
            return films_by_id(movie_ids)
        with self._lock:
            if stamp != self._stamp:
                self._films.clear()
                self._stamp = stamp
            found = {i: self._films[i] for i in movie_ids if i in self._films}
            for movie_id in found:
                self._films.move_to_end(movie_id)
        if missing := [i for i in movie_ids if i not in found]:
            read = films_by_id(missing)
            with self._lock:
                if stamp == self._stamp:
                    self._films.update(read)
                    while len(self._films) > size:
                        self._films.popitem(last=False)
            found.update(read)
        return found

    def clear(self) -> None:
        with self._lock:
            self._films.clear()
            self._stamp = None


film_cache = FilmCache()


def _films_in_order(snapshot: CatalogueSnapshot, positions: list[int]) -> list[tuple[int, Movie]]:
    """(position, film) pairs in the given order, films deleted since the snapshot left out.
    At most one query (films shown before come from film_cache): genres and keywords come from
    the snapshot."""
    by_id = film_cache.films(snapshot.stamp, [int(snapshot.ids[p]) for p in positions])
    found = ((p, by_id.get(int(snapshot.ids[p]))) for p in positions)
    return [(p, movie) for p, movie in found if movie is not None]


@lru_cache(maxsize=MAX_TOP_K)
def _films_query(count: int) -> tuple[str, dict] | None:
    """`Movie.objects.filter(pk__in=<count ids>)` as SQL and the converters of its columns
    (JSON, dates), compiled once per count: building the query costs Django three times what
    the database takes to answer it. None where the SQL takes other parameters than the ids,
    one each, in order (a backend that writes IN otherwise): the ORM then."""
    stand_ins = list(range(-count, 0))  # distinct ids, as a query's ids are made
    query = Movie.objects.filter(pk__in=stand_ins).order_by().query  # as in_bulk: unsorted
    compiler = query.get_compiler(Movie.objects.db)
    sql, params = compiler.as_sql()
    if list(params) != stand_ins:
        return None
    return sql, compiler.get_converters([column[0] for column in compiler.select])


def films_by_id(movie_ids: list[int]) -> dict[int, Movie]:
    """`Movie.objects.in_bulk(movie_ids)`: the same films, whole, for a third of its CPU."""
    ids = list(dict.fromkeys(movie_ids))
    if not ids:
        return {}
    if (compiled := _films_query(len(ids))) is None:
        return Movie.objects.in_bulk(ids)
    sql, converters = compiled
    database = Movie.objects.db
    connection = connections[database]
    names = [f.attname for f in Movie._meta.concrete_fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        rows = [list(row) for row in cursor.fetchall()]
    for row in rows:
        for position, (functions, expression) in converters.items():
            for convert in functions:
                row[position] = convert(row[position], expression, connection)
    films = [Movie.from_db(database, names, row) for row in rows]
    return {movie.pk: movie for movie in films}


def _final_score(result: PipelineResult, position: int) -> float:
    for stage in ("reranked", "fused", "lexical", "dense"):
        if (score := result.scores.get(stage, {}).get(position)) is not None:
            return float(score)
    return float(result.snapshot.popularity[position])


def movie_search(
    query: str, *, filters: Filters | None = None, top_k: int = 20, offset: int = 0
) -> SearchResponse:
    """Films for a plain-language query, best first, `top_k` from `offset`. A repeated search
    is answered from recommendations.search.result_cache while nothing it depends on changed."""
    started = time.perf_counter()
    top_k = max(1, min(top_k, MAX_TOP_K))
    offset = max(0, offset)
    filters = filters or Filters()
    stamp = search_stamp(get_snapshot())
    key = search_key(query, filters, top_k, offset)
    if (cached := cached_results.get(stamp, key)) is not None:
        took_ms = (time.perf_counter() - started) * 1000
        response = replace(cached, took_ms=took_ms, from_cache=True)
    else:
        response = _search(query, filters, top_k, offset)
        if response.stamp == stamp[0]:
            cached_results.put(stamp, key, response)
        response.took_ms = (time.perf_counter() - started) * 1000
    # The admin dashboard's: a list append; a cache hit is counted apart
    search_latency_note(response.took_ms, from_cache=response.from_cache)
    return response


@dataclass
class _LikeNamedFilms:
    """The films most like the one a query names, or like one of the films of the person it
    names, as their "More like this" ranks them."""

    sources: list[tuple[int, str, Signals]]  # each film compared with: position, title, signals
    scores: np.ndarray  # by catalogue position: the best blend over the sources
    closest: np.ndarray  # by catalogue position: the source that gave it
    person: str = ""  # the person's name, where the query names one

    def like(self, position: int) -> str:
        return self.sources[int(self.closest[position])][1]

    def reason(self, snapshot: CatalogueSnapshot, position: int) -> str:
        source, title, signals = self.sources[int(self.closest[position])]
        return similar_reason(snapshot, signals, source, position, title)


def _like_named_films(result: PipelineResult) -> _LikeNamedFilms | None:
    """For a query that is a title (or misspells one), or names one person: the films after
    its matches become the ones most like the film it names, or like one of the person's first
    films, as many as the pipeline would list, within the filters. A title's or a name's words
    say nothing of what else to show: "jurasic park" found Park Chan-wook's films, "stanley
    kubrik" A Streetcar Named Desire (Stanley Kowalski). `result.final` is reordered; None
    (and no change) for any other query."""
    named = (result.named_film,) if result.named_film is not None else result.named_person_films
    if not named:
        return None
    snapshot = result.snapshot
    movie_ids = [int(snapshot.ids[p]) for p in named]
    titles = dict(Movie.objects.filter(pk__in=movie_ids).values_list("pk", "title"))
    compared = [
        (position, titles.get(movie_id, ""), *found)
        for position, movie_id, found in zip(
            named, movie_ids, similar_scores_of(snapshot, result.dense, movie_ids), strict=True
        )
        if found is not None
    ]
    if not compared:
        return None
    table = np.stack([scores for *_, scores in compared])
    closest, scores = np.argmax(table, axis=0), table.max(axis=0)
    lead = result.final[: len(result.title_matches | result.person_matches)]
    scores[lead] = -np.inf
    count = max(len(result.final) - len(lead), DEFAULT_CONFIG.depth)
    rest = top_positions(scores, count, result.mask)
    result.final = np.concatenate([lead, rest]).astype(np.int64)
    result.strong = len(lead)  # the rest are not ranked by the query's fit any more
    labels = snapshot.names.person_labels  # as the catalogue spells each name
    person = labels.get(result.people[0], "") if result.named_person_films else ""
    sources = [(position, title, signals) for position, title, signals, _ in compared]
    return _LikeNamedFilms(sources, scores, closest, person)


def _search(query: str, filters: Filters, top_k: int, offset: int) -> SearchResponse:
    result = run_pipeline(query, filters=filters)
    like = _like_named_films(result)
    snapshot = result.snapshot
    films = _films_in_order(snapshot, result.final[offset : offset + top_k].tolist())
    query_tokens = frozenset(result.tokens)
    people = set(result.people)
    results = []
    matched = result.title_matches | result.person_matches
    for rank, (position, movie) in enumerate(films, start=offset + 1):
        liked = like is not None and position not in matched
        results.append(
            SearchResult(
                movie=movie,
                rank=rank,
                score=float(like.scores[position]) if liked else _final_score(result, position),
                stages={
                    stage: StageScore(
                        result.rank_of(stage, position),
                        result.scores.get(stage, {}).get(position),
                    )
                    for stage in STAGES
                },
                genres=snapshot.genres_at[position],
                title_match=position in result.title_matches,
                people=sorted(people) if position in result.person_matches else [],
                strong=rank <= result.strong,
                reason=like.reason(snapshot, position) if liked else "",
                like=like.like(position) if liked else "",
                like_person=like.person if liked else "",
                matches=MatchedWords(
                    movie,
                    snapshot.genres_at[position],
                    snapshot.keywords_at[position],
                    query_tokens,
                ),
            )
        )
    return SearchResponse(
        query=result.respelling.typed if result.respelling else result.parsed.text,
        filters=result.filters,
        results=results,
        total=len(result.final),
        offset=offset,
        top_k=top_k,
        notices=result.notices,
        query_vector=None if result.query_vectors is None else result.query_vectors[0],
        strong=min(result.strong, len(result.final)),
        suggestion=_suggestion(result),
        stamp=snapshot.stamp,
        query_tokens=query_tokens,
        like_title=like.sources[0][1] if like is not None and not like.person else "",
        like_person=like.person if like is not None else "",
    )


def _suggestion(result: PipelineResult) -> str:
    """What "Did you mean" offers: the title or name a short query misspells, else the query
    with its misspelled words as search read them."""
    if result.suggestion is not None:
        return result.suggestion.label
    return result.respelling.text if result.respelling is not None else ""


@dataclass
class SimilarResponse:
    movie_id: int
    results: list[SearchResult]
    notices: list[str] = field(default_factory=list)


def movie_similar(
    movie_id: int, *, top_k: int = 12, weights: SimilarWeights = WEIGHTS
) -> SimilarResponse:
    """The films most like this one, itself excluded: content, co-liking and credits blended
    (recommendations/similar.py). Without the vector store, films sharing credits, keywords,
    genres or viewers, with a notice."""
    top_k = max(1, min(top_k, MAX_TOP_K))
    snapshot = get_snapshot()
    notices: list[str] = []
    try:
        dense = get_dense_index(snapshot)
    except DenseUnavailable:
        dense = None
        notices.append(DENSE_UNAVAILABLE)
    found = similar_films(snapshot, dense, movie_id, top_k=top_k, weights=weights)
    by_position = {f.position: f for f in found}
    films = _films_in_order(snapshot, [f.position for f in found])
    return SimilarResponse(
        movie_id,
        [
            SearchResult(
                movie=m,
                rank=rank,
                score=by_position[p].score,
                stages={"similar": StageScore(rank, by_position[p].score)}
                | {name: StageScore(None, v) for name, v in by_position[p].signals.items()},
                genres=snapshot.genres_at[p],
                reason=by_position[p].reason,
            )
            for rank, (p, m) in enumerate(films, start=1)
        ],
        notices,
    )
