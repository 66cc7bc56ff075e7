"""The search pipeline and its selectors on a small real catalogue (real Chroma, real model)."""

import pytest

from recommendations.search.catalogue import Filters
from recommendations.selectors import movie_search, movie_similar
from tests.factories import MovieFactory
from tests.recommendations.conftest import reset_search_caches

pytestmark = pytest.mark.django_db


def titles(response, n=None):
    return [r.movie.title for r in response.results][:n]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("guy stranded alone on an island talks to a volleyball", "Cast Away"),
        ("crew robs casinos in las vegas", "Ocean's Eleven"),
        ("a shark kills swimmers at the beach", "Jaws"),
        ("weatherman lives the same day again and again", "Groundhog Day"),
        ("old man flies his house with balloons", "Up"),
        ("reality is a computer simulation", "The Matrix"),
    ],
)
def test_described_films_come_first(films, query, expected):
    assert titles(movie_search(query, top_k=3), 1) == [expected]


def test_every_result_carries_per_stage_ranks_and_evidence(films):
    response = movie_search("shark beach police chief", top_k=5)
    top = response.results[0]
    assert top.movie.title == "Jaws"
    assert top.stages["lexical"].rank == 1
    assert top.stages["dense"].rank is not None
    assert top.stages["fused"].rank == 1
    assert "shark" in top.matched["keywords"]


@pytest.mark.parametrize("query", ["shark beach police chief", "crew robs casinos in las vegas"])
def test_a_result_s_matched_words_are_the_query_s_tokens_in_each_field(films, query):
    from recommendations.search.catalogue import get_snapshot
    from recommendations.search.lexical import tokenize, tokens_in

    snapshot, tokens = get_snapshot(), set(tokenize(query))
    for result in movie_search(query, top_k=8).results:
        position = int((snapshot.ids == result.movie.pk).nonzero()[0][0])
        movie = result.movie
        fields = {
            "title": movie.title,
            "genres": " ".join(snapshot.genres_at[position]),
            "keywords": " ".join(snapshot.keywords_at[position]),
            "synopsis": f"{movie.tagline} {movie.synopsis}",
        }
        expected = {name: w for name, text in fields.items() if (w := tokens_in(text, tokens))}
        assert result.matched_in("keywords") == expected.get("keywords", [])
        assert list(result.matched.items()) == list(expected.items())  # fields in this order


def test_an_exact_title_ranks_first_even_when_the_words_say_little(films):
    assert titles(movie_search("up", top_k=3), 1) == ["Up"]
    assert titles(movie_search("Heat", top_k=3), 1) == ["Heat"]
    assert movie_search("heat", top_k=1).results[0].title_match


def test_a_named_person_puts_their_films_first(films):
    response = movie_search("tom hanks", top_k=5)
    assert set(titles(response, 3)) == {"Cast Away", "Toy Story", "The Terminal"}
    assert response.results[0].people == ["tom hanks"]
    # The person's films first, ordered by what else the query says.
    assert titles(movie_search("tom hanks airport", top_k=1)) == ["The Terminal"]


def test_filters_by_genre_kind_and_years(films):
    animated = movie_search("a family adventure", filters=Filters(genres=("Animation",)))
    assert animated.results
    assert all("Animation" in [g.name for g in r.movie.genres.all()] for r in animated.results)

    series = movie_search("crime", filters=Filters(kind="series"))
    assert titles(series, 1) == ["Breaking Bad"]
    assert {r.movie.kind for r in series.results} == {"series"}

    nineties = movie_search("crime thriller", filters=Filters(year_from=1990, year_to=1999))
    assert nineties.results and all(1990 <= r.movie.year <= 1999 for r in nineties.results)


def test_years_said_in_the_query_filter_too(films):
    response = movie_search("heist crew from the 90s")
    assert titles(response, 1) == ["Heat"]
    assert all(1990 <= r.movie.year <= 1999 for r in response.results)
    assert response.filters.year_from == 1990


