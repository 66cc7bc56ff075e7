"""The test suite's settings: production's (recsys_site/settings.py), and what only tests need.

pytest uses this module (pyproject's [tool.pytest.ini_options]); the workers the tests start
inherit it through DJANGO_SETTINGS_MODULE."""

from recsys_site.settings import *  # noqa: F403
from recsys_site.settings import DATABASES, RECSYS_DATA_DIR

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file test database, so that a real Celery worker process can see what tests write.
    DATABASES["default"]["TEST"] = {"NAME": str(RECSYS_DATA_DIR / "test-db.sqlite3")}

# A whole suite asks far more than the request budgets allow; the limits' own tests turn
# them back on (tests/site/test_limits.py).
RECSYS_RATELIMIT_ENABLED = False
