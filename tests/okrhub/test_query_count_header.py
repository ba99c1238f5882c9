"""The opt-in X-Query-Count header that `make bench` reads from the gunicorn workers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

MIDDLEWARE_PATH = "okrhub.middleware.QueryCountHeaderMiddleware"


@pytest.fixture
def counting(settings):
    settings.MIDDLEWARE = [MIDDLEWARE_PATH, *settings.MIDDLEWARE]


@pytest.mark.django_db
def test_it_counts_the_one_query_of_the_database_probe(counting, client):
    response = client.get("/healthz/db")
    assert response.status_code == 200
    assert response["X-Query-Count"] == "1"  # SELECT 1; no session cookie, so no session query


def test_it_counts_every_query_of_a_logged_in_page(counting, org, login):
    client = login(org.member)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("teams:list"))
    assert response.status_code == 200
    assert int(response["X-Query-Count"]) == len(captured.captured_queries)
    assert int(response["X-Query-Count"]) >= 2  # at least the session and the user


def test_it_sets_the_header_on_redirects_too(counting, db, client):
    response = client.get(reverse("teams:list"))
    assert response.status_code == 302
    assert response["X-Query-Count"] == "0"


def test_the_count_starts_again_for_each_request(counting, org, login):
    client = login(org.member)
    first = client.get("/healthz/db")["X-Query-Count"]
    second = client.get("/healthz/db")["X-Query-Count"]
    assert first == second


@pytest.mark.django_db
def test_it_is_off_by_default(client):
    assert MIDDLEWARE_PATH not in django_settings.MIDDLEWARE
    assert "X-Query-Count" not in client.get("/healthz")


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("false", False)])
def test_the_environment_variable_switches_it_on(value, expected):
    env = {**os.environ, "QUERY_COUNT_HEADER": value, "DJANGO_SETTINGS_MODULE": "okrhub.settings"}
    code = "import django; django.setup(); from django.conf import settings; print(settings.MIDDLEWARE[0])"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    assert (result.stdout.strip() == MIDDLEWARE_PATH) is expected
