"""The search pipeline: query understanding -> lexical (BM25) + dense candidates -> fusion
(weighted z-scores) -> rerank by the active cross-encoder, if any -> exact title and person
matches first (else, for a short query, the title or name it seems to misspell).

`retrieve` runs the first stages alone (no model beyond the query encoder is loaded): the
lab mines training data from it. `run_pipeline` is what a search request runs. Works on
catalogue positions; the selectors turn positions into films."""

import logging
from dataclasses import dataclass, field, replace

import numpy as np

from movies.text import normalize_title
from recommendations.embedding import MODEL_ID
from recommendations.rerank.base import Candidate
from recommendations.rerank.serving import active_reranker
from recommendations.search.catalogue import CatalogueSnapshot, Filters, get_snapshot
from recommendations.search.dense import (
    DenseIndex,
    DenseUnavailable,
    encode_query,
    get_dense_index,
)
from recommendations.search.expansion import keyword_meanings, moved_towards, without_framing
from recommendations.search.fusion import top_positions, weighted_zscore
from recommendations.search.fuzzy import FuzzyMatch, could_be_a_name
from recommendations.search.learned_fusion import (
    CandidateTable,
    FusionModel,
    active_fusion,
    candidate_table,
)
from recommendations.search.lexical import FieldWeights, tokenize, weighted_sum
from recommendations.search.query import ParsedQuery, names_a_genre, parse_query, split_chunks
from recommendations.search.spelling import Respelling, respelled

logger = logging.getLogger(__name__)

STAGES = ("dense", "lexical", "fused", "reranked")
DENSE_UNAVAILABLE = (
    "Meaning-based search is unavailable right now, so these results match your words only."
)


@dataclass(frozen=True)
class PipelineConfig:
    """Tuned on half of tomt-dev (docs/benchmarks.md); `manage.py evaluate` reports it."""

    depth: int = 200  # candidates each retriever hands to fusion
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    # Fused candidates the active cross-encoder reorders, at most: its version may choose
    # fewer (rerank/cost.py)
    rerank_depth: int = 20
    synopsis_weight: float = 0.3  # weight of the synopsis view's cosine in the dense score
    years_from_text: bool = True  # "from the 90s" in the query filters by year ...
    # ... in a query this short; in a long story "I saw it in the 90s" is not the film's year
    years_max_words: int = 30
    # Without an exact title or name, a short query that misspells one puts its films first
    # (recommendations.search.fuzzy); off to measure what it costs.
    typo_tolerance: bool = True
    # "Best matches": the films a title or name picked, and those whose fused score is at
    # least strong_ratio x the top one's and strong_floor (standard
    # deviations above the candidates, summed over the lists): a vague query has many, a
    # precise one few, a query that matches nothing well none. The rest are "loosely related".
    strong_ratio: float = 0.6
    strong_floor: float = 2.5
    # ... and which matched something outright: a word of the query, or a dense score (cosine
    # + synopsis_weight x the synopsis view's) this high; z-scores alone always crown a few
    # films, even for "qwzx blorf"
    strong_dense: float = 0.4
    # The active learned fusion (search.learned_fusion) orders the fused stage of the queries
    # it serves, and sets the hand-set fusion's weights for the others (its
    # short_query_weights, when recorded: they replace dense_weight and lexical_weight);
    # off: the hand-set z-score fusion at these weights for every query (the lab mines so).
    learned_fusion: bool = True
    # With the pretrained model, the dense stage reads the query without "film" and "movie",
    # and moves it towards the films tagged with each word the model cannot read (split into
    # pieces), by this weight, where at least keyword_min_films films are (search.expansion;
    # chosen on tomt-dev's validation queries). 0 / False: off.
    dense_drops_framing: bool = True
    keyword_meaning_weight: float = 0.5
    keyword_min_films: int = 3
    # A word no field of the catalogue holds, of respell_min_chars letters or more, is read as
    # its nearest word there, respell_cutoff % of its letters kept (search.spelling): "zombi
    # apocalypse". Off: read as typed.
    respell_words: bool = True
    respell_min_chars: int = 5
    respell_cutoff: float = 80.0
    respell_min_films: int = 1  # a word held by fewer films is no correction
    # A longer description is read as typed: its other words carry it, and a rare word misread
    # costs more there ("plummets" as "plummer"). None: any length.
    respell_max_words: int | None = 15
    # BM25 field weights: a title word matters little in a described plot (exact titles are
    # matched apart, first)
    fields: FieldWeights = field(default_factory=lambda: FieldWeights(title=0.1))


