"""The index sync services against a real Chroma server, batches run in this process."""

import numpy as np
import pytest

from jobs.models import Job
from jobs.selectors import job_rate_and_eta
from movies.models import Movie
from recommendations import embedding, query_encoder
from recommendations.embedding import film_text, text_hash
from recommendations.explain.facts import FilmFacts
from recommendations.explain.selectors import explanation_for, facts_queryset
from recommendations.indexing import services
from recommendations.query_encoder import encode_queries

pytestmark = pytest.mark.django_db


def stored(chroma, movie_ids, collection=None):
    collection = collection or chroma.get_collection()
    got = collection.get(ids=[str(i) for i in movie_ids], include=["metadatas", "embeddings"])
    return {
        int(i): (meta, np.asarray(vec))
        for i, meta, vec in zip(got["ids"], got["metadatas"], got["embeddings"], strict=True)
    }


def test_sync_indexes_every_film_with_its_metadata_and_check_agrees(chroma, catalogue, run_inline):
    job = run_inline(services.index_sync)

    assert (job.kind, job.status, job.total, job.done, job.failed) == (
        "sync",
        "succeeded",
        12,
        12,
        0,
    )
    vectors = stored(chroma, [m.pk for m in catalogue])
    movie = Movie.objects.get(pk=catalogue[3].pk)
    meta, vector = vectors[movie.pk]
    assert meta == {
        "movie_id": movie.pk,
        "year": movie.year,
        "kind": "film",
        "hash": text_hash(film_text(movie)),
    }
    np.testing.assert_allclose(vector, embedding.encode([film_text(movie)])[0], atol=1e-5)
    assert movie.index_state == "indexed" and movie.indexed_hash == meta["hash"]
    assert movie.indexed_model == embedding.index_fingerprint()
    assert services.index_check().ok


def test_a_sync_job_counts_films_a_second_for_its_page(chroma, catalogue, run_inline):
    job = run_inline(services.index_sync)
    assert job.phase == "embedding 12 films" and job.phase_started_at is not None
    rate, _ = job_rate_and_eta(job)
    assert job.done == 12 and rate is not None and rate > 0


def test_films_are_searchable_without_sentence_vectors_kept_ones_go_with_their_text(
    chroma, catalogue, run_inline
):
    """Indexing embeds a film's text and synopsis only; the sentences an explanation quotes
    are encoded on its first explanation and kept until its text changes."""
    film = Movie.objects.get(pk=catalogue[4].pk)
    sentences = FilmFacts.from_movie(film).sentences
    run_inline(services.index_sync)
    assert str(film.pk) in chroma.get_collection().get(ids=[str(film.pk)])["ids"]
    assert chroma.sentence_vectors_of(film.pk, sentences) == {}

    explanation_for(movie=facts_queryset().get(pk=film.pk), query="a story of two friends")
    kept = chroma.sentence_vectors_of(film.pk, sentences)
    assert sorted(kept) == sorted(sentences) and sentences
    # Encoded as the queries they are compared with are (the query encoder's precision: int8
    # per token where `auto` picks it), each within int8's distance of torch's fp32 vector.
    np.testing.assert_allclose(kept[sentences[0]], encode_queries(sentences[:1])[0], atol=1e-5)
    fp32 = embedding.encode(sentences[:1])[0]
    assert float(kept[sentences[0]] @ fp32) >= query_encoder.INT8_MIN_COSINE

    film.synopsis = "A lighthouse keeper befriends a shipwrecked octopus."
    film.save()
    run_inline(services.index_sync, movie_ids=[film.pk])
    assert chroma.sentence_vectors_of(film.pk, sentences) == {}
    assert not chroma.sentence_collection(chroma.get_collection()).get(where={"movie_id": film.pk})[
        "ids"
    ]  # none left behind under the film's old text


def test_a_film_explained_again_in_this_process_reads_its_sentence_vectors_from_memory(
    chroma, catalogue, run_inline, monkeypatch
):
    """The store is read (and written) once per film and text in a process; a new text is
    read again."""
    film = Movie.objects.get(pk=catalogue[4].pk)
    run_inline(services.index_sync)
    reads = []
    read = chroma.sentence_vectors_of
    monkeypatch.setattr(
        chroma, "sentence_vectors_of", lambda *a, **k: reads.append(1) or read(*a, **k)
    )

    first = explanation_for(movie=facts_queryset().get(pk=film.pk), query="two friends")
    again = explanation_for(movie=facts_queryset().get(pk=film.pk), query="a falling out")
    assert len(reads) == 1 and first.text and again.text

    film.synopsis = "A lighthouse keeper befriends a shipwrecked octopus. They sail away."
    film.save()
    retold = explanation_for(movie=facts_queryset().get(pk=film.pk), query="an octopus at sea")
    assert len(reads) == 2 and "octopus" in retold.text.lower()


def test_a_second_sync_with_nothing_changed_embeds_nothing(chroma, catalogue, run_inline):
    run_inline(services.index_sync)
    assert run_inline(services.index_sync) is None
    assert Job.objects.count() == 1


