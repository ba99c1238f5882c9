"""Token and session authentication, and throttling of token clients."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.test import APIClient


def rates(**overrides: str) -> dict:
    return {**api_settings.DEFAULT_THROTTLE_RATES, **overrides}


def rest_framework_with(**rate_overrides: str) -> dict:
    from django.conf import settings

    return {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates(**rate_overrides)}


def test_it_hands_out_a_token_for_a_username_and_password(org):
    response = APIClient().post("/api/v1/auth/token/", {"username": "member", "password": "demo"})
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=org.member).key}


def test_it_hands_out_the_same_token_twice(org):
    first = APIClient().post("/api/v1/auth/token/", {"username": "member", "password": "demo"}).json()
    second = APIClient().post("/api/v1/auth/token/", {"username": "member", "password": "demo"}).json()
    assert first == second


@pytest.mark.parametrize(
    "data", [{"username": "member", "password": "feil"}, {"username": "nobody", "password": "demo"}, {}]
)
def test_it_refuses_bad_credentials(org, data):
    response = APIClient().post("/api/v1/auth/token/", data)
    assert response.status_code == 400
    assert not Token.objects.exists()


def test_it_accepts_the_token(org):
    response = APIClient().post("/api/v1/auth/token/", {"username": "member", "password": "demo"})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/objectives/").status_code == 200


def test_it_refuses_an_unknown_token(org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/objectives/").status_code == 401


def test_it_refuses_an_inactive_users_token(org, api):
    client = api(org.member)
    org.member.is_active = False
    org.member.save()
    assert client.get("/api/v1/objectives/").status_code == 401


def test_it_accepts_a_browser_session(org, login):
    client = login(org.member)
    assert client.get("/api/v1/objectives/").status_code == 200


def test_it_wants_a_csrf_token_for_session_writes(org):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(org.member)
    data = {"key_result": org.key_result.pk, "value": "20", "confidence": 7}
    assert client.post("/api/v1/checkins/", data, format="json").status_code == 403


def test_it_throttles_a_burst_of_token_requests(org, api):
    client = api(org.member)
    with override_settings(REST_FRAMEWORK=rest_framework_with(token="3/minute")):
        statuses = [client.get("/api/v1/cycles/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_it_counts_each_token_client_separately(org, api):
    with override_settings(REST_FRAMEWORK=rest_framework_with(token="2/minute")):
        member, lead = api(org.member), api(org.lead)
        assert [member.get("/api/v1/cycles/").status_code for _ in range(3)] == [200, 200, 429]
        assert lead.get("/api/v1/cycles/").status_code == 200


def test_it_does_not_throttle_browser_sessions(org, login):
    client = login(org.member)
    with override_settings(REST_FRAMEWORK=rest_framework_with(token="2/minute")):
        assert {client.get("/api/v1/cycles/").status_code for _ in range(4)} == {200}


def test_it_throttles_password_guessing(org):
    client = APIClient()
    with override_settings(REST_FRAMEWORK=rest_framework_with(auth="2/minute")):
        statuses = [
            client.post("/api/v1/auth/token/", {"username": "member", "password": f"gjett{i}"}).status_code
            for i in range(3)
        ]
    assert statuses == [400, 400, 429]


def test_it_renders_the_browsable_api_for_a_session(org, login):
    client = login(org.lead)
    for path in [
        "/api/v1/",
        "/api/v1/objectives/",
        f"/api/v1/key-results/{org.key_result.pk}/",
        "/api/v1/checkins/",
    ]:
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, path
        assert b"<form" in response.content or path == "/api/v1/"


def test_it_answers_anonymous_api_calls_with_401_not_a_login_redirect(db):
    response = APIClient().get("/api/v1/objectives/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_it_says_why_a_write_is_forbidden(org, api):
    data = {"key_result": org.key_result.pk, "value": "20", "confidence": 7}
    response = api(org.outsider).post("/api/v1/checkins/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response.json()["detail"] == "You may not check in on this key result."
