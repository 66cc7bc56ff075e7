"""python manage.py import_movies --format tmdb ../shared/data/catalogues/tmdb_5000_movies.csv"""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from movies.importers import IMPORTERS
from movies.services import ImportValidationError, movies_import

MAX_WARNINGS_SHOWN = 20


class Command(BaseCommand):
    help = "Import films from catalogue files (validated first; all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--format", required=True, choices=sorted(IMPORTERS))
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid rows and list the invalid ones (default: import nothing)",
        )

    def handle(self, *args, paths, format, skip_invalid, **options):
        show_bar = options["verbosity"] > 0

        def progress(iterable, **kwargs):
            return tqdm(iterable, disable=not show_bar, leave=False, **kwargs)

        try:
            summary = movies_import(
                format=format, paths=paths, skip_invalid=skip_invalid, progress=progress
            )
        except ImportValidationError as error:
            for row_error in error.errors:
                self.stderr.write(str(row_error))
            raise CommandError(
                f"{error}. Fix the rows above, or pass --skip-invalid to import the others."
            ) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        for row_error in summary.errors:
            self.stderr.write(f"skipped {row_error}")
        for warning in summary.warnings[:MAX_WARNINGS_SHOWN]:
            self.stderr.write(f"warning: {warning}")
        if len(summary.warnings) > MAX_WARNINGS_SHOWN:
            self.stderr.write(f"... and {len(summary.warnings) - MAX_WARNINGS_SHOWN} more")
        self.stdout.write(self.style.SUCCESS(summary.line()))