def test_a_plain_sync_restores_a_vector_lost_from_chroma(chroma, catalogue, run_inline):
    run_inline(services.index_sync)
    lost = catalogue[7].pk
    chroma.get_collection().delete(ids=[str(lost)])
    assert services.index_check().missing == [lost]

    job = run_inline(services.index_sync)

    assert job.total == 1
    assert stored(chroma, [lost])[lost][0]["hash"] == Movie.objects.get(pk=lost).indexed_hash
    assert services.index_check().ok


def test_an_edit_re_embeds_only_that_film(chroma, catalogue, run_inline):
    run_inline(services.index_sync)
    before = stored(chroma, [m.pk for m in catalogue])
    edited = catalogue[5]
    edited.synopsis = "A lighthouse keeper befriends a whale during a winter storm."
    edited.save()

    report = services.index_check()
    assert report.stale == [edited.pk]
    job = run_inline(services.index_sync, movie_ids=[edited.pk])

    assert job.total == 1
    after = stored(chroma, [m.pk for m in catalogue])
    changed = [pk for pk in before if not np.allclose(before[pk][1], after[pk][1])]
    assert changed == [edited.pk]
    assert services.index_check().ok


def test_a_deleted_film_leaves_the_index(chroma, catalogue, run_inline):
    run_inline(services.index_sync)
    gone = catalogue[0].pk
    Movie.objects.filter(pk=gone).delete()
    assert services.index_check().extra == [str(gone)]

    run_inline(services.index_sync, movie_ids=[gone])

    assert stored(chroma, [gone]) == {}
    assert services.index_check().ok


def test_a_redelivered_batch_counts_once(chroma, catalogue, run_inline):
    batches = []
    job = services.index_reembed(movie_ids=[m.pk for m in catalogue], dispatch=batches.append)
    for batch in batches + batches:  # every task delivered twice
        services.index_batch(batch=batch)
    job.refresh_from_db()

    assert (job.status, job.total, job.done, job.failed) == ("succeeded", 12, 12, 0)


def test_rebuild_fills_a_shadow_collection_and_swaps_it_in(chroma, catalogue, run_inline, settings):
    settings.RECSYS_INDEX_BATCH_SIZE = 4
    run_inline(services.index_sync)
    old_live = chroma.read_pointer().live
    batches = []
    job = services.index_rebuild(dispatch=batches.append)
    shadow = job.params["collection"]

    # Mid-rebuild: search still reads the complete old index; an edit reaches both.
    services.index_batch(batch=batches[0])
    assert chroma.get_collection().name == old_live
    assert chroma.get_collection().count() == 12
    edited = Movie.objects.exclude(pk__in=batches[0].movie_ids).first()
    edited.synopsis = "Edited while the index was being rebuilt."
    edited.save()
    run_inline(services.index_sync, movie_ids=[edited.pk])
    for batch in batches[1:]:
        services.index_batch(batch=batch)
    job.refresh_from_db()

    assert job.status == "succeeded"
    assert chroma.read_pointer().live == shadow
    assert chroma.get_collection().name == shadow
    assert services.index_check().ok
    services.index_sweep(dispatch=lambda batch: None)
    names = {c.name for c in chroma.get_client().list_collections()}
    assert old_live not in names


def test_a_new_text_recipe_triggers_a_rebuild(chroma, catalogue, run_inline, monkeypatch):
    run_inline(services.index_sync)
    monkeypatch.setattr(embedding, "TEXT_VERSION", "test-next")

    batches = []
    result = services.index_sweep(dispatch=batches.append)
    for batch in batches:
        services.index_batch(batch=batch)
    job = Job.objects.get(pk=result["rebuild"])

    assert job.kind == Job.Kind.REBUILD and job.status == "succeeded"
    live = chroma.get_collection()
    assert live.metadata["fingerprint"].endswith("test-next")
    assert services.index_check().ok


def test_a_newer_rebuild_supersedes_an_older_one_and_the_sweep_clears_orphans(
    chroma, catalogue, run_inline, settings
):
    settings.RECSYS_INDEX_BATCH_SIZE = 6
    first_batches, second_batches = [], []
    first = services.index_rebuild(dispatch=first_batches.append)
    services.index_batch(batch=first_batches[0])
    second = services.index_rebuild(dispatch=second_batches.append)

    for batch in first_batches[1:] + second_batches:
        services.index_batch(batch=batch)
    first.refresh_from_db()
    second.refresh_from_db()

    assert first.status == "failed" and "superseded" in first.log
    assert second.status == "succeeded"
    assert chroma.read_pointer().live == second.params["collection"]
    assert services.index_check().ok

    orphan = chroma.shadow_begin()  # a rebuild whose job never ran
    services.index_sweep(dispatch=lambda batch: None)
    assert chroma.read_pointer().building == ""
    assert orphan not in {c.name for c in chroma.get_client().list_collections()}