DEFAULT_CONFIG = PipelineConfig()
# How many of a named person's films the films after theirs are compared with (their first,
# in the search's order): each comparison is a "More like this" (two matrix-vector products)
NAMED_PERSON_FILMS = 3
NO_FILTERS = Filters()


@dataclass
class PipelineResult:
    parsed: ParsedQuery
    filters: Filters
    snapshot: CatalogueSnapshot
    rankings: dict[str, np.ndarray]  # stage -> positions, best first
    scores: dict[str, dict[int, float]]  # stage -> position -> that stage's score
    final: np.ndarray  # positions, best first
    title_matches: set[int] = field(default_factory=set)
    person_matches: set[int] = field(default_factory=set)
    people: list[str] = field(default_factory=list)
    # The title or name the query seems to misspell, whose films lead: "Did you mean …"
    suggestion: FuzzyMatch | None = None
    respelling: Respelling | None = None  # the words read otherwise than typed, if any
    # The film a query that is (or misspells) a title names, the first of title_matches: the
    # films after the matches are then the ones most like it (recommendations.selectors)
    named_film: int | None = None
    # ... and for a query that names one person (or misspells one), the first of their films
    # (up to NAMED_PERSON_FILMS): the films after theirs are the ones most like one of these
    named_person_films: tuple[int, ...] = ()
    tokens: list[str] = field(default_factory=list)  # lexical.tokenize's, of parsed.text
    strong: int = 0  # how many films, from the top of `final`, are strong matches
    notices: list[str] = field(default_factory=list)
    dense: DenseIndex | None = None
    query_vectors: np.ndarray | None = None  # one per query chunk, when the dense stage ran
    mask: np.ndarray | None = None  # catalogue positions the filters keep; None: all
    # Every film's score per list, each BM25 field's, and each list's candidates at the
    # depth the learned fusion reads (>= config.depth): what its features are made of.
    full_scores: dict[str, np.ndarray] = field(default_factory=dict)
    lexical_fields: dict[str, np.ndarray] = field(default_factory=dict)
    deep: dict[str, np.ndarray] = field(default_factory=dict)

    def rank_of(self, stage: str, position: int) -> int | None:
        """A position's rank (from 1) in a stage's ranking; None where it is not in it. Each
        stage's ranks are made once, an array by position (a page asks for each of its films'
        rank in each stage; a ranking can hold the whole catalogue)."""
        ranks = self.__dict__.setdefault("_ranks", {})
        if (by_position := ranks.get(stage)) is None:
            ranking = self.rankings[stage]
            by_position = np.zeros(int(ranking.max()) + 1 if len(ranking) else 0, dtype=np.int64)
            by_position[ranking] = np.arange(1, len(ranking) + 1)
            ranks[stage] = by_position
        if not 0 <= position < len(by_position):
            return None
        return int(by_position[position]) or None


def effective_filters(
    filters: Filters, parsed: ParsedQuery, max_words: int = DEFAULT_CONFIG.years_max_words
) -> Filters:
    """Years a short query says in words ("from the 90s") apply unless the form sets years."""
    if filters.year_from or filters.year_to or not parsed.has_years:
        return filters
    if len(parsed.text.split()) > max_words:
        return filters
    return replace(filters, year_from=parsed.year_from, year_to=parsed.year_to)


