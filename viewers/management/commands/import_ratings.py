"""python manage.py import_ratings --format movielens PATH [--skip-invalid]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from viewers.importers.ratings import RatingsImportError, ratings_import_movielens

FORMATS = {"movielens": ratings_import_movielens}


class Command(BaseCommand):
    help = "Import ratings (MovieLens ratings.csv) onto catalogue films; idempotent, atomic."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=sorted(FORMATS), default="movielens")
        parser.add_argument("--skip-invalid", action="store_true")

    def handle(self, *args, path: Path, format: str, skip_invalid: bool, **options) -> None:
        if path.is_dir():
            path = path / "ratings.csv"
        if not path.is_file():
            raise CommandError(f"{path} not found")
        with tqdm(desc="ratings", unit=" rows") as bar:
            try:
                result = FORMATS[format](path=path, skip_invalid=skip_invalid, progress=bar.update)
            except RatingsImportError as error:
                raise CommandError(str(error)) from error
        for problem in result.skipped[:20]:
            self.stderr.write(f"skipped {problem}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.created} created, {result.updated} updated, {result.unchanged} "
                f"unchanged, {result.unmatched_films} for films not in the catalogue, "
                f"{len(result.skipped)} invalid skipped"
            )
        )
