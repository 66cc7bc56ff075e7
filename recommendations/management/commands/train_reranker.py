"""Train a cross-encoder reranker version: mine, fine-tune, evaluate on held-out queries,
write the artifact under RECSYS_MODELS_DIR/reranker/<version>/ and register it."""

from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations.lab.progress import TqdmProgress
from recommendations.lab.reranker import TrainingRequest, reranker_train
from recommendations.lab.reranker_data import limit_torch_threads
from recommendations.lab.reranker_training import Recipe


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
        parser.add_argument("--no-dense-prior", action="store_true")
        parser.add_argument("--activate", action="store_true", help="make it the active one")

    def handle(self, *args, **options):
        recipe = Recipe.tiny() if options["tiny"] else Recipe()
        overrides = {
            "epochs": options["epochs"],
            "max_pairs": options["max_pairs"],
            "num_layers": options["layers"],
            "synthetic_queries": options["synthetic"],
            "max_query_tokens": options["max_query_tokens"],
            "max_doc_tokens": options["max_doc_tokens"],
            "max_validation_queries": options["max_validation_queries"],
        }
        recipe = replace(recipe, **{k: v for k, v in overrides.items() if v is not None})
        if options["no_dense_prior"]:
            recipe = replace(recipe, use_dense_prior=False)
        if options["queries"] and not options["queries"].is_file():
            raise CommandError(f"--queries: {options['queries']} is not a file")
        limit_torch_threads()
        progress = TqdmProgress(self.stdout)
        try:
            model = reranker_train(
                request=TrainingRequest(
                    recipe=recipe,
                    queries=options["queries"],
                    activate=options["activate"],
                ),
                progress=progress,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        finally:
            progress.close()
        held_out = model.metrics["held_out"]
        self.stdout.write(self.style.SUCCESS(f"reranker {model.version} -> {model.path}"))
        for variant, figures in held_out.items():
            self.stdout.write(f"  {variant}: {figures}")
