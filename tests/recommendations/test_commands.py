"""The management commands: sync_index, check_index, bootstrap_demo, runstack, and the train_*
commands' errors."""

import os
import re
import signal
import subprocess
import sys
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from bench.processes import ROOT, children_of, free_port, wait_until
from movies.models import Movie


@pytest.mark.django_db
def test_sync_index_then_check_index_agree_and_check_fails_on_drift(chroma, catalogue, capsys):
    with pytest.raises(CommandError):
        call_command("check_index")  # nothing indexed yet
    assert "missing: 12" in capsys.readouterr().out

    call_command("sync_index")
    call_command("check_index")
    assert "missing: 0" in capsys.readouterr().out

    Movie.objects.filter(pk=catalogue[0].pk).update(synopsis="Changed behind the index's back.")
    with pytest.raises(CommandError):
        call_command("check_index")
    assert f"stale: 1 ({catalogue[0].pk})" in capsys.readouterr().out

    call_command("sync_index")  # trusts the film's record: it was not saved through the ORM
    with pytest.raises(CommandError):
        call_command("check_index")
    call_command("sync_index", "--verify")
    call_command("check_index")
    call_command("sync_index", "--rebuild")
    captured = capsys.readouterr()
    assert "12/12" in captured.err and "film/s" in captured.err  # the bar, at its end
    assert re.search(
        r"12 films indexed, 0 failed, 12 in all \([\d.]+ s, [\d.]+ films/s\)", captured.out
    )
    call_command("check_index")
    out = capsys.readouterr().out
    assert "12 films, 12 vectors" in out and "The index matches the catalogue." in out


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["train_reranker", "train_retriever"])
def test_train_commands_report_a_missing_file_and_an_empty_catalogue_as_errors(
    command, settings, tmp_path
):
    from recommendations.models import TrainedModel

    settings.RECSYS_MODELS_DIR = tmp_path / "models"
    with pytest.raises(CommandError, match=r"--queries: .*missing\.jsonl is not a file"):
        call_command(command, "--tiny", "--queries", str(tmp_path / "missing.jsonl"))
    with pytest.raises(CommandError, match="the catalogue has 0 films: too few to train"):
        call_command(command, "--tiny", "--epochs", "1")
    assert not TrainedModel.objects.exists()


@pytest.mark.django_db
def test_bootstrap_demo_is_idempotent(chroma, catalogue, capsys, settings, tmp_path):
    from recommendations import query_encoder

    settings.RECSYS_MODELS_DIR = tmp_path / "models"
    settings.DEBUG = True  # `make run`
    query_encoder.get_query_encoder.cache_clear()
    call_command("bootstrap_demo")
    assert query_encoder.onnx_path().is_file()  # made before the web server's first search
    query_encoder.get_query_encoder.cache_clear()
    call_command("bootstrap_demo")
    call_command("bootstrap_demo")

    out = capsys.readouterr().out
    assert get_user_model().objects.get().username == "admin"
    assert get_user_model().objects.get().check_password("admin")
    assert "Users exist: no demo admin created." in out
    assert "The index is up to date." in out  # the second run found nothing to do
    assert Movie.objects.exclude(index_state="indexed").count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("debug", "host", "created"),
    [(False, "127.0.0.1", False), (True, "0.0.0.0", False), (True, "::1", True)],
)
def test_bootstrap_demo_creates_admin_admin_only_in_debug_on_loopback(
    chroma, catalogue, capsys, settings, debug, host, created
):
    settings.DEBUG = debug

    call_command("bootstrap_demo", "--host", host)

    assert get_user_model().objects.filter(username="admin").exists() is created
    assert Movie.objects.exclude(index_state="indexed").count() == 0  # the rest still runs


@pytest.mark.slow
def test_runstack_serves_pages_and_stops_every_child_on_ctrl_c(tmp_path):
    env = {**os.environ, "RECSYS_DATA_DIR": str(tmp_path), "REDIS_URL": "", "RECSYS_CHROMA_URL": ""}
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    port = free_port()
    log = (tmp_path / "runstack.log").open("wb")
    stack = subprocess.Popen(
        [*manage, "runstack", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until(lambda: len(children_of(stack.pid)) == 3, timeout=60, what="3 children")
        children = children_of(stack.pid)
        page = wait_until(
            lambda: _get(f"http://127.0.0.1:{port}/"), timeout=60, what="the web server"
        )
        assert page.status == 200
        assert (tmp_path / "chroma-server.json").exists()
        wait_until(lambda: b" ready." in (tmp_path / "runstack.log").read_bytes(), timeout=90)

        stack.send_signal(signal.SIGINT)  # what Ctrl-C does
        assert stack.wait(60) == 0
        for pid in children:
            assert not os.path.exists(f"/proc/{pid}") or _zombie(pid)
        assert not (tmp_path / "chroma-server.json").exists()
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGKILL)
        for pid in children_of(stack.pid):
            os.kill(pid, signal.SIGKILL)


def _get(url: str):
    try:
        return urllib.request.urlopen(url, timeout=2)
    except OSError:
        return None


def _zombie(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
