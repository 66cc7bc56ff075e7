"""evaluate_recs end to end on a tiny MovieLens-format directory (the full run is the command
on ../shared/data/movielens; figures in docs/benchmarks.md)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

MOVIES = [
    (1, "Heat (1995)", "Action|Crime|Thriller"),
    (2, "Collateral (2004)", "Action|Crime|Thriller"),
    (3, "Thief (1981)", "Crime|Drama"),
    (4, "Alien (1979)", "Horror|Sci-Fi"),
    (5, "Aliens (1986)", "Action|Horror|Sci-Fi"),
    (6, "Notting Hill (1999)", "Comedy|Romance"),
]
HISTORIES = {1: [1, 2, 3, 6], 2: [2, 1, 3, 4], 3: [4, 5, 1, 6], 4: [5, 4, 6, 2], 5: [1, 3, 2, 5]}


def _write(directory):
    (directory / "movies.csv").write_text(
        "movieId,title,genres\n" + "".join(f'{i},"{t}",{g}\n' for i, t, g in MOVIES)
    )
    (directory / "tags.csv").write_text("userId,movieId,tag,timestamp\n1,1,heist,1\n")
    rows = [
        f"{user},{item},4.0,{1000 + step}\n"
        for user, items in HISTORIES.items()
        for step, item in enumerate(items)
    ]
    (directory / "ratings.csv").write_text("userId,movieId,rating,timestamp\n" + "".join(rows))


@pytest.mark.django_db
def test_every_method_is_scored_in_one_run(tmp_path, settings):
    settings.RECSYS_DATA_DIR = tmp_path
    _write(tmp_path)
    out = StringIO()

    call_command("evaluate_recs", "--path", str(tmp_path), "--json", stdout=out)

    report = json.loads(out.getvalue())
    assert report["users"] == 5 and report["test_interactions"] == 5
    for scenario in ("full history", "first 1 film", "first 3 films"):
        assert set(report["results"][scenario]) == {
            "popularity",
            "item_knn",
            "content",
            "ease",
            "hybrid",
            "rows",
        }
        for figures in report["results"][scenario].values():
            assert 0.0 <= figures["ndcg@10"] <= 1.0 and 0.0 <= figures["recall@10"] <= 1.0
    assert list((tmp_path / "eval").glob("movielens-vectors-*.npy"))  # the cached embedding
    assert report["rows"]["bands"][0][0] == 1  # the rows' weights by history band, reported
    # the cold-start cases are also scored as before 2026-12-05 (watched films kept as candidates)
    assert set(report["results_seen_films_kept"]) == {"first 1 film", "first 3 films"}
    from recommendations.models import Evaluation

    saved = Evaluation.objects.get()  # kept for the admin dashboard
    assert (saved.kind, saved.queries, saved.figures) == ("recommender", 5, report)


def test_a_new_viewers_candidates_are_the_films_they_have_not_watched():
    """Told only a viewer's first film, a method is not marked down for ranking the films they
    watched next in the training part: those are not candidates (as with the full history),
    only the held-out films are the targets."""
    import numpy as np

    from recommendations.lab import recommender_evaluation as evaluation

    split = evaluation.Split(train={1: [1, 2, 3], 2: [1, 2, 4]}, test={1: [4], 2: [3]})
    vectors = {item: np.eye(4, dtype=np.float32)[item - 1] for item in (1, 2, 3, 4)}
    fitted = evaluation.Fitted(split, vectors)
    by_film = {1: 1.0, 2: 3.0, 3: 1.5, 4: 2.0}  # film 2, watched by both, ranks first
    fixed = np.asarray([by_film[int(item)] for item in fitted.items], dtype=np.float32)

    def scorer(history):
        return fixed

    unwatched = evaluation.score_method(fitted, split, scorer, limit=1)
    seen_kept = evaluation.score_method(fitted, split, scorer, limit=1, exclude_seen=False)

    assert unwatched["ndcg@10"] == 1.0  # each viewer's one unwatched film is their target
    # the old protocol: film 2 (watched, not held out) takes the first place and counts as a miss
    assert seen_kept["ndcg@10"] == round((1 / np.log2(3) + 1 / np.log2(4)) / 2, 4)


@pytest.mark.django_db
def test_the_admin_runs_it_as_a_job_that_saves_its_figures(
    tmp_path, settings, admin_client, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from jobs.models import Job
    from recommendations.lab.evaluation_records import evaluation_recommenders_run
    from recommendations.models import Evaluation

    settings.RECSYS_DATA_DIR = tmp_path
    settings.RECSYS_EVALUATION_MOVIELENS_DIR = str(tmp_path / "absent")
    url = reverse("admin:recommendations_heavy_action", args=["evaluate-recommenders"])
    assert "no MovieLens ratings" in admin_client.post(url, follow=True).content.decode()
    _write(tmp_path)
    settings.RECSYS_EVALUATION_MOVIELENS_DIR = str(tmp_path)
    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(url)
    job = Job.objects.get(kind=Job.Kind.EVALUATE_RECS)

    record = evaluation_recommenders_run(job_id=job.pk)  # the task's body, run here

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.done == job.total > 0
    assert Evaluation.objects.get() == record and record.job_id == job.pk
    assert record.figures["users"] == 5 and "full history" in record.figures["results"]
