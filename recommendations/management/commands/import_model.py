"""Register a model version trained in another install (its directory, copied from that
install's RECSYS_MODELS_DIR/<kind>/<version>/) in this one: the files are copied under this
install's RECSYS_MODELS_DIR and the version registered with its recorded figures. A retriever
made active here is used once the index is rebuilt (`sync_index`)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations.models import TrainedModel
from recommendations.trained_models import trained_model_import


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=TrainedModel.Kind.values)
        parser.add_argument("directory", type=Path, help="the version's directory")
        parser.add_argument("--activate", action="store_true", help="make it the active one")

    def handle(self, *args, kind: str, directory: Path, activate: bool, **options):
        try:
            model = trained_model_import(kind=kind, source=directory, activate=activate)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"registered {model}")
        if model.is_active and kind == TrainedModel.Kind.RETRIEVER:
            self.stdout.write("the index is rebuilt with it on the next sync: run sync_index")
