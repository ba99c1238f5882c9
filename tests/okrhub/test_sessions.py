"""A malformed session cookie is no session, not a server error (PostgreSQL refuses NUL bytes in text)."""

from __future__ import annotations

import pytest

from okrhub.sessions import SessionStore


@pytest.mark.parametrize(
    "key", ["a" * 31 + "\x00", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", "short", "x" * 31 + "'"]
)
def test_a_key_no_session_of_ours_can_have_is_no_session(db, key):
    store = SessionStore(session_key=key)
    assert store.session_key is None
    assert store.load() == {}


def test_a_real_session_still_loads(db):
    store = SessionStore()
    store["answer"] = 42
    store.save()
    assert SessionStore(session_key=store.session_key).load() == {"answer": 42}


def test_the_api_answers_a_token_client_with_a_broken_session_cookie(client, org):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=org.lead)
    client.cookies["sessionid"] = "a" * 31 + "\x00"
    response = client.get("/api/v1/objectives/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
