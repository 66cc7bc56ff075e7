"""Fine-tune the bi-encoder (the dense retriever): split the labelled queries (held-out quarter
left out, validation carved from the rest), mine hard negatives from search's first stages,
train, keep the best epoch on validation, write the model under
RECSYS_MODELS_DIR/retriever/<version>/ and register it. Activating it (--activate, or the model
list's action) makes the next sync rebuild the index with it."""

from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand

from recommendations.lab import training_command as command
from recommendations.lab.retriever import TrainingRequest, retriever_train
from recommendations.lab.retriever_training import Recipe


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--queries", type=Path, help="labelled queries (JSON lines)")
        parser.add_argument("--tiny", action="store_true", help="a tiny run (CI, smoke)")
        parser.add_argument("--epochs", type=int)
        parser.add_argument("--batch-size", type=int)
        parser.add_argument("--lr", type=float)
        parser.add_argument("--max-seq-length", type=int, help="tokens read per text in training")
        parser.add_argument("--pseudo-queries", type=int, help="catalogue-generated queries")
        parser.add_argument("--no-hard-negatives", action="store_true")
        parser.add_argument("--activate", action="store_true", help="make it the active one")

    def handle(self, *args, **options):
        recipe = command.recipe_from_options(
            Recipe,
            options,
            {
                "epochs": "epochs",
                "batch_size": "batch_size",
                "lr": "lr",
                "max_seq_length": "max_seq_length",
                "pseudo_queries": "pseudo_queries",
            },
        )
        if options["no_hard_negatives"]:
            recipe = replace(recipe, hard_negatives=False)
        request = TrainingRequest(
            recipe=recipe,
            queries=command.queries_option(options["queries"]),
            activate=options["activate"],
        )
        model = command.train_in_command(self.stdout, retriever_train, request)
        metrics = model.metrics
        figures = [
            ("validation, pretrained", metrics["validation_pretrained"]),
            (f"validation, kept epoch {metrics['kept_epoch']}", metrics["validation"]),
            ("timings (s)", metrics["timings_s"]),
        ]
        command.write_version(self, "retriever", model, figures)