def test_a_year_inside_a_long_story_is_not_taken_as_a_filter(films):
    story = (
        "I watched this on a rainy night back in the 90s with my brother and I still think "
        "about it: a crew of professional thieves plans one last bank job in a big city while "
        "a detective who cannot let go of the case closes in on them"
    )
    response = movie_search(story)
    assert response.filters.year_from is None and response.filters.year_to is None
    assert any(not 1990 <= (r.movie.year or 0) <= 1999 for r in response.results)


def test_paging_returns_the_next_results_without_repeats(films):
    first = movie_search("a film", filters=Filters(genres=("Drama",)), top_k=3)
    second = movie_search("a film", filters=Filters(genres=("Drama",)), top_k=3, offset=3)
    assert first.has_more and second.offset == 3
    assert not set(titles(first)) & set(titles(second))
    assert second.results[0].rank == 4


def test_a_ten_thousand_character_query_is_read_past_the_model_window(films):
    filler = "I watched lots of films as a kid and this one stuck with me. " * 150
    query = filler + " a shark attacking swimmers near a beach town"
    assert len(query) > 9000
    assert "Jaws" in titles(movie_search(query, top_k=3))


def test_browsing_without_a_query_lists_filtered_films(films):
    response = movie_search("", filters=Filters(kind="series"))
    assert set(titles(response)) == {"Breaking Bad", "Stranger Things"}


def test_similar_films_exclude_the_film_itself(films):
    response = movie_similar(films["Gravity"].pk, top_k=5)
    found = titles(response)
    assert "Gravity" not in found
    assert "The Martian" in found[:3]


def test_the_catalogue_is_followed_without_a_restart(films, fresh_stamps):
    assert "Sky Pirates" not in titles(movie_search("zeppelin pirates"))
    MovieFactory(title="Sky Pirates", year=1986, synopsis="Zeppelin pirates raid the clouds.")
    response = movie_search("zeppelin pirates", top_k=3)
    found = {r.movie.title: r for r in response.results}
    assert "Sky Pirates" in found  # by its words, before any vector exists for it
    assert found["Sky Pirates"].stages["lexical"].rank == 1


def test_without_chroma_search_falls_back_to_words_with_a_notice(films, settings):
    settings.RECSYS_CHROMA_URL = "http://127.0.0.1:9"  # discard port: nothing answers
    reset_search_caches()
    try:
        response = movie_search("shark beach", top_k=3)
    finally:
        settings.RECSYS_CHROMA_URL = ""
        reset_search_caches()
    assert titles(response, 1) == ["Jaws"]
    assert response.notices
    assert response.results[0].stages["dense"].rank is None


def test_with_chroma_down_a_search_asks_it_once_until_the_next_check(films, settings, monkeypatch):
    from recommendations.search import dense

    asked = []
    get_collection = dense.get_collection

    def counted(*args, **kwargs):
        asked.append(args)
        return get_collection(*args, **kwargs)

    monkeypatch.setattr(dense, "get_collection", counted)
    settings.RECSYS_CHROMA_URL = "http://127.0.0.1:9"  # discard port: nothing answers
    reset_search_caches()
    try:
        first = movie_search("shark beach", top_k=3)
        assert len(asked) == 1 and first.notices  # the result cache's stamp and the pipeline
        movie_search("swimmers", top_k=3)
        assert len(asked) == 1  # a second search before the next check: not asked again
        monkeypatch.setattr(dense, "STAMP_TTL", 0.0)  # the check is due
        movie_search("a shark at the beach", top_k=3)
        assert len(asked) > 1  # asked again
    finally:
        settings.RECSYS_CHROMA_URL = ""
        reset_search_caches()
    assert not movie_search("shark beach swimmers", top_k=3).notices  # back once it answers


def test_the_reranker_trains_on_the_pipelines_own_fused_candidates(films):
    from recommendations.embedding import film_text
    from recommendations.lab.reranker_data import RetrievedCandidates, db_films
    from recommendations.search.pipeline import run_pipeline

    query = "a shark kills swimmers at the beach"
    candidates = RetrievedCandidates(db_films())(query, 5)

    result = run_pipeline(query)
    fused = [int(result.snapshot.ids[p]) for p in result.rankings["fused"][:5]]
    assert [c.movie_id for c in candidates] == fused
    jaws = candidates[0]
    assert jaws.movie_id == films["Jaws"].pk
    assert jaws.text == film_text(films["Jaws"])
    assert jaws.vector is not None and abs(float(jaws.vector @ jaws.vector) - 1) < 1e-4


