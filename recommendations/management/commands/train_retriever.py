"""Fine-tune the bi-encoder (the dense retriever): split the labelled queries (held-out quarter
left out, validation carved from the rest), mine hard negatives from search's first stages,
train, keep the best epoch on validation, write the model under
RECSYS_MODELS_DIR/retriever/<version>/ and register it. Activating it (--activate, or the model
list's action) makes the next sync rebuild the index with it."""

from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations.lab.progress import TqdmProgress
from recommendations.lab.reranker_data import limit_torch_threads
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
        recipe = Recipe.tiny() if options["tiny"] else Recipe()
        overrides = {
            "epochs": options["epochs"],
            "batch_size": options["batch_size"],
            "lr": options["lr"],
            "max_seq_length": options["max_seq_length"],
            "pseudo_queries": options["pseudo_queries"],
        }
        recipe = replace(recipe, **{k: v for k, v in overrides.items() if v is not None})
        if options["no_hard_negatives"]:
            recipe = replace(recipe, hard_negatives=False)
        if options["queries"] and not options["queries"].is_file():
            raise CommandError(f"--queries: {options['queries']} is not a file")
        # One torch thread: on the shared 2-core machine two threads wait on each other
        # (measured: 22 s a tiny step with two at load average 13).
        limit_torch_threads()
        progress = TqdmProgress(self.stdout)
        try:
            model = retriever_train(
                request=TrainingRequest(
                    recipe=recipe, queries=options["queries"], activate=options["activate"]
                ),
                progress=progress,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        finally:
            progress.close()
        self.stdout.write(self.style.SUCCESS(f"retriever {model.version} -> {model.path}"))
        metrics = model.metrics
        self.stdout.write(f"  validation, pretrained: {metrics['validation_pretrained']}")
        kept = metrics["kept_epoch"]
        self.stdout.write(f"  validation, kept epoch {kept}: {metrics['validation']}")
        self.stdout.write(f"  timings (s): {metrics['timings_s']}")
