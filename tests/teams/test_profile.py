from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from teams.models import Profile

URL = "/accounts/profile/"


def test_the_profile_route_is_named():
    assert reverse("profile") == URL


@pytest.mark.django_db
def test_it_needs_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_shows_the_own_settings_with_defaults_when_no_profile_exists(org, login):
    response = login(org.member).get(URL)
    assert response.status_code == 200
    assert response.context["form"].instance.user == org.member
    assert response.context["form"].initial["reminders_enabled"] is True
    assert b'name="language"' in response.content
    assert not Profile.objects.filter(user=org.member).exists()  # reading makes no row


def test_it_saves_preferences_for_the_signed_in_user_only(org, login):
    Profile.objects.create(user=org.outsider, reminders_enabled=True, digests_enabled=True)
    client = login(org.lead)
    # A smuggled "user" field is ignored: the form has no such field and the view has no id.
    response = client.post(
        URL, {"action": "settings", "language": "en", "reminders_enabled": "", "user": org.outsider.pk}
    )
    assert response.status_code == 302
    mine = Profile.objects.get(user=org.lead)
    assert (mine.language, mine.reminders_enabled, mine.digests_enabled) == ("en", False, False)
    theirs = Profile.objects.get(user=org.outsider)
    assert (theirs.language, theirs.reminders_enabled, theirs.digests_enabled) == ("", True, True)


def test_saving_the_language_activates_it_for_the_session(org, login):
    client = login(org.member)
    response = client.post(
        URL, {"language": "en", "reminders_enabled": "on", "digests_enabled": "on"}, follow=True
    )
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert b"Your settings were saved." in response.content
    assert b'<html lang="en">' in response.content

    response = client.post(
        URL, {"language": "nb", "reminders_enabled": "on", "digests_enabled": "on"}, follow=True
    )
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nb"
    assert b'<html lang="nb">' in response.content


def test_site_default_language_sets_the_site_language(org, login):
    client = login(org.member)
    client.post(URL, {"language": "", "reminders_enabled": "on"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == settings.LANGUAGE_CODE
    assert Profile.objects.get(user=org.member).language == ""


def test_an_unknown_language_is_refused_and_nothing_changes(org, login):
    response = login(org.member).post(URL, {"language": "xx", "reminders_enabled": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["language"]
    assert not Profile.objects.filter(user=org.member).exists()


def test_it_shows_only_the_own_token(org, login):
    mine = Token.objects.create(user=org.member)
    theirs = Token.objects.create(user=org.outsider)
    response = login(org.member).get(URL)
    assert mine.key.encode() in response.content
    assert theirs.key.encode() not in response.content


def test_rotating_replaces_the_token(org, login):
    old = Token.objects.create(user=org.member)
    other = Token.objects.create(user=org.outsider)
    client = login(org.member)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(URL, {"action": "rotate_token"}, follow=True)
    new = Token.objects.get(user=org.member)
    assert new.key != old.key
    assert not Token.objects.filter(key=old.key).exists()
    assert Token.objects.filter(key=other.key, user=org.outsider).exists()
    assert new.key.encode() in response.content
    assert b"The old token no longer works." in response.content


def test_the_old_token_stops_working_for_the_api(org, login, client):
    old = Token.objects.create(user=org.member)
    login(org.member).post(URL, {"action": "rotate_token"})
    client.logout()
    new = Token.objects.get(user=org.member)
    assert client.get("/api/v1/", HTTP_AUTHORIZATION=f"Token {old.key}").status_code == 401
    assert client.get("/api/v1/", HTTP_AUTHORIZATION=f"Token {new.key}").status_code != 401


def test_a_user_without_token_can_create_one(org, login):
    client = login(org.member)
    assert b'id="no-token"' in client.get(URL).content
    client.post(URL, {"action": "rotate_token"})
    assert Token.objects.filter(user=org.member).count() == 1


def test_rotation_needs_csrf(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.member)
    response = client.post(URL, {"action": "rotate_token"})
    assert response.status_code == 403
    assert not Token.objects.filter(user=org.member).exists()


def test_the_nav_links_to_the_profile(org, login):
    response = login(org.member).get(reverse("teams:list"))
    assert f'href="{URL}"'.encode() in response.content


@pytest.mark.parametrize("method", ["put", "delete"])
def test_it_refuses_other_methods(org, login, method):
    assert getattr(login(org.member), method)(URL).status_code == 405


@pytest.mark.parametrize(
    ("persona", "offered"),
    [("member", False), ("outsider", False), ("ambassador", False), ("lead", True), ("section_leader", True)],
)
def test_only_people_who_lead_a_team_are_offered_the_digest_opt_out(org, login, persona, offered):
    response = login(getattr(org, persona)).get(URL)
    assert (b'name="digests_enabled"' in response.content) is offered
    assert ("digests_enabled" in response.context["form"].fields) is offered


def test_saving_without_the_digest_switch_keeps_the_digest_setting(org, login):
    Profile.objects.create(user=org.member, digests_enabled=False)
    # A member smuggling the field changes nothing: the form has no such field for them.
    response = login(org.member).post(
        URL, {"action": "settings", "language": "en", "reminders_enabled": "on", "digests_enabled": "on"}
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=org.member)
    assert (profile.language, profile.reminders_enabled, profile.digests_enabled) == ("en", True, False)
