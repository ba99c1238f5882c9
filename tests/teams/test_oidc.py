"""Provider sign-in without a browser: configuration, the login page, OIDC_ONLY, discovery, refusals.

The whole code flow against a real provider is tests/e2e/test_oidc.py.
"""

from __future__ import annotations

from unittest import mock
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client

from teams import oidc

ISSUER = "https://id.example.org/realms/okr"
DOCUMENT = {
    "issuer": ISSUER,
    "authorization_endpoint": f"{ISSUER}/auth",
    "token_endpoint": f"{ISSUER}/token",
    "userinfo_endpoint": f"{ISSUER}/userinfo",
    "jwks_uri": f"{ISSUER}/jwks",
    "end_session_endpoint": f"{ISSUER}/logout",
    "id_token_signing_alg_values_supported": ["RS256"],
}


@pytest.fixture
def provider(settings):
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_CLIENT_ID = "okrhub"
    settings.OIDC_CLIENT_SECRET = "secret"
    settings.OIDC_LOGIN_LABEL = "Microsoft"
    oidc.discovery_forget()
    response = mock.Mock(status_code=200, json=lambda: DOCUMENT)
    response.raise_for_status = lambda: None
    with mock.patch("teams.oidc.requests.get", return_value=response) as get:
        yield get
    oidc.discovery_forget()


@pytest.mark.django_db
def test_without_configuration_the_login_page_offers_only_the_password(client):
    content = client.get("/accounts/login/").content.decode()
    assert "/accounts/oidc/login/" not in content
    assert 'name="password"' in content
    assert client.get("/accounts/oidc/login/").status_code == 404
    assert client.get("/accounts/oidc/refused/").status_code == 404


@pytest.mark.django_db
def test_the_login_page_offers_the_provider_above_the_password_form(provider, client):
    content = client.get("/accounts/login/?next=/teams/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Logg inn med Microsoft" in content
    assert content.index("Logg inn med Microsoft") < content.index('name="password"')
    assert "/accounts/oidc/login/?next=%2Fteams%2F" in content
    assert provider.call_count == 0  # no call to the provider until someone uses it


@pytest.mark.django_db
def test_the_start_redirects_with_state_nonce_and_a_pkce_challenge(provider, client):
    response = client.get("/accounts/oidc/login/?next=/teams/")
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == DOCUMENT["authorization_endpoint"]
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == "okrhub"
    assert query["redirect_uri"] == "http://testserver/accounts/oidc/callback/"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) >= 43
    assert query["state"] and query["nonce"]
    assert set(query["scope"].split()) == {"openid", "email", "profile"}
    stored = client.session["oidc_states"][query["state"]]
    assert stored["nonce"] == query["nonce"] and stored["code_verifier"]


@pytest.mark.django_db
def test_discovery_is_read_once_and_cached(provider, client):
    client.get("/accounts/oidc/login/")
    client.get("/accounts/oidc/login/")
    assert provider.call_count == 1
    assert provider.call_args.args[0] == f"{ISSUER}/.well-known/openid-configuration"


@pytest.mark.django_db
def test_a_discovery_document_for_another_issuer_is_refused(provider, client):
    provider.return_value.json = lambda: {**DOCUMENT, "issuer": "https://evil.example"}
    response = client.get("/accounts/oidc/login/")
    assert response["Location"] == "/accounts/oidc/refused/?reason=unavailable"


@pytest.mark.django_db
def test_an_unreachable_provider_says_so(provider, client):
    provider.side_effect = requests.ConnectionError("refused")
    response = client.get("/accounts/oidc/login/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "Microsoft cannot be reached right now" in response.content.decode()


@pytest.mark.django_db
def test_a_callback_with_a_state_we_never_issued_is_refused(provider, client):
    client.get("/accounts/oidc/login/")  # a real state exists in the session, but not this one
    response = client.get("/accounts/oidc/callback/?code=abc&state=forged", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Location"] == "/accounts/oidc/refused/?reason=failed"
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_provider_error_is_refused(provider, client):
    response = client.get("/accounts/oidc/callback/?error=access_denied&state=x")
    assert response["Location"] == "/accounts/oidc/refused/?reason=failed"


@pytest.mark.django_db
def test_an_unknown_refusal_reason_shows_the_generic_message(provider, client):
    response = client.get("/accounts/oidc/refused/?reason=<script>", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    content = response.content.decode()
    assert "The sign-in with Microsoft did not complete." in content
    assert "<script>" not in content


def test_oidc_only_hides_the_password_form_and_refuses_passwords_but_for_staff(provider, settings, org):
    settings.OIDC_ONLY = True
    client = Client()
    content = client.get("/accounts/login/").content.decode()
    assert 'name="password"' not in content
    assert "?password=1" in content
    assert 'name="password"' in client.get("/accounts/login/?password=1").content.decode()
    refused = client.post("/accounts/login/?password=1", {"username": "member", "password": "demo"})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    token = client.post("/api/v1/auth/token/", {"username": "member", "password": "demo"})
    assert token.status_code == 400
    staff = client.post("/accounts/login/?password=1", {"username": "staff", "password": "demo"})
    assert staff.status_code == 302


def test_signing_out_after_a_password_sign_in_stays_local(provider, org):
    client = Client()
    client.force_login(org.member)
    response = client.post("/accounts/logout/")
    assert response["Location"] == "http://testserver/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_signing_out_after_a_provider_sign_in_ends_the_provider_session(provider, org):
    client = Client()
    client.force_login(org.member)
    session = client.session
    session["oidc_id_token"] = "the.id.token"
    session.save()
    response = client.post("/accounts/logout/")
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == DOCUMENT["end_session_endpoint"]
    query = parse_qs(url.query)
    assert query["id_token_hint"] == ["the.id.token"]
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert "_auth_user_id" not in client.session


def test_the_issuer_origin_is_for_the_content_security_policy(provider):
    assert oidc.issuer_origin() == "https://id.example.org"


def test_with_oidc_only_an_invitation_is_accepted_with_the_provider_not_a_password(provider, settings, org):
    from teams.people_services import InvitationRequest, invitation_create, invitation_token

    settings.OIDC_ONLY = True
    invitation = invitation_create(
        request=InvitationRequest(email="new@example.org", team=org.team), inviter=org.lead
    )
    url = f"/invitations/{invitation_token(invitation)}/"
    client = Client()
    content = client.get(url, HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Logg inn med Microsoft" in content
    assert "/accounts/oidc/login/?" + urlencode({"invitation": invitation_token(invitation)}) in content
    assert 'name="new_password1"' not in content
    client.post(
        url,
        {"first_name": "N", "last_name": "N", "new_password1": "x8#Lkq!2zzP", "new_password2": "x8#Lkq!2zzP"},
    )
    assert not get_user_model().objects.filter(email="new@example.org").exists()
