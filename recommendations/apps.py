from django.apps import AppConfig
from django.conf import settings


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    verbose_name = "Search and recommendations"

    def ready(self) -> None:
        from recommendations import admin_actions
        from recommendations.indexing import receivers

        receivers.connect()
        admin_actions.register()
        settings.CELERY_BEAT_SCHEDULE["index-sweep"] = {
            "task": "recommendations.tasks.index_sweep_task",
            "schedule": settings.RECSYS_INDEX_SWEEP_SECONDS,
        }
        settings.CELERY_BEAT_SCHEDULE["recommender-retrain"] = {
            "task": "recommendations.retrain_recommender_if_due",
            "schedule": settings.RECSYS_RECOMMENDER_RETRAIN_CHECK_SECONDS,
        }