def _scores_of(ranking: np.ndarray, scores: np.ndarray) -> dict[int, float]:
    return dict(zip(ranking.tolist(), scores[ranking].tolist(), strict=True))


def _may_respell(text: str, config: PipelineConfig) -> bool:
    limit = config.respell_max_words
    return config.respell_words and (limit is None or len(text.split()) <= limit)


def retrieve(
    query: str,
    *,
    filters: Filters = NO_FILTERS,
    config: PipelineConfig = DEFAULT_CONFIG,
) -> PipelineResult:
    """The first stages: the query parsed, lexical and dense candidates, fused. `final` is the
    fused order (for an empty query, the filtered catalogue by popularity)."""
    parsed = parse_query(query)
    snapshot = get_snapshot()
    tokens = tokenize(parsed.text)
    respelling = None
    if _may_respell(parsed.text, config) and not snapshot.lexical.knows_all(tokens):
        respelling = respelled(
            parsed.text,
            snapshot.lexical,
            min_chars=config.respell_min_chars,
            cutoff=config.respell_cutoff,
            min_films=config.respell_min_films,
        )
    if respelling is not None:
        parsed = replace(parsed, text=respelling.text, chunks=split_chunks(respelling.text))
        tokens = tokenize(parsed.text)
    if config.years_from_text:
        filters = effective_filters(filters, parsed, config.years_max_words)
    mask = snapshot.mask(filters)
    result = PipelineResult(
        parsed, filters, snapshot, {s: np.zeros(0, np.int64) for s in STAGES}, {}, np.zeros(0)
    )
    result.mask = mask
    result.respelling = respelling
    if not parsed.text:
        browse = np.where(mask, snapshot.popularity, -np.inf) if mask is not None else None
        result.final = top_positions(browse, snapshot.size) if browse is not None else result.final
        result.strong = len(result.final)  # each passes the filters: nothing to tell apart
        return result

    active = active_fusion() if config.learned_fusion else None
    learned = active if active is not None and active.serves(parsed) else None
    # The learned fusion may read deeper lists than the stages hand on.
    depth = max(config.depth, learned.depth) if learned else config.depth
    deep = result.deep

    result.tokens = tokens
    lexical_fields = snapshot.lexical.field_scores(tokens, config.fields)
    lexical_all = weighted_sum(lexical_fields, config.fields, snapshot.size)
    lexical = np.where(lexical_all > 0, lexical_all, -np.inf)
    full_scores = result.full_scores = {"lexical": lexical_all}
    result.lexical_fields = lexical_fields
    deep["lexical"] = top_positions(lexical, depth, mask)
    result.rankings["lexical"] = deep["lexical"][: config.depth]
    result.scores["lexical"] = _scores_of(result.rankings["lexical"], lexical)

    try:
        result.dense = get_dense_index(snapshot)
        # Chosen for the pretrained model: a fine-tuned retriever learnt its queries as asked
        pretrained = result.dense.model == MODEL_ID
        chunks = parsed.chunks
        if pretrained and config.dense_drops_framing:
            chunks = without_framing(chunks)
        result.query_vectors = encode_query(chunks, result.dense.model)
        meaning = None
        if pretrained and config.keyword_meaning_weight:
            meaning = keyword_meanings(snapshot, result.dense, tokens, config.keyword_min_films)
        dense = full_scores["dense"] = result.dense.position_scores(
            moved_towards(result.query_vectors, meaning, config.keyword_meaning_weight),
            snapshot.size,
            synopsis_weight=config.synopsis_weight,
            depth=depth,
            mask=mask,
            also=deep["lexical"],  # fusion reads their dense scores: exact in every mode
        )
        deep["dense"] = top_positions(dense, depth, mask)
        result.rankings["dense"] = deep["dense"][: config.depth]
        result.scores["dense"] = _scores_of(result.rankings["dense"], dense)
    except DenseUnavailable as error:
        logger.warning("dense search unavailable: %s", error)
        result.notices.append(DENSE_UNAVAILABLE)

    weights = _hand_set_weights(config, active if learned is None else None, result)
    lists = {"dense": result.rankings["dense"], "lexical": result.rankings["lexical"]}
    fused, fused_scores = weighted_zscore(full_scores, lists, weights)
    result.rankings["fused"] = fused
    result.scores["fused"] = dict(zip(fused.tolist(), fused_scores.tolist(), strict=True))
    if learned is not None and result.dense is not None:
        _learned_fusion(result, learned)
    result.final = result.rankings["fused"]
    return result


