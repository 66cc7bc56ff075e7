"""The heavy curator actions (rebuild the index, train the reranker or the retriever, retrain
the recommender, evaluate): each opens a confirmation page that says what will happen and how
long it took last time (from past Jobs), and starts a Job only when confirmed. None needs a
film selected; the film, model and rating lists link here from their object tools."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from jobs.models import Job
from jobs.selectors import human_seconds, job_usual_duration


@dataclass(frozen=True)
class HeavyAction:
    kind: str
    title: str
    button: str
    explain: tuple[str, ...]
    permission: str
    start: Callable  # (modeladmin, request) -> Job | None, with a message either way


def _rebuild(modeladmin, request):
    from recommendations.admin_actions import rebuild_index

    return rebuild_index(modeladmin, request)


def _train_reranker(modeladmin, request):
    from recommendations.lab_jobs import reranker_training_start

    job = reranker_training_start(created_by=request.user)
    modeladmin.message_user(request, f"Training queued as job #{job.pk}.", messages.SUCCESS)
    return job


def _train_retriever(modeladmin, request):
    from recommendations.lab_jobs import retriever_training_start

    job = retriever_training_start(created_by=request.user)
    modeladmin.message_user(request, f"Training queued as job #{job.pk}.", messages.SUCCESS)
    return job


def _retrain_recommender(modeladmin, request):
    from recommendations.recommenders.admin_actions import retrain_from_admin

    return retrain_from_admin(modeladmin, request)


def _queue_evaluation(modeladmin, request, enqueue, what: str = "Evaluation"):
    """Queue a lab job (`enqueue` is one of lab_jobs' starters), with a message either way;
    returns the Job or None."""
    from jobs.services import JobAlreadyActive
    from recommendations.lab_jobs import EvaluationUnavailable, TrainingUnavailable

    try:
        job = enqueue(created_by=request.user)
    except (EvaluationUnavailable, TrainingUnavailable, JobAlreadyActive) as error:
        modeladmin.message_user(request, f"Not started: {error}.", messages.ERROR)
        return None
    modeladmin.message_user(request, f"{what} queued as job #{job.pk}.", messages.SUCCESS)
    return job


def _train_fusion(modeladmin, request):
    from recommendations.lab_jobs import fusion_training_start

    return _queue_evaluation(modeladmin, request, fusion_training_start, "Training")


def _evaluate_search(modeladmin, request):
    from recommendations.lab_jobs import evaluation_search_enqueue

    return _queue_evaluation(modeladmin, request, evaluation_search_enqueue)


def _evaluate_recommenders(modeladmin, request):
    from recommendations.lab_jobs import evaluation_recommenders_enqueue

    return _queue_evaluation(modeladmin, request, evaluation_recommenders_enqueue)


ACTIONS: dict[str, HeavyAction] = {
    "rebuild-index": HeavyAction(
        kind=Job.Kind.REBUILD,
        title="Rebuild the search index",
        button="Rebuild the index",
        explain=(
            "Every film is embedded again into a fresh copy of the index, in batches on the "
            "worker. Search keeps answering from the current index meanwhile; the new one "
            "replaces it when every film is in.",
            "Edits saved during the rebuild reach both copies, so nothing is lost.",
        ),
        permission="movies.change_movie",
        start=_rebuild,
    ),
    "train-reranker": HeavyAction(
        kind=Job.Kind.TRAIN_RERANKER,
        title="Train the reranker",
        button="Start training",
        explain=(
            "Trains a new cross-encoder version on the labelled and catalogue-generated "
            "queries, evaluates it on held-out queries and saves it as a new, inactive model "
            "version. The worker holds about 1 GB while it trains.",
            "Activate the new version from the model list once its held-out nDCG@10 beats "
            "the active one.",
        ),
        permission="recommendations.change_trainedmodel",
        start=_train_reranker,
    ),
    "train-fusion": HeavyAction(
        kind=Job.Kind.TRAIN_FUSION,
        title="Train the learned fusion",
        button="Start training",
        explain=(
            "Runs the labelled queries of RECSYS_FUSION_TRAINING_QUERIES through search's first "
            "stages, learns how to order their dense and word-match candidates (LightGBM), "
            "scores it on validation and held-out queries against the hand-set fusion and "
            "saves it as a new, inactive model version. A few minutes; one at a time.",
            "Activate the new version from the model list once its held-out nDCG@10 beats "
            "the hand-set fusion's. It orders long, story-like queries only.",
        ),
        permission="recommendations.change_trainedmodel",
        start=_train_fusion,
    ),
    "train-retriever": HeavyAction(
        kind=Job.Kind.TRAIN_RETRIEVER,
        title="Train the retriever",
        button="Start training",
        explain=(
            "Fine-tunes the search's embedding model on the labelled queries (their training "
            "part) and on queries made from the catalogue's synopses, with hard negatives "
            "from search's own results, keeps the epoch that does best on validation queries "
            "and saves it as a new, inactive model version.",
            "Activating a version rebuilds the index with it in a shadow copy; search keeps "
            "encoding queries with the model of the index it reads until the copy replaces it.",
        ),
        permission="recommendations.change_trainedmodel",
        start=_train_retriever,
    ),
    "retrain-recommender": HeavyAction(
        kind=Job.Kind.TRAIN_RECOMMENDER,
        title="Retrain the recommender",
        button="Start retraining",
        explain=(
            "Trains the home-page recommenders again on the trusted ratings and reactions, "
            "and activates the new version when it finishes. One training runs at a time.",
        ),
        permission="recommendations.change_trainedmodel",
        start=_retrain_recommender,
    ),
    "evaluate-search": HeavyAction(
        kind=Job.Kind.EVALUATE,
        title="Evaluate search",
        button="Run the evaluation",
        explain=(
            "Runs every known-item query of RECSYS_EVALUATION_QUERIES through the search pipeline "
            "as it is now (the active reranker, the live index) and stores MRR@10, nDCG@10 "
            "and recall per stage as a saved evaluation, drawn over time on the dashboard.",
            "Queries the active reranker trained on are left out.",
        ),
        permission="recommendations.change_trainedmodel",
        start=_evaluate_search,
    ),
    "evaluate-recommenders": HeavyAction(
        kind=Job.Kind.EVALUATE_RECS,
        title="Evaluate the recommenders",
        button="Run the evaluation",
        explain=(
            "Runs evaluate_recs on the MovieLens ratings of RECSYS_EVALUATION_MOVIELENS_DIR: "
            "popularity, item-kNN, EASE, content-only, the hybrid and the home rows' blend, "
            "each fitted on the older 80% of every user's ratings and scored on the rest "
            "(Recall@10, NDCG@10), "
            "and stores the figures as a saved evaluation for the dashboard.",
        ),
        permission="recommendations.change_trainedmodel",
        start=_evaluate_recommenders,
    ),
}


def heavy_action_view(modeladmin, request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the confirmation page. POST: start the job and open its page."""
    action = ACTIONS.get(slug)
    if action is None:
        raise Http404("no such action")
    if not request.user.has_perm(action.permission):
        raise PermissionDenied
    if request.method == "POST":
        job = action.start(modeladmin, request)
        if job is None:  # refused, with a message saying why
            return HttpResponseRedirect(request.path)
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
    usual = job_usual_duration(kind=action.kind)
    active = Job.objects.filter(
        kind=action.kind, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
    ).first()
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": action.title,
        "action": action,
        "usual": usual,
        "last_text": human_seconds(usual["last"]) if usual else "",
        "median_text": human_seconds(usual["median"]) if usual else "",
        "active": active,
        "back": request.GET.get("back") or reverse("admin:index"),
    }
    return TemplateResponse(request, "admin/recommendations/confirm_action.html", context)


def dashboard_view(modeladmin, request: HttpRequest) -> HttpResponse:
    """Charts of the catalogue, jobs, models, evaluations and search latency (any staff user
    who may view trained models)."""
    from recommendations.dashboard import dashboard_figures

    if not modeladmin.has_view_permission(request):
        raise PermissionDenied
    figures = dashboard_figures()
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": "Search and recommendations dashboard",
        "figures": figures,
    }
    return TemplateResponse(request, "admin/recommendations/dashboard.html", context)
