"""Production settings, health endpoints, security headers and the request limit."""

import os
import secrets
import subprocess
from pathlib import Path

import pytest

from tests.brokers import DEAD_BROKER_URL, celery_broker
from tests.conftest import run_python

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="recsys.example.com",
        RECSYS_DATA_DIR=str(tmp_path),
    )
    return env


def test_check_deploy_prints_no_warnings_under_production_settings(tmp_path):
    result = run_python(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    result = run_python("manage.py", "check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_healthz_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


PROBE_TOKEN = "probe-token-for-tests"


@pytest.fixture
def probe(settings):
    settings.RECSYS_READYZ_TOKEN = PROBE_TOKEN
    return {"Authorization": f"Bearer {PROBE_TOKEN}"}


@pytest.mark.django_db
def test_readyz_reports_every_part_ready(client, probe):
    response = client.get("/readyz", headers=probe)
    body = response.json()
    assert response.status_code == 200, body
    assert set(body["checks"]) == {"database", "broker", "chroma", "models"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_readyz_is_unavailable_and_names_the_broker_when_it_is_down(client, probe):
    with celery_broker(DEAD_BROKER_URL):
        response = client.get("/readyz", headers=probe)
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_readyz_tells_the_public_ready_or_not_and_nothing_else(client, probe):
    assert client.get("/readyz").json() == {"status": "ready"}
    wrong = client.get("/readyz", headers={"Authorization": "Bearer guess"})
    assert wrong.json() == {"status": "ready"}
    with celery_broker(DEAD_BROKER_URL):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}  # no exception text, host or user


@pytest.mark.django_db
def test_readyz_gives_staff_the_details(admin_client, settings):
    settings.RECSYS_READYZ_TOKEN = ""  # staff need no token

    body = admin_client.get("/readyz").json()

    assert set(body["checks"]) == {"database", "broker", "chroma", "models"}


def settings_value(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    code = f"from django.conf import settings; print({expression})"
    return run_python("manage.py", "shell", "--no-imports", "-c", code, env=env)


def test_debug_is_off_unless_asked_for(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_DEBUG"]

    result = settings_value(env, "settings.DEBUG")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_production_refuses_the_public_development_key(tmp_path):
    from recsys_site.settings import DEV_SECRET_KEY

    env = {**production_env(tmp_path), "DJANGO_SECRET_KEY": DEV_SECRET_KEY}

    result = settings_value(env, "settings.SECRET_KEY")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_forwarded_proto_is_trusted_only_when_configured(tmp_path):
    """Behind no proxy, a client's own X-Forwarded-Proto: https must not make Django believe
    the connection is secure (docker-compose's nginx sets and overwrites it)."""
    env = production_env(tmp_path)

    plain = settings_value(env, "getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)")
    env["DJANGO_SECURE_PROXY_SSL_HEADER"] = "true"
    behind_proxy = settings_value(env, "settings.SECURE_PROXY_SSL_HEADER")

    assert plain.stdout.strip() == "None", plain.stderr
    assert behind_proxy.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')"


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_script(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_search_requests_over_the_limit_get_429_with_retry_after(
    client, settings, one_fixed_minute
):
    settings.RECSYS_RATELIMIT_ENABLED = True
    settings.RECSYS_RATELIMIT_PER_MINUTE = 3
    statuses = [
        client.get("/", {"q": "heist"}, REMOTE_ADDR="10.9.8.7").status_code for _ in range(5)
    ]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    limited = client.get("/", {"q": "heist"}, REMOTE_ADDR="10.9.8.7")
    assert 1 <= int(limited["Retry-After"]) <= 61
    # another client is not limited by the first one's requests
    assert client.get("/", {"q": "heist"}, REMOTE_ADDR="10.9.8.8").status_code == 200
