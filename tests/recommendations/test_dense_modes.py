"""Dense search's five ways (RECSYS_DENSE_SEARCH) on the bundled catalogue, real Chroma: the
mapped files, Chroma's HNSW and the binary and int8 codes' shortlists give the exact in-process
results wherever the graph or the shortlist holds the true nearest films."""

import numpy as np
import pytest

from recommendations import vector_store
from recommendations.search import dense
from recommendations.search.catalogue import Filters
from recommendations.search.fusion import top_positions
from recommendations.search.pipeline import PipelineConfig, retrieve
from tests.factories import MovieFactory
from tests.recommendations.catalogue_fixtures import index_inline
from tests.recommendations.conftest import reset_search_caches

pytestmark = pytest.mark.django_db

QUERIES = [
    "a shark attacks swimmers at the beach",
    "thieves plan one last bank robbery in los angeles",
    "a man stuck in an airport",
    "robots and computers simulate the world",
    "a toy cowboy is jealous of a space ranger",
]
FILTERS = [Filters(), Filters(genres=("Horror",)), Filters(year_from=1990, year_to=1999)]


def results(mode: str, settings, query: str, filters: Filters, config: PipelineConfig):
    settings.RECSYS_DENSE_SEARCH = mode
    reset_search_caches()
    result = retrieve(query, filters=filters, config=config)
    assert result.dense is not None and result.dense.mode == mode
    return result


@pytest.mark.parametrize("mode", ["mmap", "approximate", "binary", "int8"])
@pytest.mark.parametrize("depth", [200, 20])
def test_the_alternatives_rank_and_score_as_exact_does(films, settings, monkeypatch, mode, depth):
    monkeypatch.setattr(dense, "OVERFETCH", 1)  # at depth 20, HNSW finds 20 films of the 30 ...
    # ... ranked by the film vector alone: the synopsis view's share, which only the exact
    # rescoring adds, could bring in a 21st (bench/dense_scale.py measures that recall)
    config = PipelineConfig(depth=depth, synopsis_weight=0.3 if depth == 200 else 0.0)
    for query in QUERIES:
        for filters in FILTERS:
            exact = results("exact", settings, query, filters, config)
            other = results(mode, settings, query, filters, config)
            for stage in ("dense", "fused"):
                assert other.rankings[stage].tolist() == exact.rankings[stage].tolist()
                assert other.scores[stage] == pytest.approx(exact.scores[stage], abs=1e-5)


def test_a_broad_filter_takes_hnsw_candidates_and_keeps_only_what_passes(
    films, settings, monkeypatch
):
    monkeypatch.setattr(dense, "EXACT_SUBSET", 0)  # no filter is narrow enough to score alone
    monkeypatch.setattr(dense, "MIN_LIST_FOR_OWN_STATS", 0)
    config = PipelineConfig(depth=5, synopsis_weight=0.0)  # HNSW: 19 of the 30 films
    filters = Filters(year_from=1990, year_to=2009)
    exact = results("exact", settings, "a lonely survivor on an island", filters, config)
    approximate = results(
        "approximate", settings, "a lonely survivor on an island", filters, config
    )
    assert approximate.rankings["dense"].tolist() == exact.rankings["dense"].tolist()
    years = approximate.snapshot.years[approximate.rankings["dense"]]
    assert len(years) == 5 and ((years >= 1990) & (years <= 2009)).all()


def test_the_mapped_files_are_written_once_and_mapped_by_the_next_process(
    films, settings, monkeypatch
):
    first = results("mmap", settings, QUERIES[0], Filters(), PipelineConfig()).dense
    assert isinstance(first.vectors, np.memmap)
    assert first.directory.parent == settings.RECSYS_DATA_DIR / "dense"
    blend = first._blends[PipelineConfig().synopsis_weight]
    assert isinstance(blend, np.memmap)  # the blend is a file too, not private memory

    def no_chroma_read(collection):
        raise AssertionError("the files exist: nothing to read from Chroma")

    monkeypatch.setattr(dense, "_read_vectors", no_chroma_read)
    dense.clear_dense_index()  # as a fresh worker
    second = retrieve(QUERIES[0]).dense
    assert second.directory == first.directory
    assert np.array_equal(second.vectors, first.vectors)


