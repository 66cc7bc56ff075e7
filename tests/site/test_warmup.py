"""A web worker's warm-up loads what its first request would: the views (LangChain with the
"why" panels' ones, half a second) and the templates, so that no viewer waits for them and the
garbage collector never walks them (recsys_site.warmup, docs/benchmarks.md). gunicorn runs it
before a worker's first request; runstack's runserver, which has no such hook, beside it."""

import json
import os
from pathlib import Path

import django
import pytest

from recsys_site.warmup import project_templates
from tests.conftest import run_python

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: this test process has long imported the views.
AFTER_WARM_UP = """
import json, sys
import django
django.setup()
before = "recommendations.explain.views" in sys.modules
from django.template import engines
from django.urls import get_resolver
import threading
import recsys_site.wsgi  # as runstack's runserver loads it, RECSYS_WARM_UP_IN_BACKGROUND=1
(warming,) = [t for t in threading.enumerate() if t.name == "warm-up"]
warming.join(120)
loaders = engines["django"].engine.template_loaders
# the cached loader, under django-template-partials' own
cached = next(inner for loader in loaders for inner in getattr(loader, "loaders", [loader])
              if hasattr(inner, "get_template_cache"))
print(json.dumps({
    "views before": before,
    "views after": "recommendations.explain.views" in sys.modules,
    "patterns compiled": get_resolver()._populated,
    "templates compiled": sorted(cached.get_template_cache),
}))
"""


@pytest.mark.slow
def test_the_warm_up_imports_the_views_and_compiles_the_templates():
    """Through the WSGI module as runstack's web server loads it: on a thread of its own."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "RECSYS_WARM_UP_IN_BACKGROUND": "1",
    }
    run = run_python("-c", AFTER_WARM_UP, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    loaded = json.loads(run.stdout.strip().splitlines()[-1])

    assert not loaded["views before"]
    assert loaded["views after"]
    assert loaded["patterns compiled"]
    compiled = set(loaded["templates compiled"])
    assert {"recommendations/search.html", "viewers/_film_actions.html", "base.html"} <= compiled
    # the admin's own pages (an installed package's) are left to their first use
    assert "admin/change_list.html" not in compiled


def test_only_the_projects_own_templates_are_named():
    admin = Path(django.__file__).parent / "contrib" / "admin" / "templates"

    names = project_templates([ROOT / "templates", admin, ROOT / "recommendations" / "templates"])

    assert "recommendations/search.html" in names
    assert "admin/base.html" not in names  # Django's own, under the admin package
    assert all(not name.startswith("/") for name in names)
