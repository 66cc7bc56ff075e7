from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import path

from recommendations.admin_console import heavy_action_view
from recommendations.models import TrainedModel
from recommendations.recommenders.admin_actions import may_retrain, retrain_recommender


@admin.register(TrainedModel)
class TrainedModelAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "kind",
        "is_active",
        "held_out_ndcg",
        "data_hash_short",
        "created_at",
    ]
    list_filter = ["kind", "is_active"]
    readonly_fields = [f.name for f in TrainedModel._meta.fields]
    actions = ["activate", retrain_recommender]
    change_list_template = "admin/recommendations/trainedmodel/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_retrain_permission(self, request: HttpRequest) -> bool:
        return may_retrain(request.user)

    @admin.display(description="held-out nDCG@10 (baseline → reranked)")
    def held_out_ndcg(self, obj: TrainedModel) -> str:
        held_out = obj.metrics.get("held_out", {})
        if "baseline" not in held_out:
            return "—"
        base = held_out["baseline"]["ndcg@10"]
        reranked = held_out.get("cross-encoder", {}).get("ndcg@10")
        return f"{base:.3f} → {reranked:.3f} (n={held_out['baseline']['queries']})"

    @admin.display(description="data hash")
    def data_hash_short(self, obj: TrainedModel) -> str:
        return obj.data_hash[:12]

    @admin.action(
        description="Activate the selected version (one per kind)", permissions=["change"]
    )
    def activate(self, request: HttpRequest, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        from recommendations.rerank.services import trained_model_activate

        model = trained_model_activate(model_id=queryset.get().pk)
        self.message_user(request, f"{model} is now active.", messages.SUCCESS)

    def get_urls(self):
        def heavy(request: HttpRequest, slug: str):
            return heavy_action_view(self, request, slug)

        return [
            path(
                "actions/<slug:slug>/",
                self.admin_site.admin_view(heavy),
                name="recommendations_heavy_action",
            ),
            *super().get_urls(),
        ]
