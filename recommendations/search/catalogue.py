"""An in-memory snapshot of the catalogue for search: ids, years, kinds, genres, exact-title
and person lookups, the names that typo-tolerant lookups scan, and the lexical index. Built
from the database once per process and rebuilt when the catalogue changes, detected by a cheap
version stamp (count, latest updated_at) checked at most every STAMP_TTL seconds."""

import threading
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.db.models import Max

from movies.models import Credit, Movie
from movies.text import normalize_title, reads_as_person_name
from recommendations.search.fuzzy import CUTOFF, FuzzyMatch, NameIndex, could_be_a_name
from recommendations.search.lexical import LexicalIndex, build_lexical_index, tokenize
from recommendations.search.surnames import Surnames

STAMP_TTL = 2.0


@dataclass(frozen=True)
class Filters:
    genres: tuple[str, ...] = ()  # any of these (case-insensitive names)
    kind: str | None = None
    year_from: int | None = None
    year_to: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.genres or self.kind or self.year_from or self.year_to)


@dataclass
class CatalogueSnapshot:
    stamp: tuple
    ids: np.ndarray  # movie pks, int64; position = row in every per-film array
    years: np.ndarray  # int16, 0 when unknown
    popularity: np.ndarray  # float32, 0 when unknown: the order of a browse without a query
    vote_counts: np.ndarray  # float32, 0 when unknown (a feature of the learned fusion)
    kinds: np.ndarray  # "film" / "series"
    genre_names: list[str]
    genre_masks: dict[str, np.ndarray]  # lower-cased genre name -> bool per film
    # Each film's genre and keyword names, by position: result cards and their evidence read
    # them here instead of two prefetch queries a page (docs/benchmarks.md).
    genres_at: list[tuple[str, ...]]
    keywords_at: list[tuple[str, ...]]
    titles: dict[str, list[int]]  # normalized title -> positions
    people: dict[str, list[int]]  # normalized person name -> positions
    person_name_lengths: frozenset[int]  # word counts of the names, for n-gram lookup
    lexical: LexicalIndex
    names: NameIndex  # the same titles and names, with their spellings, for typo tolerance
    surnames: Surnames  # the people a surname alone names

    @property
    def size(self) -> int:
        return len(self.ids)

    def positions(self, movie_ids: np.ndarray) -> np.ndarray:
        """Positions of movie pks in this snapshot, -1 where absent."""
        index = np.searchsorted(self.ids, movie_ids)
        index = np.clip(index, 0, max(len(self.ids) - 1, 0))
        found = len(self.ids) > 0 and self.ids[index] == movie_ids
        return np.where(found, index, -1)

    def positions_of(self, movie_id: int) -> int:
        return int(self.positions(np.array([movie_id], dtype=np.int64))[0])

    def mask(self, filters: Filters) -> np.ndarray | None:
        """Bool per film passing the filters, or None when no filter is set."""
        if not filters.active:
            return None
        keep = np.ones(self.size, dtype=bool)
        if filters.genres:
            any_genre = np.zeros(self.size, dtype=bool)
            for name in filters.genres:
                if (genre := self.genre_masks.get(name.lower())) is not None:
                    any_genre |= genre
            keep &= any_genre
        if filters.kind:
            keep &= self.kinds == filters.kind
        if filters.year_from:
            keep &= self.years >= filters.year_from
        if filters.year_to:
            keep &= (self.years <= filters.year_to) & (self.years > 0)
        return keep

    def title_matches(self, normalized: str) -> list[int]:
        return self.titles.get(normalized, [])

    def person_matches(self, normalized_query: str) -> tuple[list[str], list[int]]:
        """Full person names said in the query (2+ words), and the positions of their films."""
        words = normalized_query.split()
        names: list[str] = []
        positions: list[int] = []
        for length in sorted(self.person_name_lengths, reverse=True):
            for start in range(len(words) - length + 1):
                name = " ".join(words[start : start + length])
                if name in self.people and name not in names:
                    names.append(name)
                    positions.extend(self.people[name])
        return names, list(dict.fromkeys(positions))

    def person_by_surname(self, tokens: list[str]) -> str:
        """The person a query of a surname alone names ("kubrick", "films by kubrick"), where
        the catalogue reads that surname as a name (`_reads_as_name`); "" otherwise."""
        name = self.surnames.named(tokens)
        return name if name and self._reads_as_name(name, tokens[-1]) else ""

    def _reads_as_name(self, name: str, word: str) -> bool:
        """Whether `word`, the last of a surname of `name`, is that person's name more than a
        word: in no title or keywords, and at least half the films whose text holds it are
        the person's ("grant" is Cary Grant's in fewer: a word of synopses as often)."""
        lexical = self.lexical
        if lexical.has_word("title", word) or lexical.has_word("keywords", word):
            return False
        with_word = lexical.films_with("body", word)
        return 2 * int(np.isin(with_word, self.people[name]).sum()) >= len(with_word)

    def closest_name(self, normalized_query: str) -> FuzzyMatch | None:
        """The title or person name a short query seems to misspell (recommendations.search
        .fuzzy), or, for a word the catalogue does not know, the surname it misspells
        ("spielburg") where that is nearer; a query of words the catalogue knows has to be
        nearly exact."""
        if not could_be_a_name(normalized_query):  # before tokenizing a long story
            return None
        unknown = not self.lexical.knows_all(tokenize(normalized_query))
        match = self.names.closest(normalized_query, has_unknown_word=unknown)
        surname = self._misspelled_surname(normalized_query) if unknown else None
        # "herzgo": Werner Herzog (83) before the title "Hero" (80)
        if surname is not None and (match is None or surname.score > match.score):
            return surname
        return match

    def _misspelled_surname(self, normalized_query: str) -> FuzzyMatch | None:
        """The person whose surname the query misspells, where that surname reads as a name
        and no other word of the catalogue is spelled as near: "thriler" is "thriller"
        misspelled, not Lars von Trier, "batle" "battle", not Christian Bale."""
        if (found := self.surnames.closest(normalized_query, CUTOFF)) is None:
            return None
        name, surname, score = found
        if not self._reads_as_name(name, tokenize(surname)[-1]):
            return None
        besides = set(tokenize(name))
        if self.lexical.has_nearer_word(normalized_query, score, besides=besides, or_as_near=True):
            return None
        positions = tuple(dict.fromkeys(self.people[name]))
        return FuzzyMatch("person", self.names.person_labels[name], score, positions)


