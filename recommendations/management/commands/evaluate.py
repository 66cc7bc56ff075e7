import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommendations.lab.evaluation_records import evaluation_save_search
from recommendations.lab.progress import TqdmProgress
from recommendations.lab.search_evaluation import (
    METRICS,
    SPLITS,
    evaluate,
    in_split,
    load_queries,
)
from recommendations.lab.short_queries import (
    SHORT_QUERIES_PATH,
    GradedReport,
    evaluate_graded,
    load_graded_queries,
)


class Command(BaseCommand):
    help = (
        "Evaluates search on known-item queries (tomt-dev.jsonl format) over the current "
        "catalogue: MRR@10, nDCG@10, Recall@10, Recall@100 per stage; with --short-queries, "
        "graded nDCG@10 per stage on short descriptive queries (data/short_queries.jsonl)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("queries", type=Path, nargs="?")
        parser.add_argument(
            "--short-queries",
            type=Path,
            nargs="?",
            const=SHORT_QUERIES_PATH,
            default=None,
            help=f"graded short queries (default {SHORT_QUERIES_PATH.name} in data/)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--limit", type=int, default=None, help="first N queries only")
        parser.add_argument(
            "--split",
            choices=SPLITS,
            help="only these queries of the fixed split (lab/split.py, lab/retriever_training.py): "
            "held-out (the quarter no model trains or chooses on) or validation (what the "
            "retriever's choices are made on)",
        )
        parser.add_argument(
            "--no-save", action="store_true", help="do not store the run for the dashboard"
        )

    def handle(
        self,
        *args,
        queries: Path | None,
        short_queries: Path | None,
        json: bool,
        limit: int | None,
        no_save: bool,
        split: str | None = None,
        **options,
    ) -> None:
        if queries is None and short_queries is None:
            raise CommandError("give a queries file, --short-queries, or both")
        if queries is not None and not queries.is_file():
            raise CommandError(f"{queries}: no such file")
        graded = self._graded(short_queries, limit, quiet=json) if short_queries else None
        if queries is None:
            self._write_graded(graded, json=json, known_item={})
            return
        try:
            items = in_split(load_queries(queries), split)[:limit]
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
            self._write_graded(graded, json=True, known_item=report.as_dict())
            return
        self.stdout.write(
            f"{report.evaluated} queries evaluated, {report.skipped} skipped "
            "(answer not in the catalogue)"
        )
        self.stdout.write(f"fused stage: {report.fusion}")
        self.stdout.write(f"reranked stage: {report.reranker}")
        if report.reranker_serves:
            self.stdout.write(f"  it reorders: {report.reranker_serves}")
        self.stdout.write(f"dense stage: {report.retriever}")
        if n := report.retriever_trained_on:
            self.stdout.write(f"{n} queries left out: the retriever trained on them")
        if n := report.trained_on:
            queries_left = f"{n} quer{'y' if n == 1 else 'ies'}"
            self.stdout.write(f"{queries_left} left out: a learned stage trained on them")
        self.stdout.write(f"{'stage':<10}" + "".join(f"{m:>12}" for m in METRICS))
        for stage, metrics in report.stages.items():
            self.stdout.write(f"{stage:<10}" + "".join(f"{metrics[m]:>12.3f}" for m in METRICS))
        fused, reranked = (report.stages.get(s, {}).get("ndcg@10") for s in ("fused", "reranked"))
        if fused and reranked is not None:
            self.stdout.write(
                f"nDCG@10 reranked / fused: {reranked:.4f} / {fused:.4f} = x{reranked / fused:.3f}"
            )
        self._write_graded(graded, json=False, known_item={})

    def _graded(self, path: Path, limit: int | None, *, quiet: bool) -> GradedReport:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            items = load_graded_queries(path)[:limit]
        except ValueError as error:
            raise CommandError(str(error)) from error
        progress = TqdmProgress(self.stdout, disable=quiet)
        try:
            return evaluate_graded(items, progress=progress)
        finally:
            progress.close()

    def _write_graded(self, graded: GradedReport | None, *, json: bool, known_item: dict) -> None:
        """JSON: the known-item metrics per stage, each stage with `graded_ndcg@10` added
        when the short queries ran. Text: a table of its own."""
        if json:
            stages = {stage: dict(metrics) for stage, metrics in known_item.items()}
            for stage, value in (graded.stages if graded else {}).items():
                stages.setdefault(stage, {})["graded_ndcg@10"] = value
            self.stdout.write(_json_dumps(stages))
            return
        if graded is None:
            return
        self.stdout.write(
            f"short queries: {graded.evaluated} evaluated, {graded.skipped} skipped "
            "(no judged film in the catalogue)"
        )
        self.stdout.write(f"{'stage':<10}{'graded nDCG@10':>16}")
        for stage, value in graded.stages.items():
            self.stdout.write(f"{stage:<10}{value:>16.3f}")


def _json_dumps(data: dict) -> str:
    return json.dumps(data, sort_keys=False)
