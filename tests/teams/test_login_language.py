"""The language chosen on the profile page takes effect when the user signs in, on any device."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import resolve

from okrhub.views import LoginView
from teams.models import Profile

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client, user, **extra):
    return client.post(LOGIN, {"username": user.username, "password": "demo"}, follow=True, **extra)


def test_the_login_route_is_ours():
    assert resolve(LOGIN).func.view_class is LoginView


def test_a_user_who_chose_english_gets_english_pages_after_signing_in(org, client):
    Profile.objects.update_or_create(user=org.member, defaults={"language": "en"})
    response = sign_in(client, org.member, HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 200
    assert response.wsgi_request.user == org.member
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert b'<html lang="en">' in response.content
    assert b'<html lang="en">' in client.get("/", HTTP_ACCEPT_LANGUAGE="nb").content


def test_a_user_who_chose_norwegian_gets_norwegian_over_an_english_cookie(org, client):
    Profile.objects.update_or_create(user=org.member, defaults={"language": "nb"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = sign_in(client, org.member)
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nb"
    assert b'<html lang="nb">' in response.content


def test_the_site_default_keeps_the_language_picked_before_signing_in(org, client):
    Profile.objects.update_or_create(user=org.member, defaults={"language": ""})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = sign_in(client, org.member)
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert b'<html lang="en">' in response.content


def test_a_user_without_a_profile_signs_in_as_before(org, client):
    Profile.objects.filter(user=org.member).delete()
    response = sign_in(client, org.member, HTTP_ACCEPT_LANGUAGE="nb")
    assert response.wsgi_request.user == org.member
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies


def test_a_wrong_password_sets_no_language(org, client):
    Profile.objects.update_or_create(user=org.member, defaults={"language": "en"})
    response = client.post(LOGIN, {"username": org.member.username, "password": "feil"})
    assert response.status_code == 200
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies
