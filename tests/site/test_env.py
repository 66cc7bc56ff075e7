"""Settings from the environment: one name each, checked choices, retired names refused, the
docs' table generated, no folder made by importing the settings (recsys_site/env.py)."""

import os
import subprocess
from pathlib import Path

import environ
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from recsys_site.env import (
    DOCS,
    RETIRED,
    TABLE_END,
    TABLE_START,
    EnvReader,
    docs_with_table,
    refuse_retired_names,
    settings_table,
)
from tests.conftest import run_python

ROOT = Path(__file__).resolve().parents[2]


def test_the_docs_table_is_the_one_settings_py_generates():
    """Run `python -m recsys_site.env` when this fails: it rewrites the table."""
    docs = DOCS.read_text()
    assert docs_with_table(docs, settings_table()) == docs


def test_each_project_variable_sets_the_setting_of_its_own_name():
    from recsys_site import settings as module

    project = [v for v in module.env.variables.values() if v.name.startswith("RECSYS_")]
    assert len(project) > 50
    for variable in project:
        assert variable.setting == variable.name
        assert hasattr(settings, variable.name), variable.name
    others = {v.name for v in module.env.variables.values()} - {v.name for v in project}
    assert all(
        name.startswith(("DJANGO_", "CELERY_")) or name in ("DATABASE_URL", "REDIS_URL")
        for name in others
    ), others


def reader_of(**variables: str) -> EnvReader:
    environment = environ.Env()
    environment.ENVIRON = variables
    return EnvReader(environment)


def test_a_choice_is_read_case_blind_and_a_wrong_one_names_the_variable_and_the_choices():
    assert reader_of(X_MODE=" ONNX ").choice("X_MODE", ("onnx", "torch"), "torch", "") == "onnx"
    assert reader_of().choice("X_MODE", ("onnx", "torch"), "torch", "how") == "torch"
    with pytest.raises(ImproperlyConfigured, match=r"X_MODE='tf': use `onnx` or `torch`"):
        reader_of(X_MODE="tf").choice("X_MODE", ("onnx", "torch"), "torch", "how")


def test_the_table_lists_each_read_with_its_shown_default_and_its_choices():
    reader = reader_of()
    reader.int("RECSYS_A", 3, "how many")
    reader.choice("RECSYS_B", ("x", "y"), "x", "which")
    reader.bool("DJANGO_DEBUG", False, "debug", setting="DEBUG")
    reader.str("RECSYS_C", "/abs/path", "where", shown="`here/`")
    assert reader.markdown_table().splitlines()[2:] == [
        "| `RECSYS_A` | `3` | how many |",
        "| `RECSYS_B` | `x` | which (`x` or `y`) |",
        "| `DJANGO_DEBUG` (`DEBUG`) | `false` | debug |",
        "| `RECSYS_C` | `here/` | where |",
    ]
    text = f"a\n{TABLE_START}\nold\n{TABLE_END}\nb"
    assert docs_with_table(text, "new\n") == f"a\n{TABLE_START}\nnew\n{TABLE_END}\nb"


def test_a_retired_variable_name_stops_start_up_naming_its_new_name():
    refuse_retired_names({"RECSYS_INDEX_BATCH_SIZE": "8"})  # the new names pass
    old, new = next(iter(RETIRED.items()))
    with pytest.raises(ImproperlyConfigured, match=f"{old} is now {new}"):
        refuse_retired_names({old: "x", "PATH": "/bin"})


def manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in RETIRED}
    return run_python(*args, env=base | env)


@pytest.mark.slow
def test_a_deployment_still_using_an_old_name_fails_at_start_up(tmp_path):
    old = "INDEX_BATCH_SIZE"
    result = manage(["manage.py", "check"], {old: "8", "RECSYS_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert f"{old} is now {RETIRED[old]}" in result.stderr


@pytest.mark.slow
def test_importing_the_settings_makes_no_folder_start_up_does(tmp_path):
    data_dir = tmp_path / "var"
    env = {"RECSYS_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "recsys_site.settings"}
    imported = manage(["-c", "import recsys_site.settings"], env)
    assert imported.returncode == 0, imported.stderr
    assert not data_dir.exists()
    checked = manage(["manage.py", "check"], env)
    assert checked.returncode == 0, checked.stderr
    assert (data_dir / "staticfiles").is_dir()
