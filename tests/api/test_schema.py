"""The OpenAPI contract: valid, warning-free, with the paths and field names of the public contract."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

CONTRACT = {
    "Team": {"id", "name", "slug", "parent", "archived_at"},
    "Membership": {"id", "team", "user", "role"},
    "User": {"id", "username", "full_name"},
    "Cycle": {"id", "name", "start_date", "end_date", "status"},
    "Objective": {"id", "team", "cycle", "title", "description", "owner", "parent", "status", "progress"},
    "KeyResult": {
        "id",
        "objective",
        "title",
        "owner",
        "kind",
        "unit",
        "start_value",
        "target_value",
        "weight",
        "current_value",
        "confidence",
        "progress",
        "expected_progress",
        "health",
    },
    "Milestone": {"date", "planned_value"},
    "Initiative": {"id", "objective", "key_result", "title", "owner", "status", "due_date"},
    "CheckIn": {"id", "key_result", "value", "confidence", "note", "author", "source", "created_at"},
    "Invitation": {"id", "email", "name", "team", "role", "state", "created_at", "expires_at", "invited_by"},
    "Kpi": {
        "id",
        "team",
        "name",
        "kind",
        "unit",
        "start_value",
        "target_value",
        "current_value",
        "progress",
        "last_measured_at",
        "source_key_result",
        "created_at",
    },
    "KpiMeasurement": {"id", "kpi", "value", "note", "author", "created_at"},
    "Feedback": {
        "id",
        "key_result",
        "checkin",
        "parent",
        "author",
        "recipient",
        "body",
        "created_at",
        "read_at",
    },
}
READ_ONLY = {
    "Milestone": set(),
    "Team": {"id", "archived_at"},
    "Objective": {"id", "progress"},
    "KeyResult": {"id", "current_value", "confidence", "progress", "expected_progress", "health"},
    "CheckIn": {"id", "author", "source", "created_at"},
    "Invitation": {"id", "state", "created_at", "expires_at", "invited_by"},
    "Kpi": {"id", "team", "name", "current_value", "progress", "last_measured_at", "source_key_result"},
    "KpiMeasurement": {"id", "author", "created_at"},
    "Feedback": {"id", "author", "recipient", "created_at", "read_at"},
}
PATHS = [
    "/api/v1/auth/token/",
    "/api/v1/teams/",
    "/api/v1/memberships/",
    "/api/v1/users/",
    "/api/v1/cycles/",
    "/api/v1/cycles/{id}/close/",
    "/api/v1/objectives/",
    "/api/v1/key-results/",
    "/api/v1/key-results/{id}/milestones/",
    "/api/v1/initiatives/",
    "/api/v1/checkins/",
    "/api/v1/invitations/",
    "/api/v1/invitations/{id}/revoke/",
    "/api/v1/kpis/",
    "/api/v1/kpi-measurements/",
    "/api/v1/feedback/",
    "/api/v1/feedback/{id}/read/",
]


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_it_generates_the_schema_without_warnings(tmp_path):
    # Raises on any warning or error, and validates against the OpenAPI 3 specification.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def test_it_keeps_the_contracted_paths(schema):
    for path in PATHS:
        assert path in schema["paths"]
    assert "/api/v1/checkins/{id}/" in schema["paths"]


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_it_keeps_the_contracted_fields(schema, name):
    component = schema["components"]["schemas"][name]
    assert set(component["properties"]) == CONTRACT[name]
    read_only = {field for field, spec in component["properties"].items() if spec.get("readOnly")}
    assert READ_ONLY.get(name, {"id"}) <= read_only


def test_it_documents_the_filters(schema):
    objective_params = {p["name"] for p in schema["paths"]["/api/v1/objectives/"]["get"]["parameters"]}
    assert {"cycle", "team", "include_subteams", "owner", "status", "ordering", "page"} <= objective_params
    kr_params = {p["name"] for p in schema["paths"]["/api/v1/key-results/"]["get"]["parameters"]}
    assert {"cycle", "team", "include_subteams", "owner", "status"} <= kr_params
    checkin_params = {p["name"] for p in schema["paths"]["/api/v1/checkins/"]["get"]["parameters"]}
    assert {"key_result", "created_after", "created_before"} <= checkin_params


def test_it_documents_token_and_session_auth(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["type"] == "apiKey"
    assert schemes["cookieAuth"]["in"] == "cookie"


@pytest.mark.django_db
def test_it_serves_the_docs_with_local_assets(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr" not in html
    # No inline code for the Content-Security-Policy: the start-up script is a separate response.
    assert "<style" not in html
    assert "<script>" not in html
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in script.content.decode()


VERSIONED_ITEMS = [
    "/api/v1/teams/{id}/",
    "/api/v1/memberships/{id}/",
    "/api/v1/cycles/{id}/",
    "/api/v1/objectives/{id}/",
    "/api/v1/key-results/{id}/",
    "/api/v1/initiatives/{id}/",
    "/api/v1/checkins/{id}/",
    "/api/v1/kpis/{id}/",
    "/api/v1/kpi-measurements/{id}/",
    "/api/v1/feedback/{id}/",
]


@pytest.mark.parametrize("path", VERSIONED_ITEMS)
def test_it_documents_row_versions(schema, path):
    """ETag on every object response; If-Match on every change, and 412 when it is stale."""
    item = schema["paths"][path]
    assert "ETag" in item["get"]["responses"]["200"]["headers"]
    for method in ("put", "patch", "delete"):
        if method not in item:
            continue
        headers = {p["name"] for p in item[method]["parameters"] if p["in"] == "header"}
        assert "If-Match" in headers
        assert "412" in item[method]["responses"]
        if method != "delete":
            assert "ETag" in item[method]["responses"]["200"]["headers"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/objectives/{id}/",
        "/api/v1/key-results/{id}/",
        "/api/v1/initiatives/{id}/",
        "/api/v1/checkins/{id}/",
    ],
)
def test_it_documents_the_409_of_read_only_objects(schema, path):
    for method in ("put", "patch", "delete"):
        response = schema["paths"][path][method]["responses"]["409"]
        assert response["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorDetail")
    collection = path.replace("{id}/", "")
    assert "409" in schema["paths"][collection]["post"]["responses"]


EVENT_SCHEMA_FILE = Path(__file__).parents[2] / "integrations/schemas/webhook_event.json"


@pytest.mark.django_db
def test_the_webhooks_tag_links_the_event_schema_that_is_served(schema, client):
    """OpenAPI 3.0 cannot describe the requests OKR Hub sends: its webhooks tag links their JSON Schema."""
    (tag,) = [tag for tag in schema["tags"] if tag["name"] == "webhooks"]
    url = tag["externalDocs"]["url"]
    response = client.get(url)  # anonymous, like the OpenAPI schema
    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    assert "public" in response["Cache-Control"]
    served = response.json()
    jsonschema.Draft202012Validator.check_schema(served)
    assert served["$id"] == f"http://testserver{url}"
    assert {**served, "$id": None} == {**json.loads(EVENT_SCHEMA_FILE.read_text()), "$id": None}
    assert client.post(url).status_code == 405
