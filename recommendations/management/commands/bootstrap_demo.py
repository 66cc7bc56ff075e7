"""Make a fresh checkout usable: an admin user, the bundled catalogue, its index, the query
encoder's ONNX export. Idempotent."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

CATALOGUE = "data/catalogue.jsonl"


class Command(BaseCommand):
    help = "Create admin/admin if no user exists, import data/catalogue.jsonl, index it."

    def handle(self, *args, **options) -> None:
        users = get_user_model()
        if users.objects.exists():
            self.stdout.write("Users exist: no demo admin created.")
        else:
            users.objects.create_superuser("admin", "admin@example.com", "admin")
            self.stdout.write(self.style.WARNING("Created superuser admin / admin (demo only)."))

        catalogue = settings.BASE_DIR / CATALOGUE
        if catalogue.exists():
            call_command("import_movies", "--format", "jsonl", str(catalogue))
        else:
            self.stdout.write(self.style.WARNING(f"{CATALOGUE} is absent: no catalogue imported."))
        call_command("sync_index")

        from recommendations.query_encoder import get_query_encoder

        if get_query_encoder() is None:  # made here, the web server's first search is not slow
            self.stdout.write(self.style.WARNING("No ONNX query encoder: queries use torch."))
