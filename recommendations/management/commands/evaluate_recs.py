"""python manage.py evaluate_recs [--json] [--path ../shared/data/movielens]"""

import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recommendations.lab.evaluation_records import (
    evaluation_recommenders_compute,
    evaluation_save_recommenders,
)
from recommendations.lab.progress import TqdmProgress

DEFAULT_PATH = Path(settings.BASE_DIR).parent / "shared" / "data" / "movielens"


class Command(BaseCommand):
    help = (
        "Evaluate popularity, item-kNN, EASE, content-only, the hybrid and the home rows' "
        "recommender (rows) on MovieLens ratings "
        "(per-user time split, last 20% held out): Recall@10 and NDCG@10."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")
        parser.add_argument(
            "--no-save", action="store_true", help="do not store the run for the dashboard"
        )

    def handle(self, *args, path: Path, json: bool, no_save: bool = False, **options) -> None:
        if not (path / "ratings.csv").is_file():
            raise CommandError(f"{path / 'ratings.csv'} not found (pass --path)")
        started = time.monotonic()
        progress = TqdmProgress(self.stdout, disable=json)
        try:
            report = evaluation_recommenders_compute(path=path, progress=progress)
        finally:
            progress.close()
        if not no_save:  # kept for the admin dashboard's quality over time
            evaluation_save_recommenders(
                report=report, source=str(path), duration_s=time.monotonic() - started
            )
        if json:
            self.stdout.write(_dumps(report))
            return
        self.stdout.write(
            f"{report['users']} users, {report['items']} films, "
            f"{report['train_interactions']} train / {report['test_interactions']} held out"
        )
        kept = {
            f"{scenario} (films seen later kept among the candidates, the old protocol)": methods
            for scenario, methods in report["results_seen_films_kept"].items()
        }
        for scenario, methods in (report["results"] | kept).items():
            self.stdout.write(f"\n{scenario}")
            self.stdout.write(f"  {'method':<12}{'Recall@10':>11}{'NDCG@10':>10}")
            for name, figures in methods.items():
                self.stdout.write(
                    f"  {name:<12}{figures['recall@10']:>11.4f}{figures['ndcg@10']:>10.4f}"
                )


def _dumps(report: dict) -> str:
    return json.dumps(report, indent=2)