def catalogue_stamp() -> tuple:
    # Three queries, not one: SQLite answers a lone MAX() from its index, several aggregates in
    # one SELECT by scanning the table (20 ms at 34k films against under 3 ms).
    movies = Movie.objects.all()
    return (
        movies.count(),
        movies.aggregate(at=Max("updated_at"))["at"],
        movies.aggregate(top=Max("id"))["top"],
    )


def build_snapshot(stamp: tuple) -> CatalogueSnapshot:
    rows = list(
        Movie.objects.order_by("pk").values_list(
            "pk",
            "title",
            "normalized_title",
            "year",
            "kind",
            "synopsis",
            "tagline",
            "popularity",
            "vote_count",
        )
    )
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    position = {pk: i for i, pk in enumerate(ids.tolist())}

    genres: dict[int, list[str]] = defaultdict(list)
    genre_links = Movie.genres.through.objects.order_by("movie_id", "genre__name")
    for movie_id, name in genre_links.values_list("movie_id", "genre__name"):
        genres[movie_id].append(name)
    keywords: dict[int, list[str]] = defaultdict(list)
    keyword_links = Movie.keywords.through.objects.order_by("movie_id", "keyword__name")
    for movie_id, name in keyword_links.values_list("movie_id", "keyword__name"):
        keywords[movie_id].append(name)
    people_by_movie: dict[int, list[str]] = defaultdict(list)
    people: dict[str, list[int]] = defaultdict(list)
    person_labels: dict[str, str] = {}
    for movie_id, name in Credit.objects.values_list("movie_id", "person__name"):
        people_by_movie[movie_id].append(name)
        # A name said whole in a query puts that person's films first: not a parser's
        # leftover that a description can say ("the history of", movies.text)
        if (
            movie_id in position
            and len(key := normalize_title(name).split()) >= 2
            and reads_as_person_name(name)
        ):
            people[" ".join(key)].append(position[movie_id])
            person_labels.setdefault(" ".join(key), name)

    genre_masks: dict[str, np.ndarray] = {}
    for movie_id, names in genres.items():
        for name in names:
            mask = genre_masks.setdefault(name.lower(), np.zeros(len(ids), dtype=bool))
            mask[position[movie_id]] = True
    titles: dict[str, list[int]] = defaultdict(list)
    title_labels: dict[str, str] = {}
    for i, r in enumerate(rows):
        titles[r[2]].append(i)
        title_labels.setdefault(r[2], r[1])

    lexical = build_lexical_index(
        titles=[r[1] for r in rows],
        keywords=[" ".join(genres[r[0]] + keywords[r[0]]) for r in rows],
        bodies=[" ".join((r[6], r[5], " ".join(people_by_movie[r[0]]))) for r in rows],
    )
    return CatalogueSnapshot(
        stamp=stamp,
        ids=ids,
        years=np.array([r[3] or 0 for r in rows], dtype=np.int16),
        popularity=np.array([r[7] or 0.0 for r in rows], dtype=np.float32),
        vote_counts=np.array([r[8] or 0 for r in rows], dtype=np.float32),
        kinds=np.array([r[4] for r in rows]),
        genre_names=sorted({n for names in genres.values() for n in names}),
        genre_masks=genre_masks,
        genres_at=[tuple(genres[r[0]]) for r in rows],
        keywords_at=[tuple(keywords[r[0]]) for r in rows],
        titles=dict(titles),
        people=dict(people),
        person_name_lengths=frozenset(len(n.split()) for n in people),
        lexical=lexical,
        names=NameIndex(dict(titles), title_labels, dict(people), person_labels),
        surnames=Surnames.of(people),
    )


class _SnapshotCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: CatalogueSnapshot | None = None
        self._checked_at = 0.0

    def get(self) -> CatalogueSnapshot:
        now = time.monotonic()
        if self._snapshot is not None and now - self._checked_at < STAMP_TTL:
            return self._snapshot
        with self._lock:
            stamp = catalogue_stamp()
            if self._snapshot is None or self._snapshot.stamp != stamp:
                self._snapshot = build_snapshot(stamp)
            self._checked_at = time.monotonic()
            return self._snapshot

    def clear(self) -> None:
        with self._lock:
            self._snapshot = None


_cache = _SnapshotCache()
get_snapshot = _cache.get
clear_snapshot = _cache.clear


def films_of_closest_name(term: str) -> tuple[str, list[int]] | None:
    """The title or person name that `term` seems to misspell, as the catalogue spells it, and
    the pks of its films; None when it looks like no misspelling. For searches outside the
    pipeline (the admin's)."""
    snapshot = get_snapshot()
    match = snapshot.closest_name(normalize_title(term))
    if match is None:
        return None
    return match.label, [int(snapshot.ids[p]) for p in match.positions]
