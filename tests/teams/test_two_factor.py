"""Optional TOTP two-factor sign-in for password sign-ins (django-otp); compulsory for staff by setting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def sign_in(client: Client, username: str):
    return client.post("/accounts/login/", {"username": username, "password": "demo"})


@pytest.fixture
def kari(db):
    user = UserFactory(username="kari")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def test_setting_it_up_on_the_profile_page(org, client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client.force_login(org.member)
    assert "Tofaktor-innlogging" in client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "otpauth://totp/OKR%20Hub%3Amember" in page.content.decode()
    device = TOTPDevice.objects.get(user=org.member, confirmed=False)
    wrong = client.post(
        reverse("two_factor_setup"), {"code": "000000" if code_for(device) != "000000" else "1"}
    )
    assert wrong.status_code == 400
    device.refresh_from_db()
    assert not device.confirmed
    time_machine.shift(dt.timedelta(seconds=5))  # django-otp slows down guessing after a wrong code
    assert client.post(reverse("two_factor_setup"), {"code": code_for(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed


def test_a_password_sign_in_then_asks_for_the_code_before_any_page(kari, client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    response = sign_in(client, "kari")
    assert response.status_code == 302
    page = client.get("/teams/")
    assert page.status_code == 302
    assert page["Location"] == reverse("two_factor_verify") + "?next=%2Fteams%2F"
    # Nor the API by session.
    assert client.get("/api/v1/teams/").status_code == 403
    device = TOTPDevice.objects.get(user=kari)
    assert client.post(reverse("two_factor_verify"), {"code": "12", "next": "/teams/"}).status_code == 400
    assert client.get("/teams/").status_code == 302
    time_machine.shift(dt.timedelta(seconds=5))
    response = client.post(reverse("two_factor_verify"), {"code": code_for(device), "next": "/teams/"})
    assert response["Location"] == "/teams/"
    assert client.get("/teams/").status_code == 200


def test_a_code_cannot_be_used_twice(kari, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    device = TOTPDevice.objects.get(user=kari)
    code = code_for(device)
    first, second = Client(), Client()
    for client in (first, second):
        sign_in(client, "kari")
    assert first.post(reverse("two_factor_verify"), {"code": code})["Location"] == "/"
    assert second.post(reverse("two_factor_verify"), {"code": code}).status_code == 400


def test_the_token_endpoint_wants_the_code_as_otp(kari, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client = Client()
    response = client.post("/api/v1/auth/token/", {"username": "kari", "password": "demo"})
    assert response.status_code == 400 and "otp" in response.json()
    code = code_for(TOTPDevice.objects.get(user=kari))
    response = client.post("/api/v1/auth/token/", {"username": "kari", "password": "demo", "otp": code})
    assert response.status_code == 200 and response.json()["token"]


def test_turning_it_off_needs_a_code(kari, client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    device = TOTPDevice.objects.get(user=kari)
    sign_in(client, "kari")
    client.post(reverse("two_factor_verify"), {"code": code_for(device)})
    client.post(reverse("two_factor_disable"), {"code": "123456" if code_for(device) != "123456" else "1"})
    assert TOTPDevice.objects.filter(user=kari).exists()
    time_machine.shift(dt.timedelta(seconds=30))
    client.post(reverse("two_factor_disable"), {"code": code_for(device)})
    assert not TOTPDevice.objects.filter(user=kari).exists()


def test_people_without_it_are_not_asked(org, client):
    sign_in(client, "member")
    assert client.get("/teams/").status_code == 200


def test_staff_must_set_it_up_when_required(org, settings, client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    settings.REQUIRE_2FA_FOR_STAFF = True
    sign_in(client, "staff")
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_setup"))
    assert client.get(reverse("two_factor_setup")).status_code == 200
    device = TOTPDevice.objects.get(user=org.staff)
    client.post(reverse("two_factor_setup"), {"code": code_for(device)})
    assert client.get("/admin/").status_code == 200
    # Staff cannot turn it off while it is required, and the token endpoint asks for it too.
    client.post(reverse("two_factor_disable"), {"code": code_for(device)})
    assert TOTPDevice.objects.filter(user=org.staff, confirmed=True).exists()
    # Members are not affected by the staff rule.
    other = Client()
    sign_in(other, "member")
    assert other.get("/teams/").status_code == 200


def test_staff_without_it_get_no_api_token_when_required(org, settings):
    settings.REQUIRE_2FA_FOR_STAFF = True
    response = Client().post("/api/v1/auth/token/", {"username": "staff", "password": "demo"})
    assert response.status_code == 400 and "otp" in response.json()
