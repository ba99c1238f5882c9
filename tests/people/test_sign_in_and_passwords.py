"""Signing in with email or username, password reset and change in the app's own pages, one's own account
and data."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from teams.people_services import EMAIL_TAKEN
from tests.factories import CheckInFactory, UserFactory

User = get_user_model()
pytestmark = pytest.mark.django_db


# --- Email or username ----------------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["member", "member@example.org", "MEMBER@Example.ORG"])
def test_people_sign_in_on_the_web_with_username_or_email(client, org, login):
    response = client.post(reverse("login"), {"username": login, "password": "demo"})
    assert response.status_code == 302
    assert client.get(reverse("checkins:my_week")).context["user"] == org.member


@pytest.mark.parametrize("login", ["member", "Member@example.org"])
def test_people_get_an_api_token_with_username_or_email(org, login):
    response = APIClient().post("/api/v1/auth/token/", {"username": login, "password": "demo"})
    assert response.status_code == 200 and response.json()["token"]


def test_an_email_two_accounts_share_is_refused(client, org):
    UserFactory(username="twin", email="MEMBER@example.org")
    assert (
        client.post(reverse("login"), {"username": "member@example.org", "password": "demo"}).status_code
        == 200
    )
    assert (
        APIClient()
        .post("/api/v1/auth/token/", {"username": "member@example.org", "password": "demo"})
        .status_code
        == 400
    )
    # The username still works.
    assert client.post(reverse("login"), {"username": "member", "password": "demo"}).status_code == 302


def test_a_wrong_password_or_inactive_account_is_refused(client, org):
    assert (
        client.post(reverse("login"), {"username": "member@example.org", "password": "nope"}).status_code
        == 200
    )
    org.member.is_active = False
    org.member.save()
    assert (
        client.post(reverse("login"), {"username": "member@example.org", "password": "demo"}).status_code
        == 200
    )


def test_the_login_page_links_to_the_reset_page(client):
    client.cookies["django_language"] = "nb"
    text = client.get(reverse("login")).text
    assert "Glemt passordet?" in text and reverse("password_reset") in text
    assert "Brukernavn eller e-post" in text


# --- Password reset -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["password_reset", "password_reset_done", "password_reset_complete"])
def test_the_reset_pages_are_the_apps_own(client, name):
    client.cookies["django_language"] = "nb"
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "administrasjon" not in response.text.lower() and "OKR Hub" in response.text
    assert 'class="site-header"' in response.text


def test_known_and_unknown_addresses_get_the_same_answer(
    client, org, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("password_reset"), {"email": "Member@example.org"})
    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    (message,) = mailoutbox
    assert message.to == ["member@example.org"]
    assert message.alternatives and "member" in message.body


def test_the_reset_link_sets_a_new_password_once(
    client, org, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "member@example.org"})
    link = re.search(r"http://\S+/reset/\S+/", mailoutbox[0].body).group(0)
    path = link.removeprefix("http://127.0.0.1:8000")
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"]
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-pass-2027", "new_password2": "a-new-pass-2027"},
    )
    assert response["Location"] == reverse("password_reset_complete")
    org.member.refresh_from_db()
    assert org.member.check_password("a-new-pass-2027")
    again = client.get(path, follow=True)
    assert not again.context["validlink"]


def test_the_reset_email_is_in_the_persons_language(
    client, org, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    from teams.models import Profile

    Profile.objects.create(user=org.member, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "member@example.org"})
    assert mailoutbox[0].subject == "Reset your OKR Hub password"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "teammate@example.org"})
    assert mailoutbox[1].subject == "Tilbakestill passordet ditt i OKR Hub"


# --- Password change, account and data on the profile ----------------------------------------------------


def test_the_password_change_page_is_in_the_apps_layout(client, org):
    client.force_login(org.member)
    response = client.get(reverse("password_change"))
    assert response.status_code == 200 and 'class="site-header"' in response.text
    response = client.post(
        reverse("password_change"),
        {"old_password": "demo", "new_password1": "a-new-pass-2027", "new_password2": "a-new-pass-2027"},
    )
    assert response["Location"] == reverse("password_change_done")
    org.member.refresh_from_db()
    assert org.member.check_password("a-new-pass-2027")
    assert reverse("password_change") in client.get(reverse("profile")).text


def test_people_change_their_name_and_email(client, org):
    client.force_login(org.member)
    response = client.post(
        reverse("account_update"), {"first_name": "Maja", "last_name": "Nynavn", "email": "Maja@Example.org"}
    )
    assert response.status_code == 302
    org.member.refresh_from_db()
    assert (org.member.last_name, org.member.email) == ("Nynavn", "maja@example.org")


def test_an_email_another_account_uses_is_refused_and_nothing_changes(client, org):
    client.force_login(org.member)
    response = client.post(
        reverse("account_update"), {"first_name": "X", "last_name": "Y", "email": "TEAMMATE@example.org"}
    )
    assert response.status_code == 400
    assert str(EMAIL_TAKEN) in response.text
    assert 'value="X"' in response.text  # what was typed is kept
    org.member.refresh_from_db()
    assert (org.member.first_name, org.member.email) == ("Maja", "member@example.org")


def test_people_download_their_own_data(client, org):
    CheckInFactory(key_result=org.key_result, author=org.member, value=12, confidence=7, note="Bra uke")
    CheckInFactory(key_result=org.other_key_result, author=org.outsider, value=3, confidence=5, note="Annen")
    client.force_login(org.member)
    profile = client.get(reverse("profile")).text
    assert reverse("personal_data") in profile
    assert re.search(r"<title>([^<]*)</title>", profile), "the page title is plain text"
    response = client.get(reverse("personal_data"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["profile"]["username"] == "member" and data["profile"]["email"] == "member@example.org"
    assert data["memberships"] == [
        {"team": "Kurs", "role": "member", "since": data["memberships"][0]["since"]}
    ]
    assert [c["note"] for c in data["checkins"]] == ["Bra uke"]
    assert set(data) >= {"profile", "memberships", "checkins", "feedback_given", "feedback_received"}


def test_the_download_holds_the_emails_sent_to_one_and_received_from_one(client, org):
    from notifications.models import EmailDelivery, InboundMessage

    sent = timezone.now()
    for user, address in ((org.member, "member@example.org"), (org.outsider, "outsider@example.org")):
        EmailDelivery.objects.create(
            user=user, kind="checkin_reminder", iso_year=2026, iso_week=49, sent_at=sent, sent_to=address
        )
        InboundMessage.objects.create(
            message_key=f"key-{user.pk}",
            sender=address,
            subject="Re: Ukens innsjekk",
            user=user,
            status="processed",
            outcome={"lines": [{"line": "K1: 12 7", "saved": True}]},
        )
    EmailDelivery.objects.create(user=org.member, kind="leader_digest", iso_year=2026, iso_week=49)  # unsent
    client.force_login(org.member)
    data = json.loads(client.get(reverse("personal_data")).content)
    assert [(e["kind"], e["week"], e["to"]) for e in data["emails_sent_to_you"]] == [
        ("checkin_reminder", "2026-W49", "member@example.org")
    ]
    (reply,) = data["emails_received_from_you"]
    assert (reply["from"], reply["subject"], reply["status"]) == (
        "member@example.org",
        "Re: Ukens innsjekk",
        "processed",
    )
    assert reply["outcome"]["lines"][0]["line"] == "K1: 12 7"
    assert "outsider@example.org" not in json.dumps(data)


@pytest.mark.parametrize("name", ["personal_data", "account_update", "password_change"])
def test_anonymous_people_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
