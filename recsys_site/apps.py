from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


def runtime_folders_make() -> list[Path]:
    """Make the folders every process expects under RECSYS_DATA_DIR (the SQLite database and
    broker need their folder; whitenoise warns about a missing STATIC_ROOT)."""
    folders = [Path(settings.RECSYS_DATA_DIR), Path(settings.STATIC_ROOT)]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    return folders


class SiteConfig(AppConfig):
    """The project itself as an app: a start-up step, so that importing the settings makes
    nothing on disk."""

    name = "recsys_site"
    verbose_name = "Site"

    def ready(self) -> None:
        runtime_folders_make()
