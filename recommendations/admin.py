from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import path

from recommendations.admin_console import dashboard_view, heavy_action_view
from recommendations.models import Evaluation, TrainedModel
from recommendations.recommenders.admin_actions import may_retrain, retrain_recommender
from recommendations.rerank.cost import cost_of
from recommendations.rerank.gate import gate_of
from recommendations.trained_models import model_serves


@admin.register(TrainedModel)
class TrainedModelAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "kind",
        "is_active",
        "held_out_ndcg",
        "serves",
        "serves_at",
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

    @admin.display(description="held-out nDCG@10 (baseline → trained)")
    def held_out_ndcg(self, obj: TrainedModel) -> str:
        if "validation" in obj.metrics and "validation_pretrained" in obj.metrics:
            before = obj.metrics["validation_pretrained"]["ndcg@10"]
            after = obj.metrics["validation"]["ndcg@10"]
            count = obj.metrics["validation"]["queries"]
            return f"validation, dense: {before:.3f} → {after:.3f} (n={count})"
        held_out = obj.metrics.get("held_out", {})
        if "learned fusion" in held_out:  # a fusion version: against the hand-set fusion
            base, learned = held_out["hand-set fusion"], held_out["learned fusion"]
            return f"{base['ndcg@10']:.3f} → {learned['ndcg@10']:.3f} (n={base['queries']})"
        if "baseline" not in held_out:
            return "—"
        base = held_out["baseline"]["ndcg@10"]
        served = held_out.get("cross-encoder, gated") or held_out.get("cross-encoder", {})
        return f"{base:.3f} → {served.get('ndcg@10'):.3f} (n={held_out['baseline']['queries']})"

    @admin.display(description="serves")
    def serves(self, obj: TrainedModel) -> str:
        return model_serves(obj)

    @admin.display(description="serves at (cost)")
    def serves_at(self, obj: TrainedModel) -> str:
        """A reranker version's serving cost: the depth and token lengths it reads."""
        if obj.kind != TrainedModel.Kind.RERANKER:
            return "—"
        return cost_of(obj).describe()

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
        from recommendations.trained_models import trained_model_activate

        model = trained_model_activate(model_id=queryset.get().pk)
        self.message_user(request, f"{model} is now active.", messages.SUCCESS)
        if model.kind == TrainedModel.Kind.RERANKER:
            level = messages.INFO if gate_of(model).serves_any else messages.WARNING
            self.message_user(request, f"It reorders: {model_serves(model)}.", level)
        if model.kind == TrainedModel.Kind.RETRIEVER:
            # Its vectors are not comparable with the index's: a shadow copy is built with it,
            # and search keeps the current index (and its model) until the copy replaces it.
            from recommendations.admin_actions import rebuild_index

            rebuild_index(self, request)

    def get_urls(self):
        def heavy(request: HttpRequest, slug: str):
            return heavy_action_view(self, request, slug)

        def dashboard(request: HttpRequest):
            return dashboard_view(self, request)

        return [
            path(
                "dashboard/",
                self.admin_site.admin_view(dashboard),
                name="recommendations_dashboard",
            ),
            path(
                "actions/<slug:slug>/",
                self.admin_site.admin_view(heavy),
                name="recommendations_heavy_action",
            ),
            *super().get_urls(),
        ]


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    """Saved `evaluate` / `evaluate_recs` runs, read-only; the dashboard draws them over time."""

    list_display = ["created_at", "kind", "headline", "reranker", "queries", "job"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in Evaluation._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="nDCG@10")
    def headline(self, obj: Evaluation) -> str:
        if obj.kind == Evaluation.Kind.SEARCH:
            stages = obj.figures
            return " · ".join(
                f"{s} {v['ndcg@10']:.3f}" for s, v in stages.items() if "ndcg@10" in v
            )
        full = obj.figures.get("results", {}).get("full history", {})
        return " · ".join(f"{m} {v['ndcg@10']:.3f}" for m, v in full.items() if "ndcg@10" in v)