@pytest.mark.parametrize(
    ("query", "expected", "suggestion"),
    [
        ("godfahter", "The Godfather", "The Godfather"),
        ("jurasic park", "Jurassic Park", "Jurassic Park"),
        ("the silense of the lambs", "The Silence of the Lambs", "The Silence of the Lambs"),
        ("mad max fury raod", "Mad Max: Fury Road", "Mad Max: Fury Road"),
    ],
)
def test_a_misspelled_title_comes_first_and_is_offered_corrected(
    films, query, expected, suggestion
):
    response = movie_search(query, top_k=5)
    assert titles(response, 1) == [expected]
    assert response.results[0].title_match
    assert response.suggestion == suggestion


def test_a_misspelled_name_puts_that_persons_films_first(films):
    response = movie_search("tom hankss", top_k=5)
    assert set(titles(response, 3)) == {"Cast Away", "Toy Story", "The Terminal"}
    assert response.suggestion == "Tom Hanks"
    assert response.results[0].people == ["tom hanks"]


def test_exact_titles_and_plain_descriptions_offer_no_correction(films):
    assert movie_search("the godfather", top_k=3).suggestion == ""
    assert movie_search("tom hanks", top_k=3).suggestion == ""
    # Every word is one the catalogue knows: a description, not a misspelled title.
    response = movie_search("shark beach", top_k=3)
    assert response.suggestion == "" and titles(response, 1) == ["Jaws"]


def test_typo_tolerance_can_be_turned_off(films):
    from recommendations.search.pipeline import PipelineConfig, run_pipeline

    result = run_pipeline("godfahter", config=PipelineConfig(typo_tolerance=False))
    assert result.suggestion is None and not result.title_matches
    assert run_pipeline("godfahter").suggestion.label == "The Godfather"


def test_a_description_separates_strong_matches_from_loose_ones(films):
    response = movie_search("a shark kills swimmers at the beach", top_k=40)
    assert titles(response, 1) == ["Jaws"]
    assert 1 <= response.strong < response.total
    assert response.results[0].strong and not response.results[-1].strong
    flags = [r.strong for r in response.results]
    assert flags == sorted(flags, reverse=True)  # one group, then the other
    assert response.first_loose_rank == response.strong + 1


def test_title_and_person_matches_are_strong_and_browsing_is_all_strong(films):
    assert movie_search("jaws", top_k=3).results[0].strong
    person = movie_search("tom hanks", top_k=5)
    assert person.strong >= 3 and all(r.strong for r in person.results[:3])
    browse = movie_search("", filters=Filters(kind="series"))
    assert browse.strong == browse.total and browse.first_loose_rank == 0


def test_a_query_that_matches_nothing_well_has_no_strong_match(films):
    response = movie_search("qwzx blorf vrrt", top_k=5)
    assert response.results and response.strong == 0 and response.suggestion == ""
    assert not any(r.strong for r in response.results)


@pytest.mark.parametrize("compiled", [True, False])
def test_the_cards_films_are_the_films_the_orm_reads(films, compiled, monkeypatch):
    from movies.models import Movie
    from recommendations import selectors

    if not compiled:  # a backend whose IN the compiled query cannot take: the ORM's
        monkeypatch.setattr(selectors, "_films_query", lambda count: None)
    ids = [*Movie.objects.order_by("-pk").values_list("pk", flat=True)[:7], 10**9]
    ours, orms = selectors.films_by_id(ids + ids[:2]), Movie.objects.in_bulk(ids)

    assert ours.keys() == orms.keys() and 10**9 not in ours
    for pk, movie in orms.items():
        for field in Movie._meta.concrete_fields:
            assert getattr(ours[pk], field.attname) == getattr(movie, field.attname), field
        assert not ours[pk]._state.adding and ours[pk]._state.db == movie._state.db


