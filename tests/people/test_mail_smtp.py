"""The invitation and the password reset through a real SMTP server (aiosmtpd on a free loopback port),
following the link from the received message."""

from __future__ import annotations

import email
import email.policy
import re
import socket

import environ
import pytest
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.test import override_settings
from django.urls import reverse

from teams.models import Membership

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd is a dev dependency")

User = get_user_model()
pytestmark = [pytest.mark.django_db, pytest.mark.integration]


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def link(self, index: int = -1) -> str:
        message = self.messages[index]
        text = message.get_body(preferencelist=("plain",)).get_content()
        return re.search(r"https?://\S+", text).group(0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    port = free_port()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        # The settings EMAIL_URL=smtp://127.0.0.1:<port> gives (okrhub/settings.py parses it the same way).
        with override_settings(**environ.Env.email_url_config(f"smtp://127.0.0.1:{port}")):
            assert get_connection().__class__.__name__ == "EmailBackend"
            yield inbox
    finally:
        controller.stop()


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_an_invitation_and_a_password_reset_arrive_by_smtp_and_their_links_work(
    client, org, smtp_server, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(org.lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("people:invite"),
            {"team": org.team.slug, "role": "member", "emails": "nina.ny@example.org"},
        )
    assert response.status_code == 302
    (invitation,) = smtp_server.messages
    assert invitation["To"] == "nina.ny@example.org"
    assert invitation.get_body(preferencelist=("html",)) is not None
    client.logout()

    accept = _path(smtp_server.link())
    response = client.post(
        accept,
        {
            "first_name": "Nina",
            "last_name": "Ny",
            "new_password1": "kursdeltaker-2027",
            "new_password2": "kursdeltaker-2027",
        },
    )
    assert response["Location"] == reverse("checkins:my_week")
    nina = User.objects.get(email="nina.ny@example.org")
    assert Membership.objects.filter(user=nina, team=org.team).exists()
    client.logout()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "Nina.Ny@example.org"})
    assert len(smtp_server.messages) == 2
    reset = smtp_server.messages[-1]
    assert reset["To"] == "nina.ny@example.org"
    form_page = client.get(_path(smtp_server.link()), follow=True)
    assert form_page.context["validlink"]
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "ny-sommer-2027", "new_password2": "ny-sommer-2027"},
    )
    response = client.post(
        reverse("login"), {"username": "nina.ny@example.org", "password": "ny-sommer-2027"}
    )
    assert response.status_code == 302
