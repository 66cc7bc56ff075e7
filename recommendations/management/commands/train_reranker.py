"""Train a cross-encoder reranker version: mine, fine-tune, choose the query lengths it serves
on validation queries (its gate), evaluate once on held-out queries, write the artifact under
RECSYS_MODELS_DIR/reranker/<version>/ and register it."""

from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand

from recommendations.lab import training_command as command
from recommendations.lab.reranker import TrainingRequest, reranker_train
from recommendations.lab.reranker_training import Recipe
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

    def handle(self, *args, **options):
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
            *((f"held out, {name}", value) for name, value in metrics["held_out"].items()),
        ]
        command.write_version(self, "reranker", model, figures)
