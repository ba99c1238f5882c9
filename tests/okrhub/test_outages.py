"""With the database or the cache unreachable, the API answers 503 JSON and pages a translated 503 page.

The database case runs the real app under gunicorn (docker/gunicorn.conf.py) with DATABASE_URL pointing at
a closed loopback port; the cache case points the Redis cache of the test client's app at a closed port.
"""

from __future__ import annotations

import re

import httpx
import pytest
from django.core.cache import caches
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.servers import free_port, gunicorn


@pytest.fixture(scope="module")
def app_without_database(tmp_path_factory):
    env = {
        "DATABASE_URL": f"postgres://okrhub:x@127.0.0.1:{free_port()}/okrhub",
        "CACHE_URL": "locmemcache://",
    }
    with gunicorn(
        env, log_dir=tmp_path_factory.mktemp("outage"), ready=lambda r: r.status_code == 503
    ) as base:
        yield base


def test_the_api_answers_503_json_with_retry_after(app_without_database):
    response = httpx.get(
        f"{app_without_database}/api/v1/key-results/", headers={"Authorization": "Token abc123"}
    )
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Retry-After"] == "30"
    assert response.json() == {"detail": "Tjenesten er midlertidig utilgjengelig. Prøv igjen om litt."}


def test_the_api_speaks_english_when_asked(app_without_database):
    response = httpx.post(
        f"{app_without_database}/api/v1/auth/token/",
        data={"username": "member", "password": "demo"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 503
    assert response.json()["detail"] == "The service is temporarily unavailable. Try again in a moment."


def test_a_page_answers_a_translated_503_page(app_without_database):
    # A session cookie makes the page look up the session, in the database.
    response = httpx.get(f"{app_without_database}/", cookies={"sessionid": "a" * 32})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<h1>Midlertidig utilgjengelig</h1>" in response.text
    assert 'class="site-header"' in response.text  # the site's layout


def test_signing_in_during_an_outage_says_so_in_english(app_without_database):
    with httpx.Client(base_url=app_without_database, headers={"Accept-Language": "en"}) as client:
        login = client.get("/accounts/login/")
        assert login.status_code == 200  # the form itself needs no database
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        response = client.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token, "username": "member", "password": "demo"},
            headers={"Referer": f"{app_without_database}/accounts/login/"},
        )
    assert response.status_code == 503
    assert "<h1>Temporarily unavailable</h1>" in response.text


@pytest.fixture
def redis_cache_on_a_closed_port(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/1",
        }
    }
    yield
    caches["default"].close()


def test_the_api_answers_503_when_the_redis_cache_is_down(org, redis_cache_on_a_closed_port):
    # Token clients are throttled, and the throttle counts in the cache.
    token = Token.objects.create(user=org.member)
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    response = client.get("/api/v1/cycles/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json() == {"detail": "The service is temporarily unavailable. Try again in a moment."}


def test_other_server_errors_stay_500(org, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("objectives.api.CycleViewSet.list", broken)
    client = Client(raise_request_exception=False)
    client.force_login(org.member)
    response = client.get("/api/v1/cycles/")
    assert response.status_code == 500
    assert "Retry-After" not in response
