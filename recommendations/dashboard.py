"""Reads for the admin dashboard (recommendations/admin.py serves it): the catalogue and its
index, jobs over time, each trained model's evaluation and training curve, saved evaluations,
and search latency. Every figure comes from rows the project records; each read is one
aggregate query or a few small ones, so the page stays fast at 36k films."""

from collections import defaultdict
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from jobs.models import Job
from movies.models import Movie
from recommendations.embedding import index_fingerprint
from recommendations.latency import search_latency_percentiles
from recommendations.models import Evaluation, TrainedModel

JOB_DAYS = 14
MODEL_VERSIONS = 8
EVALUATIONS = 20
RECS_SCENARIO = (
    "full history"  # evaluate_recs' scenario shown over time (the others are cold starts)
)


def catalogue_index_figures() -> dict:
    """Films by index state, and how many indexed films carry vectors of another model."""
    counts = dict(Movie.objects.values_list("index_state").annotate(n=Count("pk")).order_by())
    stale = Movie.objects.filter(index_state=Movie.IndexState.INDEXED).exclude(
        indexed_model=index_fingerprint()
    )
    states = [s for s, _ in Movie.IndexState.choices]
    return {
        "labels": [label for _, label in Movie.IndexState.choices],
        "values": [counts.get(s, 0) for s in states],
        "total": sum(counts.values()),
        "pending": counts.get(Movie.IndexState.PENDING, 0),
        "failed": counts.get(Movie.IndexState.FAILED, 0),
        "stale": stale.count(),
    }


def job_figures(*, days: int = JOB_DAYS) -> dict:
    """Per day: jobs finished, failed, and the median duration (s); per kind: median duration."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    rows = Job.objects.filter(created_at__date__gte=start).values_list(
        "kind", "status", "created_at", "started_at", "finished_at"
    )
    day_labels = [(start + timedelta(days=i)).isoformat() for i in range(days)]
    finished = dict.fromkeys(day_labels, 0)
    failed = dict.fromkeys(day_labels, 0)
    durations: dict[str, list[float]] = defaultdict(list)
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, status, created_at, started_at, finished_at in rows:
        day = timezone.localdate(created_at).isoformat()
        if status == Job.Status.FAILED:
            failed[day] += 1
        elif status in (Job.Status.SUCCEEDED, Job.Status.CANCELLED):
            finished[day] += 1
        if started_at and finished_at:
            seconds = (finished_at - started_at).total_seconds()
            durations[day].append(seconds)
            by_kind[kind].append(seconds)
    kinds = dict(Job.Kind.choices)
    return {
        "days": day_labels,
        "finished": [finished[d] for d in day_labels],
        "failed": [failed[d] for d in day_labels],
        "median_s": [_median(durations[d]) for d in day_labels],
        "kinds": [kinds.get(k, k) for k in sorted(by_kind)],
        "kind_median_s": [_median(by_kind[k]) for k in sorted(by_kind)],
    }


def reranker_figures(*, versions: int = MODEL_VERSIONS) -> dict:
    """Held-out nDCG@10 per stage for each reranker version (oldest first), and loss curves."""
    models = list(
        TrainedModel.objects.filter(kind=TrainedModel.Kind.RERANKER).order_by("-created_at")[
            :versions
        ]
    )[::-1]
    stages = sorted({s for m in models for s in _held_out(m) if "ndcg@10" in _held_out(m)[s]})
    return {
        "versions": [m.version + (" (active)" if m.is_active else "") for m in models],
        "stages": stages,
        "ndcg": {s: [_held_out(m).get(s, {}).get("ndcg@10") for m in models] for s in stages},
        "loss_curves": {
            m.version: m.metrics.get("loss_curve", [])
            for m in models
            if m.metrics.get("loss_curve")
        },
    }


def recommender_figures(*, versions: int = MODEL_VERSIONS) -> dict:
    models = list(
        TrainedModel.objects.filter(kind=TrainedModel.Kind.RECOMMENDER).order_by("-created_at")[
            :versions
        ]
    )[::-1]
    names = ["films", "raters", "collaborative_films", "seconds"]
    return {
        "versions": [m.version[:15] + (" (active)" if m.is_active else "") for m in models],
        "figures": {n: [m.metrics.get(n) for m in models] for n in names},
    }


def evaluation_figures(*, last: int = EVALUATIONS) -> dict:
    """Saved `evaluate` / `evaluate_recs` runs over time (oldest first): nDCG@10 per search
    stage, and per recommender method on the main scenario."""
    search = list(Evaluation.objects.filter(kind=Evaluation.Kind.SEARCH)[:last])[::-1]
    recs = list(Evaluation.objects.filter(kind=Evaluation.Kind.RECOMMENDER)[:last])[::-1]
    stages = sorted({s for e in search for s in e.figures})
    methods = sorted({m for e in recs for m in _recs_scenario(e)})
    return {
        "search_runs": [_run_label(e) for e in search],
        "search_ndcg": {s: [e.figures.get(s, {}).get("ndcg@10") for e in search] for s in stages},
        "recs_runs": [_run_label(e) for e in recs],
        "recs_ndcg": {
            m: [_recs_scenario(e).get(m, {}).get("ndcg@10") for e in recs] for m in methods
        },
    }


def dashboard_figures() -> dict:
    return {
        "catalogue": catalogue_index_figures(),
        "jobs": job_figures(),
        "reranker": reranker_figures(),
        "recommender": recommender_figures(),
        "evaluations": evaluation_figures(),
        "latency": search_latency_percentiles(),
    }


def _held_out(model: TrainedModel) -> dict:
    held_out = model.metrics.get("held_out", {})
    return {k: v for k, v in held_out.items() if isinstance(v, dict)}


def _recs_scenario(evaluation: Evaluation) -> dict:
    results = evaluation.figures.get("results", {})
    if RECS_SCENARIO in results:
        return results[RECS_SCENARIO]
    return next(iter(results.values()), {})


def _run_label(evaluation: Evaluation) -> str:
    what = evaluation.reranker or evaluation.retriever
    return f"{evaluation.created_at:%m-%d %H:%M}" + (f" · {what}" if what else "")


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[len(ordered) // 2], 1)
