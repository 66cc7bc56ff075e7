import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommendations.lab.evaluation_records import evaluation_save_search
from recommendations.lab.progress import TqdmProgress
from recommendations.lab.search_evaluation import METRICS, evaluate, load_queries


class Command(BaseCommand):
    help = (
        "Evaluates search on known-item queries (tomt-dev.jsonl format) over the current "
        "catalogue: MRR@10, nDCG@10, Recall@10, Recall@100 per stage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("queries", type=Path)
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--limit", type=int, default=None, help="first N queries only")
        parser.add_argument(
            "--no-save", action="store_true", help="do not store the run for the dashboard"
        )

    def handle(
        self, *args, queries: Path, json: bool, limit: int | None, no_save: bool, **options
    ) -> None:
        if not queries.is_file():
            raise CommandError(f"{queries}: no such file")
        try:
            items = load_queries(queries)[:limit]
        except ValueError as error:
            raise CommandError(str(error)) from error
        started = time.monotonic()
        progress = TqdmProgress(self.stdout, disable=json)
        try:
            report = evaluate(items, progress=progress)
        finally:
            progress.close()
        if not no_save:  # kept for the admin dashboard's quality over time
            evaluation_save_search(
                report=report, source=str(queries), duration_s=time.monotonic() - started
            )
        if json:
            self.stdout.write(_json_dumps(report.as_dict()))
            return
        self.stdout.write(
            f"{report.evaluated} queries evaluated, {report.skipped} skipped "
            "(answer not in the catalogue)"
        )
        self.stdout.write(f"reranked stage: {report.reranker}")
        if n := report.trained_on:
            queries_left = f"{n} quer{'y' if n == 1 else 'ies'}"
            self.stdout.write(f"{queries_left} left out: the reranker trained on them")
        self.stdout.write(f"{'stage':<10}" + "".join(f"{m:>12}" for m in METRICS))
        for stage, metrics in report.stages.items():
            self.stdout.write(f"{stage:<10}" + "".join(f"{metrics[m]:>12.3f}" for m in METRICS))
        fused, reranked = (report.stages.get(s, {}).get("ndcg@10") for s in ("fused", "reranked"))
        if fused and reranked is not None:
            self.stdout.write(
                f"nDCG@10 reranked / fused: {reranked:.4f} / {fused:.4f} = x{reranked / fused:.3f}"
            )


def _json_dumps(data: dict) -> str:
    return json.dumps(data, sort_keys=False)
