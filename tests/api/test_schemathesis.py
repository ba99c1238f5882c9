"""Property-based run of every operation in the OpenAPI schema (schemathesis) against the WSGI app.

It sends generated (valid and invalid) requests with a token, once as staff (every write path reaches the
services) and once as a team lead (permission checks), and fails on any 5xx or any documented response whose
body breaks the schema. Few examples per operation keep each run around half a minute.
"""

from __future__ import annotations

import base64
from contextlib import contextmanager

import hypothesis
import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.models import Status
from schemathesis.runner import events, from_schema
from schemathesis.specs.openapi.checks import response_schema_conformance

from checkins.services import feedback_create
from tests.factories import CheckInFactory, InitiativeFactory
from workshops.services import kpi_checkin_submit, kpi_promote

EXAMPLES_PER_OPERATION = 6


@contextmanager
def same_connection():
    # The WSGI handler closes "old" connections around each request, which would end the test's
    # transaction; Django's own test client switches this off the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def describe(result) -> str:
    lines = [f"{result.method} {result.path}"]
    for check in result.checks:
        if check.value == Status.failure:
            lines.append(
                f"  {check.name}: {check.message} — {check.example.path_parameters} {check.example.query}"
            )
            if check.response is not None:
                body = base64.b64decode(check.response.body or "").decode(errors="replace")
                lines.append(f"    → {check.response.status_code} {body[:300]}")
    for error in result.errors:
        lines.append(f"  error: {error.exception}")
    return "\n".join(lines)


def run_schemathesis(org, user) -> tuple[list[str], events.Finished | None]:
    CheckInFactory(key_result=org.key_result, author=org.member)
    InitiativeFactory(objective=org.objective, key_result=org.key_result, owner=org.member)
    kpi = kpi_promote(
        key_result=org.key_result, actor=org.lead, name="KPI", unit="", kind="stay_above", target_value=1
    )
    kpi_checkin_submit(kpi=kpi, author=org.member, value=2)
    feedback_create(key_result=org.key_result, author=org.lead, body="Hei")
    raw_schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    schema = schemathesis.from_dict(raw_schema, app=WSGIHandler())
    token, _ = Token.objects.get_or_create(user=user)
    runner = from_schema(
        schema,
        checks=[not_a_server_error, response_schema_conformance],
        headers={"Authorization": f"Token {token.key}"},
        hypothesis_settings=hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
        ),
    )
    rest_framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": None, "auth": None}}
    problems: list[str] = []
    finished = None
    with override_settings(REST_FRAMEWORK=rest_framework), same_connection():
        for event in runner.execute():
            if isinstance(event, events.AfterExecution) and event.status in (Status.failure, Status.error):
                problems.append(describe(event.result))
            elif isinstance(event, events.InternalError):
                problems.append(f"internal error: {event.exception_with_traceback}")
            elif isinstance(event, events.Finished):
                finished = event
    return problems, finished


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["staff", "lead"])
def test_it_answers_every_generated_request_without_server_errors_or_schema_violations(org, who):
    problems, finished = run_schemathesis(org, getattr(org, who))
    assert finished is not None
    assert not problems, "\n".join(problems)
    assert finished.passed_count >= 30  # every operation ran