@pytest.mark.parametrize("mode", ["mmap", "approximate", "int8"])
def test_a_reindex_is_picked_up(films, settings, fresh_stamps, mode):
    old = results(mode, settings, "zeppelin pirates raid the clouds", Filters(), PipelineConfig())
    movie = MovieFactory(
        title="Sky Pirates", year=1986, synopsis="Zeppelin pirates raid the clouds."
    )
    try:
        index_inline([movie.pk])
        new = retrieve("zeppelin pirates raid the clouds")
        assert new.dense.directory != old.dense.directory
        assert not old.dense.directory.exists()  # swept: only the current files are kept
        top = new.rankings["dense"][0]
        assert new.snapshot.ids[top] == movie.pk
        if mode == "int8":  # the new film's codes: in the new files, which it tops
            assert new.dense.int8_codes(0.3).codes.shape == (384, len(films) + 1)
            assert list(new.dense.directory.glob("int8-*.npy"))
    finally:
        vector_store.delete(vector_store.write_targets(), ids=[str(movie.pk)])


def test_auto_turns_int8_then_approximate_at_the_switch_points_and_never_binary(films, settings):
    settings.RECSYS_DENSE_SEARCH = "auto"
    settings.RECSYS_DENSE_INT8_FROM = 20_000
    settings.RECSYS_DENSE_APPROXIMATE_FROM = 50_000
    assert {dense.dense_mode(n) for n in (10, 5_000, 19_999)} == {"exact"}
    assert {dense.dense_mode(n) for n in (20_000, 36_248, 49_999)} == {"int8"}
    assert dense.dense_mode(50_000) == "approximate"
    count = len(films)
    settings.RECSYS_DENSE_INT8_FROM = count + 1
    assert dense.dense_mode(count) == "exact"
    settings.RECSYS_DENSE_INT8_FROM = count
    reset_search_caches()
    assert retrieve(QUERIES[0]).dense.mode == "int8"
    settings.RECSYS_DENSE_APPROXIMATE_FROM = count  # approximate first, where both apply
    assert dense.dense_mode(count) == "approximate"
    reset_search_caches()
    assert retrieve(QUERIES[0]).dense.mode == "approximate"


# --- Binary codes: a Hamming shortlist, rescored exactly ----------------------------------


def test_hamming_distance_counts_the_dimensions_whose_signs_differ():
    rng = np.random.default_rng(0)
    films = rng.standard_normal((50, 384)).astype(np.float32)
    query = rng.standard_normal((2, 384)).astype(np.float32)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dense, "CENTRE_CODES", False)
        distance = dense.hamming(dense.film_codes(films), dense.sign_codes(query))
    differ = ((films[None, :, :] > 0) != (query[:, None, :] > 0)).sum(axis=2)
    assert distance.tolist() == differ.min(axis=0).tolist()  # each film's nearer chunk


def test_centred_codes_sign_each_row_less_the_mean_row():
    rng = np.random.default_rng(1)
    films = rng.standard_normal((40, 100)).astype(np.float32) + 0.5  # off centre, odd width
    codes = dense.film_codes(films)  # CENTRE_CODES: the default
    assert codes.shape == (2, 40)
    query = rng.standard_normal((1, 100)).astype(np.float32)
    differ = ((films - films.mean(axis=0) > 0) != (query > 0)).sum(axis=1)
    assert dense.hamming(codes, dense.sign_codes(query)).tolist() == differ.tolist()


def _short_shortlist(monkeypatch) -> PipelineConfig:
    """A shortlist of 20 of the 30 films by sign bits, 10 by int8 codes (depth 20): the codes
    must hold the true top."""
    monkeypatch.setattr(dense, "SHORTLIST", 1)
    monkeypatch.setattr(dense, "INT8_SHORTLIST", 0.5)
    return PipelineConfig(depth=20, synopsis_weight=0.3)


SHORTLISTED = {"binary": 20, "int8": 10}


