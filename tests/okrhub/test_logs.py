"""Structured logs (okrhub/logs.py): JSON lines with the request id, returned as X-Request-ID and carried into
Celery tasks; expected 403/404 are one line each, without a traceback."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from django.urls import reverse

from okrhub.celery import app as celery_app
from okrhub.logs import (
    JsonFormatter,
    RequestContextFilter,
    adopt_request_id,
    attach_request_id,
    release_request_id,
    request_id_var,
)

task_logger = logging.getLogger("tests.okrhub.task")


@celery_app.task(name="tests.okrhub.log_the_request_id", soft_time_limit=10, time_limit=20)
def log_the_request_id():
    task_logger.info("task ran")
    return request_id_var.get()


@pytest.fixture
def json_lines():
    """Every record logged during the test, formatted as settings.LOGGING does with LOG_FORMAT=json."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(previous_level)


def _request_line(lines, path):
    found = [line for line in lines if line["logger"] == "okrhub.request" and line["path"] == path]
    assert len(found) == 1, lines
    return found[0]


def test_a_request_is_one_json_line_with_id_user_path_status_and_duration(org, login, json_lines):
    client = login(org.member)
    response = client.get(reverse("teams:list"))
    assert response.status_code == 200
    line = _request_line(json_lines(), reverse("teams:list"))
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == org.member.pk
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO"
    assert line["ts"].endswith("+00:00")


def test_an_anonymous_request_has_no_user_id_and_loads_no_user(db, client, json_lines):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    line = _request_line(json_lines(), "/accounts/login/")
    assert line["user_id"] is None
    assert len(line["request_id"]) == 32


def test_a_well_formed_request_id_is_kept(db, client, json_lines):
    given = "3f1c9e0a-7d42-4b1e-9a55-0c8f2d6b1e77"
    response = client.get(reverse("login"), HTTP_X_REQUEST_ID=given)
    assert response["X-Request-ID"] == given
    assert _request_line(json_lines(), "/accounts/login/")["request_id"] == given


@pytest.mark.parametrize(
    "bad",
    [
        "short",
        "x" * 200,
        "has space in it",
        '<script>alert("x")</script>',
        "line\nbreak-injected",
        "ÆØÅ-ÆØÅ-ÆØÅ",
    ],
)
def test_a_malformed_request_id_is_replaced(db, client, bad, json_lines):
    response = client.get(reverse("login"), HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"] != bad
    assert len(response["X-Request-ID"]) == 32
    assert bad not in json.dumps(json_lines())


@pytest.mark.parametrize("path", ["/healthz", "/no/such/page/", "/api/v1/key-results/", "/static/none.css"])
def test_every_response_carries_a_request_id(db, client, path):
    response = client.get(path)
    assert len(response["X-Request-ID"]) == 32


def test_probes_are_not_logged(db, client, json_lines):
    client.get("/healthz")
    client.get("/healthz/db")
    assert [line for line in json_lines() if line["logger"] == "okrhub.request"] == []


def test_a_404_is_one_line_without_a_traceback(org, login, json_lines):
    client = login(org.member)
    response = client.get(reverse("objective_detail", args=[987654]))
    assert response.status_code == 404
    lines = json_lines()
    not_found = [line for line in lines if line["logger"] == "django.request"]
    assert [line["message"] for line in not_found] == ["Not Found: /objectives/987654/"]
    assert "exc" not in not_found[0]
    assert not_found[0]["request_id"] == response["X-Request-ID"]
    assert _request_line(lines, "/objectives/987654/")["status"] == 404


def test_a_403_is_one_line_without_a_traceback(org, login, json_lines):
    client = login(org.member)
    response = client.post(reverse("people:unlock", args=[org.teammate.pk]))
    assert response.status_code == 403
    refused = [line for line in json_lines() if line["logger"] == "django.request"]
    assert len(refused) == 1
    assert refused[0]["message"].startswith("Forbidden")
    assert "exc" not in refused[0]


def test_a_real_error_keeps_its_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(JsonFormatter().format(record))
    assert "Traceback" in line["exc"] and "ValueError: boom" in line["exc"]


def test_extra_fields_and_odd_values_stay_valid_json():
    record = logging.makeLogRecord(
        {"name": "x", "levelname": "INFO", "msg": 'quote " and\nnewline æøå', "object": object()}
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == 'quote " and\nnewline æøå'
    assert line["object"].startswith("<object object")


# --- Celery ------------------------------------------------------------------------------------------------


def test_the_request_id_goes_into_a_published_tasks_headers():
    token = request_id_var.set("req-0123456789")
    try:
        headers = {"task": "x"}
        attach_request_id(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers["request_id"] == "req-0123456789"
    untouched = {"task": "x"}
    attach_request_id(headers=untouched)  # no request: nothing added
    assert "request_id" not in untouched


def test_a_task_adopts_the_id_from_its_headers_and_lets_go_afterwards():
    class Task:
        class request:  # noqa: N801 — Celery's task.request, as the worker fills it from message headers
            request_id = "req-from-headers-1"

    adopt_request_id(task_id="t1", task=Task)
    assert request_id_var.get() == "req-from-headers-1"
    release_request_id(task_id="t1")
    assert request_id_var.get() is None
    Task.request.request_id = "bad id with spaces"
    adopt_request_id(task_id="t2", task=Task)
    assert request_id_var.get() is None


def test_a_task_run_eagerly_logs_the_request_id(celery_eager, json_lines):
    token = request_id_var.set("req-eager-000001")
    try:
        result = log_the_request_id.delay()
    finally:
        request_id_var.reset(token)
    assert result.get() == "req-eager-000001"
    ran = [line for line in json_lines() if line["logger"] == task_logger.name]
    assert [line["request_id"] for line in ran] == ["req-eager-000001"]


REDIS_URL = os.environ.get("OPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/8")  # our own db (scale-out: 15)


@pytest.mark.integration
def test_a_real_worker_logs_json_with_the_publishing_requests_id(tmp_path):
    """A real `celery -A okrhub worker` (LOG_FORMAT=json) on Redis: the task's log line carries the id the
    publishing side had, and the worker writes the heartbeat that `manage.py worker_alive` reads."""
    from tests.okrhub.test_worker_alive import run_worker, worker_queue
    from tests.servers import redis_db

    redis_db(REDIS_URL)
    with run_worker(tmp_path, REDIS_URL) as worker:
        token = request_id_var.set("req-worker-000042")
        try:
            with celery_app.connection_for_write(REDIS_URL) as conn:
                sent = celery_app.send_task(
                    "celery.accumulate", args=(1, 2), connection=conn, queue=worker_queue()
                )
        finally:
            request_id_var.reset(token)
        line = worker.wait_for(
            lambda entry: sent.id in entry.get("message", "") and "succeeded" in entry["message"]
        )
        assert line["request_id"] == "req-worker-000042"
        assert line["logger"] == "celery.app.trace"
        alive = subprocess.run(
            [sys.executable, "manage.py", "worker_alive"], env=worker.env, capture_output=True, text=True
        )
        assert alive.returncode == 0, alive.stderr
