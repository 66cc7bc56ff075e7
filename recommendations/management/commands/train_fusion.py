"""Train a learned-fusion version: retrieve the labelled queries' candidates, fit LightGBM
LambdaRank, score it on validation and held-out queries against the hand-set fusion, write
the artifact under RECSYS_MODELS_DIR/fusion/<version>/ and register it."""

from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations.lab import training_command as command
from recommendations.lab.fusion import FusionRequest, fusion_train
from recommendations.lab.fusion_training import Recipe, compare_on_validation
from recommendations.lab.progress import TqdmProgress
from recommendations.lab.queries import load_queries, with_answers
from recommendations.lab.reranker_data import limit_torch_threads
from recommendations.lab.search_evaluation import METRICS


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("queries", type=Path, help="labelled queries (JSON lines)")
        parser.add_argument("--tiny", action="store_true", help="a tiny model (CI, smoke)")
        parser.add_argument("--depth", type=int, help="each list's top N are the candidates")
        parser.add_argument("--trees", type=int, help="boosting rounds")
        parser.add_argument("--leaves", type=int, help="leaves a tree")
        parser.add_argument("--rate", type=float, help="learning rate")
        parser.add_argument("--min-query-words", type=int, help="shorter queries keep z-scores")
        parser.add_argument("--max-queries", type=int, help="the first N queries only")
        parser.add_argument("--activate", action="store_true", help="make it the active one")
        parser.add_argument(
            "--compare",
            action="store_true",
            help="train nothing: the validation figures the recipe and its length gate are chosen "
            "on (lengths and gates for the recipe the other options give)",
        )

    def handle(self, *args, **options):
        if not options["queries"].is_file():
            raise CommandError(f"{options['queries']}: no such file")
        recipe = command.recipe_from_options(
            Recipe,
            options,
            {
                "depth": "depth",
                "n_estimators": "trees",
                "num_leaves": "leaves",
                "learning_rate": "rate",
                "min_query_words": "min_query_words",
                "max_queries": "max_queries",
            },
        )
        recipe = replace(recipe, collect_depth=max(recipe.collect_depth, recipe.depth))
        if options["compare"]:
            limit_torch_threads()
            self._compare(options["queries"], TqdmProgress(self.stdout), recipe)
            return
        request = FusionRequest(
            recipe=recipe, queries=options["queries"], activate=options["activate"]
        )
        model = command.train_in_command(self.stdout, fusion_train, request)
        figures = [
            (f"{part}, {ranker}", ranker_figures)
            for part in ("validation", "held_out")
            for ranker, ranker_figures in model.metrics[part].items()
        ]
        command.write_version(
            self, "fusion", model, figures, note=" (active)" if model.is_active else ""
        )

    def _compare(self, path: Path, progress: TqdmProgress, recipe: Recipe) -> None:
        queries, _ = with_answers(load_queries(path))
        try:
            table = compare_on_validation(queries, progress, chosen=recipe)
        finally:
            progress.close()
        self.stdout.write(f"{'validation':<58}" + "".join(f"{m:>12}" for m in METRICS))
        for name, figures in table.items():
            values = "".join(f"{figures[m]:>12.4f}" for m in METRICS)
            self.stdout.write(f"{name:<52}{figures['queries']:>6}{values}")