@pytest.mark.parametrize("mode", ["binary", "int8"])
def test_the_shortlist_holds_the_exact_top_on_real_vectors(films, settings, monkeypatch, mode):
    config = _short_shortlist(monkeypatch)
    for query in QUERIES:
        for filters in FILTERS:
            exact = results("exact", settings, query, filters, config)
            other = results(mode, settings, query, filters, config)
            if not filters.active:  # 20 or 10 films shortlisted of the 30
                shortlist = other.dense._shortlist_rows(other.query_vectors, 0.3, 20, None)
                assert len(shortlist) == SHORTLISTED[mode]
            head = exact.rankings["dense"][:5].tolist()
            assert other.rankings["dense"][:5].tolist() == head
            assert [other.scores["dense"][p] for p in head] == pytest.approx(
                [exact.scores["dense"][p] for p in head], abs=1e-5
            )
            # The same five films fused first. Their order may differ at a near tie: here the
            # dense list is the 10 or 20 films shortlisted, exact's all 20, and fusion scales
            # each list by its own spread (at serving depth the lists are the same films).
            fused = set(other.rankings["fused"][:5].tolist())
            assert fused == set(exact.rankings["fused"][:5].tolist())
    if mode == "binary":
        codes = other.dense.codes(config.synopsis_weight)
        assert codes.shape == (6, len(films))  # 384 bits a film, in a file of the mapped store
        assert list(other.dense.directory.glob("codes-*.npy"))
    else:
        codes = other.dense.int8_codes(config.synopsis_weight).codes
        assert codes.shape == (384, len(films)) and codes.dtype == np.int8
        assert isinstance(codes, np.memmap)  # a byte a dimension, a file of the mapped store


@pytest.mark.parametrize("mode", ["binary", "int8"])
def test_a_broad_filter_shortlists_only_films_that_pass(films, settings, monkeypatch, mode):
    monkeypatch.setattr(dense, "EXACT_SUBSET", 0)  # no filter is narrow enough to score alone
    monkeypatch.setattr(dense, "MIN_LIST_FOR_OWN_STATS", 0)
    monkeypatch.setattr(dense, "SHORTLIST", 3)
    monkeypatch.setattr(dense, "INT8_SHORTLIST", 3)
    config = PipelineConfig(depth=5, synopsis_weight=0.3)  # a shortlist of 15 films
    filters = Filters(year_from=1990, year_to=2009)
    query = "a lonely survivor on an island"
    exact = results("exact", settings, query, filters, config)
    other = results(mode, settings, query, filters, config)
    assert other.rankings["dense"].tolist() == exact.rankings["dense"].tolist()
    shortlist = other.dense._shortlist_rows(other.query_vectors, 0.3, 5, other.mask)
    assert len(shortlist) == 15 < int(other.mask.sum())  # ... of the more that pass
    years = other.snapshot.years[other.dense.positions[shortlist]]
    assert ((years >= 1990) & (years <= 2009)).all()


@pytest.mark.parametrize("mode", ["binary", "int8"])
def test_shortlists_pool_several_query_chunks_by_their_nearest(films, settings, monkeypatch, mode):
    _short_shortlist(monkeypatch)
    settings.RECSYS_DENSE_SEARCH = mode
    reset_search_caches()
    index = dense.get_dense_index(retrieve(QUERIES[0]).snapshot)
    exact = dense.DenseIndex((), index.ids, index.vectors, index.positions, index.synopses)
    chunks = dense.encode_query(
        ("a shark attacks swimmers at the beach", "a toy cowboy is jealous of a space ranger"),
        index.model,
    )
    size = len(index.ids)
    top = {}
    for name, each in (("exact", exact), (mode, index)):
        scores = each.position_scores(chunks, size, synopsis_weight=0.3, depth=20)
        top[name] = top_positions(scores, 5).tolist()
    assert top[mode] == top["exact"]
    found = set(index.ids[np.array(top[mode][:2])].tolist())
    assert found == {films["Jaws"].pk, films["Toy Story"].pk}


