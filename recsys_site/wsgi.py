import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")
application = get_wsgi_application()

# runstack's web server (Django's runserver) has no hook before traffic: it warms up beside it.
# gunicorn warms each worker up before its first request instead (gunicorn.conf.py).
if os.environ.get("RECSYS_WARM_UP_IN_BACKGROUND") == "1":
    from recsys_site.warmup import warm_up_in_background

    warm_up_in_background()
