"""The Celery app: configured from Django settings (CELERY_* names), tasks autodiscovered."""

import os

from celery import Celery

from recsys_site import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")
broker.register()  # the embedded SQLite broker's URL scheme, before any connection is made

app = Celery("recsys_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["recommendations.recommenders"])  # tasks outside an app's tasks.py
