"""The "Retrain recommender" admin action (on TrainedModel; the Rating list has a button too)."""

from django.contrib import admin, messages
from django.http import HttpRequest

from jobs.services import JobAlreadyActive
from recommendations.lab_jobs import recommender_train_enqueue

# Training writes a new TrainedModel version: the permission to change those, not staff status.
RETRAIN_PERMISSION = "recommendations.change_trainedmodel"


def may_retrain(user) -> bool:
    return user.has_perm(RETRAIN_PERMISSION)


def retrain_from_admin(modeladmin, request: HttpRequest):
    """Queue a training for a curator, with a message either way; returns the Job or None."""
    if not may_retrain(request.user):
        modeladmin.message_user(request, "You may not retrain the recommender.", messages.ERROR)
        return None
    try:
        job = recommender_train_enqueue(created_by=request.user)
    except JobAlreadyActive as exc:
        modeladmin.message_user(
            request, f"Not queued: {exc}. Wait for it to finish.", level=messages.WARNING
        )
        return None
    modeladmin.message_user(
        request, f"Retrain recommender queued as job #{job.pk}.", level=messages.SUCCESS
    )
    return job


# permissions=["retrain"]: Django lists and runs the action only where the admin's
# has_retrain_permission(request) says yes.
@admin.action(description="Retrain recommender", permissions=["retrain"])
def retrain_recommender(modeladmin, request, queryset) -> None:
    retrain_from_admin(modeladmin, request)