@pytest.mark.parametrize("mode", ["approximate", "binary", "int8"])
def test_fusion_reads_exact_dense_scores_for_the_lexical_list_in_every_mode(
    films, settings, monkeypatch, mode
):
    config = _short_shortlist(monkeypatch)
    monkeypatch.setattr(dense, "OVERFETCH", 1)  # HNSW: 20 films of the 30
    query = "a toy cowboy is jealous of a space ranger"  # words in a few films' texts
    exact = results("exact", settings, query, Filters(), config)
    other = results(mode, settings, query, Filters(), config)
    lexical = exact.deep["lexical"]
    scored = np.isfinite(other.full_scores["dense"])
    assert len(lexical) and scored.sum() < len(films)  # a shortlist, not every film ...
    assert other.full_scores["dense"][lexical] == pytest.approx(
        exact.full_scores["dense"][lexical], abs=1e-5
    )  # ... and the lexical list's films, scored exactly


# --- int8 codes: an integer product for the shortlist -----------------------------------------


def test_the_int8_product_is_the_exact_integer_product():
    """Every film code, query codes to +-QUERY_LEVELS: no int16 sum saturates (query codes
    past that came out wrong on this machine's AVX2 without VNNI)."""
    rng = np.random.default_rng(2)
    codes = rng.integers(-127, 128, size=(384, 300), dtype=np.int8)
    codes[:, :2] = [[127, -127]]  # the extremes, against query codes at both ends
    levels = dense.QUERY_LEVELS
    query_codes = rng.integers(-levels, levels + 1, size=(3, 384), dtype=np.int8)
    query_codes[0], query_codes[1] = levels, -levels
    expected = query_codes.astype(np.int32) @ codes.astype(np.int32)
    product = dense.int8_product(dense.int8_session(codes), query_codes)
    assert np.array_equal(product, expected)


@pytest.mark.parametrize("scale", ["film", "dimension"])
def test_int8_codes_score_close_to_the_exact_cosine(scale):
    rng = np.random.default_rng(3)
    films = rng.standard_normal((500, 384)).astype(np.float32) + 0.3  # off centre
    films /= np.linalg.norm(films, axis=1, keepdims=True)
    query = rng.standard_normal((2, 384)).astype(np.float32)
    query /= np.linalg.norm(query, axis=1, keepdims=True)
    codes = dense.Int8Codes.of(films, scale)
    exact = (films @ query.T).max(axis=1)  # each film's nearer chunk
    approximate = codes.scores(query)
    assert np.abs(approximate - exact).max() < 0.01
    assert np.corrcoef(approximate, exact)[0, 1] > 0.999
    unit = np.zeros((1, 384), dtype=np.float32)
    unit[0, 7] = 1.0  # one dimension: the codes give back each film's component
    assert codes.scores(unit) == pytest.approx(films[:, 7], abs=0.01)


def test_the_int8_files_are_written_once_and_mapped_by_the_next_process(
    films, settings, monkeypatch
):
    first = results("int8", settings, QUERIES[0], Filters(), PipelineConfig()).dense
    written = first.int8_codes(0.3)
    assert isinstance(written.codes, np.memmap)

    def no_rewrite(*args, **kwargs):
        raise AssertionError("the codes exist: nothing to write")

    monkeypatch.setattr(dense, "fill_int8_codes", no_rewrite)
    monkeypatch.setattr(dense, "int8_scales", no_rewrite)
    dense.clear_dense_index()  # as a fresh worker
    second = retrieve(QUERIES[0]).dense
    assert second.directory == first.directory
    mapped = second.int8_codes(0.3)
    assert np.array_equal(mapped.codes, written.codes)
    assert np.array_equal(mapped.scales, written.scales)


def test_approximate_search_falls_back_to_words_when_chroma_stops_answering(films, settings):
    loaded = results("approximate", settings, QUERIES[0], Filters(), PipelineConfig()).dense

    def gone(query_vectors, k):
        raise ConnectionError("Chroma server gone")

    loaded.nearest = gone  # the index this process holds, until its next stamp check
    result = retrieve("a shark attacks swimmers at the beach")
    assert result.notices and not len(result.rankings["dense"])
    assert result.snapshot.ids[result.final[0]] == films["Jaws"].pk
