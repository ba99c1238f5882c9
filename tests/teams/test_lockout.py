"""Sign-in lockout over HTTP: the login form, the admin login and the token endpoint (django-axes)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import ProfileFactory, UserFactory

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
TOKEN = "/api/v1/auth/token/"
MESSAGE_NB = "For mange mislykkede innloggingsforsøk."


def _fail(client: Client, username: str, times: int, url: str = LOGIN, **extra) -> None:
    for _ in range(times):
        response = client.post(url, {"username": username, "password": "wrong"}, **extra)
        assert response.status_code in (200, 400, 429)


def _sign_in(client: Client, username: str, url: str = LOGIN, **extra):
    return client.post(url, {"username": username, "password": "demo"}, **extra)


@pytest.fixture
def person(db):
    return UserFactory(username="kari", email="kari@example.org")


def test_ten_failures_lock_the_account_even_with_the_right_password(person, client):
    _fail(client, "kari", 9)
    assert _sign_in(Client(REMOTE_ADDR="198.51.100.1"), "kari").status_code == 302  # nine: still fine
    _fail(client, "kari", 10)
    response = _sign_in(Client(REMOTE_ADDR="198.51.100.2"), "kari")  # another address: the account is locked
    assert response.status_code == 429
    assert MESSAGE_NB in response.content.decode()
    assert "15 minutter" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_the_answer_does_not_reveal_whether_the_account_exists(person):
    answers = []
    for username in ("kari", "nobody-here"):
        client = Client(REMOTE_ADDR=f"198.51.100.{len(answers) + 10}")
        _fail(client, username, 10)
        response = client.post(LOGIN, {"username": username, "password": "demo"})
        page = re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", response.content.decode())
        answers.append((response.status_code, page.replace(username, "X")))
    assert answers[0][0] == answers[1][0] == 429
    assert answers[0][1] == answers[1][1]


def test_username_and_email_count_as_one_account(person, client):
    _fail(client, "kari", 5)
    _fail(Client(REMOTE_ADDR="198.51.100.3"), "KARI@example.org", 5)
    assert _sign_in(Client(REMOTE_ADDR="198.51.100.4"), "kari").status_code == 429


def test_one_address_is_locked_out_across_usernames(person, client):
    for index in range(10):
        _fail(client, f"guess{index}", 1)
    assert _sign_in(client, "kari").status_code == 429
    # The account itself is not locked: from elsewhere it signs in.
    assert _sign_in(Client(REMOTE_ADDR="198.51.100.5"), "kari").status_code == 302


def test_a_forged_forwarded_header_does_not_dodge_the_address_lockout(person):
    # 192.0.2.9 is no trusted proxy (FORWARDED_ALLOW_IPS), so its X-Forwarded-For counts for nothing.
    client = Client(REMOTE_ADDR="192.0.2.9")
    for index in range(10):
        client.post(
            LOGIN, {"username": f"guess{index}", "password": "x"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{index}"
        )
    assert _sign_in(client, "kari", HTTP_X_FORWARDED_FOR="203.0.113.200").status_code == 429


def test_behind_the_trusted_proxy_each_client_address_counts_alone(person, client):
    # The test client comes from 127.0.0.1, the default trusted proxy: X-Forwarded-For names the client.
    for index in range(10):
        _fail(client, f"guess{index}", 1, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert _sign_in(client, "kari", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert _sign_in(client, "kari", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 302


def test_a_successful_sign_in_resets_the_count(person, client):
    _fail(client, "kari", 9)
    assert _sign_in(client, "kari").status_code == 302
    client.logout()
    _fail(client, "kari", 9)
    assert _sign_in(client, "kari").status_code == 302


def test_the_lockout_ends_after_fifteen_minutes(person, client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    _fail(client, "kari", 10)
    time_machine.shift(dt.timedelta(minutes=14))
    assert _sign_in(client, "kari").status_code == 429
    time_machine.shift(dt.timedelta(minutes=2))
    assert _sign_in(client, "kari").status_code == 302


def test_the_numbers_are_settings(person, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _fail(client, "kari", 3)
    assert _sign_in(client, "kari").status_code == 429


def test_the_admin_login_is_locked_too(db, client):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    _fail(client, "boss", 10, url=ADMIN_LOGIN)
    response = _sign_in(Client(REMOTE_ADDR="198.51.100.6"), "boss", url=ADMIN_LOGIN)
    assert response.status_code == 429
    assert MESSAGE_NB in response.content.decode()


@pytest.fixture
def roomy_token_throttle(settings):
    # The token endpoint's own per-address throttle (10/minute) would answer first.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "auth": "1000/minute",
        },
    }
    cache.clear()
    yield
    cache.clear()


def test_the_token_endpoint_is_locked_with_a_json_answer(person, client, roomy_token_throttle):
    _fail(client, "kari", 9, url=TOKEN)
    response = client.post(TOKEN, {"username": "kari", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Too many failed sign-in attempts.")
    response = Client(REMOTE_ADDR="198.51.100.7").post(TOKEN, {"username": "kari", "password": "demo"})
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "token" not in response.json()


# --- Unlocking on the People page ------------------------------------------------------------------------


@pytest.mark.parametrize("admin_kind", ["staff", "org_admin"])
def test_an_organisation_admin_sees_the_lockout_and_unlocks(org, person, client, admin_kind):
    _fail(Client(), "kari", 10)
    if admin_kind == "staff":
        admin_user = org.staff
    else:
        admin_user = UserFactory(username="orgadmin")
        ProfileFactory(user=admin_user, is_org_admin=True)
    admin = Client()
    admin.force_login(admin_user)
    page = admin.get(reverse("people:list"), {"q": "kari"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "låst ute" in content
    assert reverse("people:unlock", args=[person.pk]) in content
    response = admin.post(reverse("people:unlock", args=[person.pk]))
    assert response.status_code == 302
    assert _sign_in(Client(), "kari").status_code == 302
    assert "låst ute" not in admin.get(reverse("people:list"), {"q": "kari"}).content.decode()


@pytest.mark.parametrize("who", ["member", "lead", "section_leader", "ambassador"])
def test_nobody_else_may_unlock(org, person, client, who):
    _fail(Client(), "kari", 10)
    client.force_login(getattr(org, who))
    assert client.post(reverse("people:unlock", args=[person.pk])).status_code == 403
    assert _sign_in(Client(), "kari").status_code == 429