def _hand_set_weights(
    config: PipelineConfig, stepped_aside: FusionModel | None, result: PipelineResult
) -> dict[str, float]:
    """The hand-set fusion's weights: the config's, or, for a query the active learned fusion
    does not serve (`stepped_aside`), the ones that version chose for such queries on
    validation (recommendations.lab.fusion_training.choose_short_query_weights)."""
    chosen = stepped_aside.short_query_weights if stepped_aside is not None else None
    if chosen is None or result.dense is None:
        return {"dense": config.dense_weight, "lexical": config.lexical_weight}
    return {"dense": chosen[0], "lexical": chosen[1]}


def candidates_of(result: PipelineResult, depth: int) -> CandidateTable:
    """What the learned fusion reads of a retrieved query's candidates, each list's top
    `depth` (at most the depth retrieve ran at). Needs the dense stage."""
    return candidate_table(
        depth=depth,
        rankings=result.deep,
        full_scores=result.full_scores,
        lexical_fields=result.lexical_fields,
        snapshot=result.snapshot,
        parsed=result.parsed,
        dense=result.dense,
        query_vectors=result.query_vectors,
    )


def _learned_fusion(result: PipelineResult, model: FusionModel) -> None:
    """The fused stage ordered by the learned model. Its scores stay the hand-set fusion's
    (sums of z-scores at the model's depth): what "best matches" and the cross-encoder's
    prior are calibrated on."""
    positions, _, zsum = model.rank(candidates_of(result, model.depth))
    result.rankings["fused"] = positions
    result.scores["fused"] = dict(zip(positions.tolist(), zsum.tolist(), strict=True))


def run_pipeline(
    query: str,
    *,
    filters: Filters = NO_FILTERS,
    config: PipelineConfig = DEFAULT_CONFIG,
) -> PipelineResult:
    """A search: retrieve, rerank, exact matches first."""
    result = retrieve(query, filters=filters, config=config)
    if not result.parsed.text:
        return result
    reranked = _rerank(result, config)
    result.rankings["reranked"] = reranked
    result.final = _exact_matches_first(result, reranked, result.mask, config)
    result.strong = _strong_count(result, config)
    return result


def _strong_count(result: PipelineResult, config: PipelineConfig) -> int:
    """How many films lead as strong matches: those a title or name picked, then as many as
    pass the score cut-off. Counted, not reordered: the final order stays the pipeline's."""
    picked = result.title_matches | result.person_matches
    fused = result.scores.get("fused") or {}
    if not fused:
        return len(picked)
    top = max(fused.values())
    cut = max(config.strong_ratio * top, config.strong_floor)
    if top <= 0 or top < cut:
        return len(picked)
    lexical, dense = result.scores.get("lexical") or {}, result.scores.get("dense") or {}
    return len(picked) + sum(
        1
        for p, score in fused.items()
        if score >= cut
        and p not in picked
        and (p in lexical or dense.get(p, -np.inf) >= config.strong_dense)
    )


