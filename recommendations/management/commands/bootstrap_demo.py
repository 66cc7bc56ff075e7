"""Make a fresh checkout usable: an admin user, the bundled catalogue, its index, the query
encoder's ONNX export. Idempotent.

The admin/admin account is a public password: it is created only in debug (`make run`) for a
server on a loopback address, never for a server others can reach."""

import ipaddress

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

CATALOGUE = "data/catalogue.jsonl"


class Command(BaseCommand):
    help = (
        "Import data/catalogue.jsonl and index it; in debug, for a server on a loopback "
        "address (--host), create admin/admin if no user exists."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--host", default="127.0.0.1", help="the address the web server will listen on"
        )

    def handle(self, *args, **options) -> None:
        users = get_user_model()
        if not settings.DEBUG:
            self.stdout.write("DEBUG is off: no demo admin created (manage.py createsuperuser).")
        elif not is_loopback(options["host"]):
            self.stdout.write(
                f"The server listens on {options['host']}, not a loopback address: no demo "
                "admin created (manage.py createsuperuser)."
            )
        elif users.objects.exists():
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


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