def test_each_film_with_a_synopsis_also_gets_its_synopsis_view_kept_in_step(
    chroma, catalogue, run_inline
):
    run_inline(services.index_sync)
    film, bare = catalogue[2], catalogue[5]
    Movie.objects.filter(pk=bare.pk).update(synopsis="", tagline="")
    bare.refresh_from_db()
    bare.save()  # through the ORM, so its sync notices
    run_inline(services.index_sync, movie_ids=[bare.pk])
    views = chroma.synopsis_collection(chroma.get_collection())

    got = views.get(ids=[str(film.pk), str(bare.pk)], include=["embeddings"])
    assert got["ids"] == [str(film.pk)]  # the film without a synopsis has no view
    expected = embedding.encode([embedding.synopsis_text(film)])[0]
    np.testing.assert_allclose(np.asarray(got["embeddings"][0]), expected, atol=1e-5)

    film.synopsis = "A lighthouse keeper befriends a shipwrecked octopus."
    film.save()
    run_inline(services.index_sync, movie_ids=[film.pk])
    after = np.asarray(views.get(ids=[str(film.pk)], include=["embeddings"])["embeddings"][0])
    expected = embedding.encode([embedding.synopsis_text(film)])[0]
    np.testing.assert_allclose(after, expected, atol=1e-5)

    views.delete(ids=[str(film.pk)])  # a view lost behind our back: check reports it,
    assert services.index_check().stale == [film.pk]  # and a re-embed (admin action) mends it
    run_inline(services.index_reembed, movie_ids=[film.pk])
    assert services.index_check().ok

    film.delete()
    run_inline(services.index_sync)
    assert views.get(ids=[str(film.pk)])["ids"] == []
    assert services.index_check().ok


def test_only_the_film_collection_gets_a_graph_built_for_search(chroma, catalogue, run_inline):
    """The companions are read by id, never searched by similarity: their graph is the
    cheapest Chroma builds, the films' the one measured for recall."""
    run_inline(services.index_sync)
    films = chroma.get_collection()
    companions = [chroma.synopsis_collection(films), chroma.sentence_collection(films)]

    def graph(collection) -> tuple:
        hnsw = collection.configuration_json["hnsw"]
        return hnsw["max_neighbors"], hnsw["ef_construction"]

    assert graph(films) == (32, 200)
    assert {graph(c) for c in companions} == {(4, 8)}


def _edit_while_encoding(
    monkeypatch, film: Movie, synopsis: str, *, then=None, behind_the_orm: bool = False
):
    """Make the next batch's encode call stand for a slow encode: while it runs, the film is
    edited (and `then` runs, e.g. the newer batch to completion)."""
    real_encode = services.encode_batch

    def encode_then_edit(texts, **options):
        vectors = real_encode(texts, **options)  # the text read before the edit
        monkeypatch.setattr(services, "encode_batch", real_encode)
        if behind_the_orm:  # no signal: only the batch itself can notice
            Movie.objects.filter(pk=film.pk).update(synopsis=synopsis)
        else:
            film.synopsis = synopsis
            film.save()
        if then:
            then()
        return vectors

    monkeypatch.setattr(services, "encode_batch", encode_then_edit)


def test_an_older_batch_finishing_last_leaves_the_newer_vector(
    chroma, catalogue, run_inline, monkeypatch
):
    """Two batches for one film in the losing order: the older one (a re-embed of the old text)
    encodes, the film is edited and the newer sync runs to the end, then the older one writes."""
    run_inline(services.index_sync)
    film = Movie.objects.get(pk=catalogue[2].pk)
    older: list[services.Batch] = []
    services.index_reembed(movie_ids=[film.pk], dispatch=older.append)
    _edit_while_encoding(
        monkeypatch,
        film,
        "A beekeeper solves a murder in a mountain village.",
        then=lambda: run_inline(services.index_sync, movie_ids=[film.pk]),
    )
    requeued: list[list[int]] = []

    services.index_batch(batch=older[0], requeue=requeued.append)

    film.refresh_from_db()
    current = text_hash(film_text(film))
    assert stored(chroma, [film.pk])[film.pk][0]["hash"] == current
    assert (film.index_state, film.indexed_hash) == ("indexed", current)
    report = services.index_check()
    assert report.ok and report.not_indexed == 0, report
    assert requeued == []  # the newer batch already holds the film's current text


def test_a_batch_whose_film_was_edited_while_encoding_writes_nothing_and_syncs_again(
    chroma, catalogue, run_inline, monkeypatch, django_capture_on_commit_callbacks
):
    run_inline(services.index_sync)
    film = Movie.objects.get(pk=catalogue[4].pk)
    old_hash = film.indexed_hash
    older: list[services.Batch] = []
    services.index_reembed(movie_ids=[film.pk], dispatch=older.append)
    _edit_while_encoding(
        monkeypatch, film, "A tailor sews a coat for a ghost.", behind_the_orm=True
    )
    requeued: list[list[int]] = []

    with django_capture_on_commit_callbacks(execute=True):
        services.index_batch(batch=older[0], requeue=requeued.append)

    film.refresh_from_db()
    assert stored(chroma, [film.pk])[film.pk][0]["hash"] == old_hash  # the old vector untouched
    assert (film.index_state, film.indexed_hash) == ("pending", "")
    assert requeued == [[film.pk]]
    run_inline(services.index_sync, movie_ids=requeued[0])
    assert services.index_check().ok
