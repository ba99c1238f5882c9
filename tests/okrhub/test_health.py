"""Probes (okrhub/health.py): /healthz never fails for a dependency, /readyz says which one failed, and why.

Failures are real: the database, the cache and the broker are pointed at a closed loopback port (or, on
SQLite, at a file in a folder that does not exist); only a migration "not applied" is made by deleting its
row in django_migrations inside the test's transaction.
"""

from __future__ import annotations

import copy
import os
import time
from unittest import mock

import pytest
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import load_backend

from tests.servers import free_port

REDIS_URL = os.environ.get("OPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/8")  # our own db (scale-out: 15)


def _redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"Redis does not answer at {REDIS_URL} ({exc}); the broker check needs a real one")


@pytest.fixture
def live_broker(settings):
    _redis_or_skip()
    settings.CELERY_BROKER_URL = REDIS_URL
    settings.CELERY_TASK_ALWAYS_EAGER = False


@pytest.fixture
def dead_database(tmp_path):
    """A connection to the test database's engine where no database is."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = str(tmp_path / "no-such-folder" / "db.sqlite3")
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    dead = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias="dead")
    with mock.patch("okrhub.health.connections", {DEFAULT_DB_ALIAS: dead}):
        yield dead
    dead.close()


def _dead_redis_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/15"


@pytest.mark.django_db
def test_readyz_answers_ok_with_one_entry_per_check(client, live_broker):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["database"]["detail"] == "reachable, migrations applied"


@pytest.mark.django_db
def test_readyz_answers_503_when_the_database_is_unreachable(client, live_broker, dead_database):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert "OperationalError" in body["checks"]["database"]["detail"]
    assert body["checks"]["cache"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


@pytest.mark.django_db
def test_readyz_answers_503_while_a_migration_is_not_applied(client, live_broker):
    recorder = MigrationRecorder(connection)
    latest = recorder.migration_qs.filter(app="checkins").order_by("-id").first()
    latest.delete()  # undone with the test's transaction
    response = client.get("/readyz?check=database")
    assert response.status_code == 503
    detail = response.json()["checks"]["database"]["detail"]
    assert detail.startswith("CheckFailed: 1 migration(s) not applied")
    assert f"checkins.{latest.name}" in detail


@pytest.mark.django_db
def test_readyz_answers_503_when_the_cache_is_unreachable(client, live_broker, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _dead_redis_url(),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"]["ok"] is False
    assert "ConnectionError" in checks["cache"]["detail"]
    assert checks["database"]["ok"] is True


@pytest.mark.django_db
def test_readyz_answers_503_within_seconds_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = _dead_redis_url()
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False
    assert checks["database"]["ok"] is True
    assert checks["cache"]["ok"] is True


@pytest.mark.django_db
def test_readyz_runs_only_the_checks_asked_for(client, settings):
    settings.CELERY_BROKER_URL = _dead_redis_url()  # would fail, but is not asked
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/readyz?check=database&check=cache")
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "cache"}


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["check=everything", "check=<script>", "check=" + "x" * 5000])
def test_readyz_refuses_an_unknown_check(client, query):
    response = client.get(f"/readyz?{query}")
    assert response.status_code == 400
    assert response.json()["checks"] == ["database", "cache", "broker"]


@pytest.mark.django_db
def test_healthz_asks_no_dependency_and_stays_ok_when_all_are_down(
    client, settings, dead_database, django_assert_num_queries
):
    settings.CELERY_BROKER_URL = _dead_redis_url()
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _dead_redis_url()}
    }
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_the_database_probe_is_one_query_and_503_without_a_database(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get("/healthz/db").status_code == 200


@pytest.mark.django_db
def test_the_database_probe_answers_503_without_a_database(client, dead_database):
    response = client.get("/healthz/db")
    assert response.status_code == 503


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz?check=database"])
def test_probes_answer_a_kubelet_by_address_over_plain_http(client, settings, path):
    # A kubelet or a container healthcheck asks http://<pod address>:8000/…, which ALLOWED_HOSTS refuses
    # and SECURE_SSL_REDIRECT would redirect; the probes answer before either.
    settings.ALLOWED_HOSTS = ["okr.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(path, HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    # The same host on any other path is still refused.
    assert client.get("/accounts/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/healthz/db"])
def test_probes_take_no_writes(client, path):
    assert client.post(path).status_code == 405
