"""The "Retrain recommender" admin action (on TrainedModel; the Rating list has a button too)."""

from django.contrib import admin, messages

from recommendations.recommenders.services import recommender_train_enqueue


@admin.action(description="Retrain recommender")
def retrain_recommender(modeladmin, request, queryset) -> None:
    job = recommender_train_enqueue(created_by=request.user)
    modeladmin.message_user(
        request, f"Retrain recommender queued as job #{job.pk}.", level=messages.SUCCESS
    )
