import json
import math

import pytest
from django.core.management import CommandError, call_command

from recommendations.lab.metrics import known_item_metrics as rank_metrics

pytestmark = pytest.mark.django_db


def test_rank_metrics_for_one_right_answer():
    assert rank_metrics(1) == {"mrr@10": 1.0, "ndcg@10": 1.0, "recall@10": 1.0, "recall@100": 1.0}
    third = rank_metrics(3)
    assert third["mrr@10"] == pytest.approx(1 / 3)
    assert third["ndcg@10"] == pytest.approx(1 / math.log2(4))
    assert rank_metrics(50) == {"mrr@10": 0.0, "ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 1.0}
    assert rank_metrics(None)["recall@100"] == 0.0


def write_queries(path, films):
    rows = [
        ("q1", "a man stranded on an island talks to a volleyball", films["Cast Away"]),
        ("q2", "shark eats swimmers at a summer beach", films["Jaws"]),
        ("q3", "kid alone at christmas fights two burglars", films["Home Alone"]),
    ]
    lines = [
        json.dumps({"id": i, "query": q, "answer": {"tmdb_id": None, "imdb_id": m.imdb_id}})
        for i, q, m in rows
    ]
    lines.append(json.dumps({"id": "gone", "query": "x", "answer": {"imdb_id": "tt0000001"}}))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_evaluate_prints_every_stage_as_json(films, tmp_path, capsys):
    path = write_queries(tmp_path / "q.jsonl", films)
    call_command("evaluate", str(path), "--json")
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"dense", "lexical", "fused", "reranked"}
    for metrics in report.values():
        assert set(metrics) == {"mrr@10", "ndcg@10", "recall@10", "recall@100"}
    assert report["reranked"]["recall@10"] == 1.0
    assert report["reranked"]["mrr@10"] > 0.5


def test_evaluate_counts_skipped_queries_and_limits(films, tmp_path, capsys):
    path = write_queries(tmp_path / "q.jsonl", films)
    call_command("evaluate", str(path), "--limit", "2")
    out = capsys.readouterr().out
    assert "2 queries evaluated, 0 skipped" in out
    call_command("evaluate", str(path))
    out = capsys.readouterr().out
    assert "3 queries evaluated, 1 skipped" in out
    call_command("evaluate", str(path), "--json")
    report = json.loads(capsys.readouterr().out)
    fused, reranked = report["fused"]["ndcg@10"], report["reranked"]["ndcg@10"]
    assert (
        f"nDCG@10 reranked / fused: {reranked:.4f} / {fused:.4f} = x{reranked / fused:.3f}" in out
    )


def test_evaluate_names_a_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "query": "x", "answer": {"imdb_id": "tt1"}}\n{oops\n')
    with pytest.raises(CommandError, match="line 2"):
        call_command("evaluate", str(path))
    with pytest.raises(CommandError, match="no such file"):
        call_command("evaluate", str(tmp_path / "missing.jsonl"))


def test_each_evaluate_run_is_saved_for_the_dashboard_unless_told_not_to(films, tmp_path, capsys):
    from recommendations.models import Evaluation

    path = write_queries(tmp_path / "q.jsonl", films)
    call_command("evaluate", str(path), "--json")
    report = json.loads(capsys.readouterr().out)
    saved = Evaluation.objects.get()
    assert (saved.kind, saved.queries, saved.figures) == ("search", 3, report)
    assert saved.source == str(path) and saved.retriever and saved.reranker

    call_command("evaluate", str(path), "--no-save")
    assert Evaluation.objects.count() == 1


def test_the_admin_evaluation_runs_as_a_job_and_saves_its_figures(
    films, tmp_path, settings, admin_client, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from jobs.models import Job
    from recommendations.lab.evaluation_records import evaluation_search_run
    from recommendations.models import Evaluation

    url = reverse("admin:recommendations_heavy_action", args=["evaluate-search"])
    settings.RECSYS_EVALUATION_QUERIES = ""
    assert "RECSYS_EVALUATION_QUERIES" in admin_client.post(url, follow=True).content.decode()
    settings.RECSYS_EVALUATION_QUERIES = str(write_queries(tmp_path / "q.jsonl", films))
    assert "Run the evaluation" in admin_client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(url)
    job = Job.objects.get(kind=Job.Kind.EVALUATE)

    record = evaluation_search_run(job_id=job.pk)  # the task's body, run here

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and (job.done, job.total) == (
        3,
        3,
    )  # one answer not in the catalogue
    assert record.job_id == job.pk and Evaluation.objects.get() == record
    assert job.result["evaluation"] == record.pk and record.queries == 3