def _rerank(result: PipelineResult, config: PipelineConfig) -> np.ndarray:
    """The fused list with its head reordered by the active cross-encoder; unchanged without
    one, or where its gate (rerank/gate.py: the query lengths it helped on validation) has it
    step aside. The head is as deep as its version's serving cost says (rerank/cost.py; the
    config's rerank_depth at most). Its score already blends in the fused score
    (rerank/cross_encoder.py: the prior)."""
    fused = result.rankings["fused"]
    result.scores["reranked"] = {}
    if not len(fused) or result.dense is None:
        return fused
    reranker = active_reranker()
    if reranker is None or not reranker.gate.serves(len(result.parsed.text.split())):
        return fused  # none active, or one that did not help queries of this length
    depth = reranker.rerank_depth(config.rerank_depth)  # its version's serving cost, if any
    head, tail = fused[:depth], fused[depth:]
    candidates = [
        Candidate(
            movie_id=int(movie_id),
            text=text,
            vector=result.dense.vector_of(int(movie_id)),
            stage_scores={"fused": result.scores["fused"][int(p)]},
        )
        for movie_id, p, text in zip(
            result.snapshot.ids[head], head, _film_texts(result.snapshot.ids[head]), strict=True
        )
    ]
    rerank_scores = np.asarray(reranker.score(result.parsed.text, candidates), dtype=np.float32)
    result.scores["reranked"] = dict(zip(head.tolist(), rerank_scores.tolist(), strict=True))
    return np.concatenate([head[np.argsort(-rerank_scores, kind="stable")], tail])


def _film_texts(movie_ids: np.ndarray) -> list[str]:
    from recommendations.embedding import film_texts

    texts = film_texts([int(i) for i in movie_ids])
    return [texts[int(i)] for i in movie_ids]


def _named_by_surname(result: PipelineResult) -> str:
    """The person a short query names by surname, from its words as typed: a misspelled
    surname is a correction, offered as one (CatalogueSnapshot.closest_name)."""
    if not could_be_a_name(result.parsed.normalized):
        return ""
    typed = result.tokens if result.respelling is None else tokenize(result.respelling.typed)
    return result.snapshot.person_by_surname(typed)


def _exact_matches_first(
    result: PipelineResult, ranking: np.ndarray, mask: np.ndarray | None, config: PipelineConfig
) -> np.ndarray:
    """Films whose title is the whole query (or a quoted phrase) first, then films of a person
    the query names (in full, or by a surname alone), each group in pipeline order, then
    everything else. Without either, the films of the title or name a short query misspells
    take their place."""
    snapshot, parsed = result.snapshot, result.parsed
    titles = list(snapshot.title_matches(parsed.normalized))
    whole_query_titles = bool(titles)
    for phrase in parsed.quoted:
        titles += snapshot.title_matches(phrase)
    result.people, people = snapshot.person_matches(parsed.normalized)
    if not titles and not people and (name := _named_by_surname(result)):
        result.people, people = [name], list(dict.fromkeys(snapshot.people[name]))
    suggestion = None
    if not titles and not people and config.typo_tolerance:
        suggestion = result.suggestion = snapshot.closest_name(parsed.normalized)
    if suggestion is not None and suggestion.kind == "title":
        titles = list(suggestion.positions)
        whole_query_titles = True
    elif suggestion is not None:
        people = list(suggestion.positions)
        result.people = [normalize_title(suggestion.label)]
    if mask is not None:
        titles = [p for p in titles if mask[p]]
        people = [p for p in people if mask[p]]
    result.title_matches, result.person_matches = set(titles), set(people)
    if not titles and not people:
        return ranking
    order = {p: r for r, p in enumerate(ranking.tolist())}
    last = len(order)
    first = sorted(set(titles), key=lambda p: order.get(p, last))
    second = sorted(set(people) - set(titles), key=lambda p: order.get(p, last))
    if not names_a_genre(parsed.normalized):
        if whole_query_titles and first and not second:
            result.named_film = first[0]
        elif second and not first and len(result.people) == 1:
            result.named_person_films = tuple(second[:NAMED_PERSON_FILMS])
    boosted = set(first) | set(second)
    rest = [p for p in ranking.tolist() if p not in boosted]
    return np.array(first + second + rest, dtype=np.int64)