@pytest.fixture
def gated_reranker(settings, tmp_path):
    """An active cross-encoder version (untrained: it keeps the fused order, with the fused
    prior) whose gate the test writes: which query lengths it reorders."""
    from recommendations.lab.reranker_training import new_model, save_artifact
    from recommendations.rerank.cost import COST_FILE, ServingCost, write_cost
    from recommendations.rerank.gate import RerankGate, write_gate
    from recommendations.rerank.serving import forget_active_reranker
    from tests.factories import registered_reranker

    settings.RECSYS_MODELS_DIR = tmp_path
    settings.RECSYS_RERANKER_RUNTIME = "tensorflow"
    directory = tmp_path / "reranker" / "gated"
    model = new_model(num_layers=1, prior="fused", prior_scale=1.0)
    save_artifact(model, directory, metrics={}, training={})
    forget_active_reranker()

    def serving(gate: RerankGate, cost: ServingCost | None = None) -> None:
        write_gate(directory, gate)
        (directory / COST_FILE).unlink(missing_ok=True)
        if cost is not None:
            write_cost(directory, cost)
        forget_active_reranker()

    registered_reranker("gated", activate=True)
    yield serving
    forget_active_reranker()


def test_the_cross_encoder_reorders_only_the_query_lengths_its_gate_serves(films, gated_reranker):
    from recommendations.rerank.gate import Band, RerankGate
    from recommendations.search.pipeline import run_pipeline

    short = "a shark kills swimmers at the beach"  # 7 words
    long = " ".join([short, "and the police chief wants to close the beaches before summer"])

    def band(low, high, serves):
        return Band(low, high, 30, 0.3, 0.33 if serves else 0.29, serves)

    gated_reranker(RerankGate((band(1, 13, True), band(13, None, False))))
    served = run_pipeline(short)
    assert served.scores["reranked"]  # it scored the head
    aside = run_pipeline(long)
    assert aside.scores["reranked"] == {}  # it stepped aside: the fused order, untouched
    assert aside.rankings["reranked"].tolist() == aside.rankings["fused"].tolist()

    gated_reranker(RerankGate((band(1, 13, False), band(13, None, False))))  # helped nowhere
    assert run_pipeline(short).scores["reranked"] == {}


def test_the_cross_encoder_reorders_as_many_candidates_as_its_version_chose(
    films, gated_reranker, settings
):
    from recommendations.rerank.cost import ServingCost, Setting
    from recommendations.rerank.gate import Band, RerankGate
    from recommendations.rerank.serving import active_reranker, forget_active_reranker
    from recommendations.search.pipeline import DEFAULT_CONFIG, run_pipeline

    query = "a shark kills swimmers at the beach"
    every_query = RerankGate((Band(1, None, 30, 0.3, 0.33, True),))
    gated_reranker(every_query)  # no serving cost recorded: as before
    before = run_pipeline(query)
    full_depth = min(DEFAULT_CONFIG.rerank_depth, len(before.rankings["fused"]))
    assert full_depth > 3 and len(before.scores["reranked"]) == full_depth
    assert active_reranker().serves_at().startswith("as trained")

    full = Setting(20, 108, 48)  # new_model's token lengths
    gated_reranker(every_query, ServingCost(chosen=Setting(3, 16, 8), full=full, margin=0.002))
    cheap = run_pipeline(query)
    head = cheap.rankings["fused"][:3].tolist()
    assert sorted(cheap.scores["reranked"]) == sorted(head)  # only its top 3 were scored
    assert cheap.rankings["reranked"][3:].tolist() == cheap.rankings["fused"][3:].tolist()
    reranker = active_reranker()
    long_text = "a shark " * 100
    assert reranker.encode(long_text, [long_text]).attention_mask.sum() == 8 + 16 + 3

    settings.RECSYS_RERANKER_COST = "full"  # measure what the choice saves
    forget_active_reranker()
    assert len(run_pipeline(query).scores["reranked"]) == full_depth
    assert active_reranker().encode(long_text, [long_text]).attention_mask.sum() == 48 + 108 + 3
