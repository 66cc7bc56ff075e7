from django.apps import AppConfig


class ViewersConfig(AppConfig):
    name = "viewers"
    verbose_name = "Viewers: likes, lists and ratings"

    def ready(self) -> None:
        from viewers import signals  # noqa: F401  (connects the log-in merge)
