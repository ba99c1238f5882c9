from __future__ import annotations

from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_healthz_answers_ok_even_when_the_database_does_not(client):
    # Liveness: a database outage must not get every web process restarted (readiness says it: /readyz).
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 200


@pytest.mark.django_db
def test_login_page_is_public(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/teams/"])
def test_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_team_list_shows_the_tree(org, login):
    response = login(org.member).get(reverse("teams:list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert content.index("Kompetansesenteret") < content.index("Kurs")
