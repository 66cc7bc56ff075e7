from django.contrib import admin

from recommendations.models import TrainedModel
from recommendations.recommenders.admin_actions import retrain_recommender


@admin.register(TrainedModel)
class TrainedModelAdmin(admin.ModelAdmin):
    list_display = ["kind", "version", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    readonly_fields = [f.name for f in TrainedModel._meta.fields]
    actions = [retrain_recommender]
