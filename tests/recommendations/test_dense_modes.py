"""Dense search's three ways (RECSYS_DENSE_SEARCH) on the bundled catalogue, real Chroma: the
mapped files and Chroma's HNSW give the exact in-process results wherever the graph finds the
true nearest films (always, on a catalogue this small)."""

import numpy as np
import pytest

from recommendations import vector_store
from recommendations.search import dense
from recommendations.search.catalogue import Filters
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


@pytest.mark.parametrize("mode", ["mmap", "approximate"])
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


@pytest.mark.parametrize("mode", ["mmap", "approximate"])
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
    finally:
        vector_store.delete(vector_store.write_targets(), ids=[str(movie.pk)])


def test_auto_turns_approximate_at_the_switch_point(films, settings):
    settings.RECSYS_DENSE_SEARCH = "auto"
    count = len(films)
    settings.RECSYS_DENSE_APPROXIMATE_FROM = count + 1
    assert dense.dense_mode(count) == "exact"
    settings.RECSYS_DENSE_APPROXIMATE_FROM = count
    assert dense.dense_mode(count) == "approximate"
    reset_search_caches()
    assert retrieve(QUERIES[0]).dense.mode == "approximate"


def test_approximate_search_falls_back_to_words_when_chroma_stops_answering(films, settings):
    loaded = results("approximate", settings, QUERIES[0], Filters(), PipelineConfig()).dense

    def gone(query_vectors, k):
        raise ConnectionError("Chroma server gone")

    loaded.nearest = gone  # the index this process holds, until its next stamp check
    result = retrieve("a shark attacks swimmers at the beach")
    assert result.notices and not len(result.rankings["dense"])
    assert result.snapshot.ids[result.final[0]] == films["Jaws"].pk
