"""Train a cross-encoder reranker version: mine, fine-tune, choose the query lengths it serves
on validation queries (its gate), evaluate once on held-out queries, write the artifact under
RECSYS_MODELS_DIR/reranker/<version>/, choose its serving cost (rerank depth, tokens) on the
validation queries and register it. --rechoose VERSION chooses a trained version's serving
cost again, without training."""

from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations.lab import training_command as command
from recommendations.lab.reranker import (
    TrainingRequest,
    reranker_rechoose_cost,
    reranker_train,
)
from recommendations.lab.reranker_training import Recipe
from recommendations.rerank.cost import cost_of
from recommendations.trained_models import model_serves


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--queries", type=Path, help="labelled queries (JSON lines)")
        parser.add_argument("--tiny", action="store_true", help="a tiny model (CI, smoke)")
        parser.add_argument("--epochs", type=int)
        parser.add_argument("--max-pairs", type=int, help="cap on training pairs per epoch")
        parser.add_argument("--layers", type=int, help="encoder layers kept (1-6)")
        parser.add_argument("--synthetic", type=int, help="catalogue-generated queries")
        parser.add_argument("--max-query-tokens", type=int)
        parser.add_argument("--max-doc-tokens", type=int)
        parser.add_argument("--max-validation-queries", type=int)
        parser.add_argument("--seed", type=int)
        parser.add_argument("--no-dense-prior", action="store_true")
        parser.add_argument("--activate", action="store_true", help="make it the active one")
        parser.add_argument(
            "--rechoose",
            metavar="VERSION",
            help="choose this trained version's serving cost again on its validation queries "
            "(needs --queries); trains nothing",
        )

    def handle(self, *args, **options):
        if options["rechoose"]:
            return self.rechoose(options["rechoose"], options["queries"])
        recipe = command.recipe_from_options(
            Recipe,
            options,
            {
                "epochs": "epochs",
                "max_pairs": "max_pairs",
                "num_layers": "layers",
                "synthetic_queries": "synthetic",
                "max_query_tokens": "max_query_tokens",
                "max_doc_tokens": "max_doc_tokens",
                "max_validation_queries": "max_validation_queries",
                "seed": "seed",
            },
        )
        if options["no_dense_prior"]:
            recipe = replace(recipe, use_dense_prior=False)
        request = TrainingRequest(
            recipe=recipe,
            queries=command.queries_option(options["queries"]),
            activate=options["activate"],
        )
        model = command.train_in_command(self.stdout, reranker_train, request)
        metrics = model.metrics
        figures = [
            *((f"validation, {name}", value) for name, value in metrics["validation"].items()),
            ("serves", model_serves(model)),
            ("serves at", cost_of(model).describe()),
            *((f"held out, {name}", value) for name, value in metrics["held_out"].items()),
        ]
        command.write_version(self, "reranker", model, figures)

    def rechoose(self, version: str, queries: Path | None) -> None:
        if not queries:
            raise CommandError("--rechoose needs --queries (its validation queries are there)")
        request = command.queries_option(queries)

        def rechoose(*, request, progress):
            return reranker_rechoose_cost(version=version, queries=request, progress=progress)

        model = command.train_in_command(self.stdout, rechoose, request)
        cost = cost_of(model)
        figures = [
            ("serves at", cost.describe()),
            *(
                (s.setting.label, f"validation nDCG@10 {s.ndcg:.4f}, {s.tokens:.0f} tokens/query")
                for s in cost.scored
            ),
        ]
        command.write_version(self, "reranker", model, figures, note=" (serving cost chosen again)")
