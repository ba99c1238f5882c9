"""End to end over a real SMTP server (aiosmtpd on a free loopback port): the reminder is sent, answered the
way a mail client answers (quoted original, In-Reply-To, References), the answer is piped to
``receive_email``; the check-ins appear and the confirmation arrives over SMTP."""

from __future__ import annotations

import email
import email.policy
import email.utils
from decimal import Decimal
from email.message import EmailMessage
from io import BytesIO, StringIO

import environ
import pytest
from django.core.management import call_command
from django.test import override_settings

from checkins.models import CheckIn
from notifications import reminders
from teams.models import Profile
from tests.factories import KeyResultFactory
from tests.servers import free_port

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd is a dev dependency")

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


class Inbox:
    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    # Settings first, the SMTP override inside them: a ``settings`` change made while the override is on
    # would bring the override back when ``settings`` is torn down, into the tests that follow.
    settings.INBOUND_EMAIL_ADDRESS = "checkin@okr.example.org"
    settings.SITE_URL = "https://okr.example.org"
    inbox = Inbox()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with override_settings(**environ.Env.email_url_config(f"smtp://127.0.0.1:{controller.port}")):
            yield inbox
    finally:
        controller.stop()


def answer(received: EmailMessage, body: str) -> bytes:
    """What a mail client sends when the member presses Reply and types ``body`` above the quote."""
    original = received.get_body(preferencelist=("plain",)).get_content()
    reply = EmailMessage()
    reply["From"] = received["To"]
    reply["To"] = received["Reply-To"]
    reply["Subject"] = "Re: " + received["Subject"]
    reply["Date"] = email.utils.formatdate(localtime=True)
    reply["Message-ID"] = email.utils.make_msgid(domain="phone.example.net")
    reply["In-Reply-To"] = received["Message-ID"]
    reply["References"] = received["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in original.splitlines())
    reply.set_content(
        f"{body}\n\nSendt fra min iPhone\n\nDen {received['Date']} skrev {received['From']}:\n{quoted}\n"
    )
    return reply.as_bytes()


def test_a_reply_to_a_reminder_received_over_smtp_checks_in_and_is_confirmed_over_smtp(
    org, smtp_server, celery_eager, django_capture_on_commit_callbacks
):
    Profile.objects.update_or_create(user=org.member, defaults={"language": "nb"})
    done = KeyResultFactory(
        objective=org.objective, owner=org.member, kind="achieve", title="Lansere kurskatalog"
    )
    for delivery in reminders.checkin_reminders_plan(ignore_slot=True):
        reminders.checkin_reminder_send(delivery_id=delivery.pk, ignore_slot=True)
    (received,) = [m for m in smtp_server.messages if m["To"] == org.member.email]
    assert received["Reply-To"] == "checkin@okr.example.org"
    text = received.get_body(preferencelist=("plain",)).get_content()
    assert f"K{org.key_result.pk}  {org.key_result.title}" in text and f"K{done.pk}  Lansere" in text
    smtp_server.messages.clear()

    raw = answer(received, f"K{org.key_result.pk}: 1 268 8 God påmelding denne uka\nK{done.pk}: ferdig 9")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("receive_email", stdin=BytesIO(raw), stdout=StringIO())

    checkins = {c.key_result_id: c for c in CheckIn.objects.all()}
    assert checkins[org.key_result.pk].value == Decimal(1268)
    assert checkins[org.key_result.pk].confidence == 8
    assert checkins[org.key_result.pk].author == org.member
    assert checkins[done.pk].value == 1
    (confirmation,) = smtp_server.messages
    assert confirmation["To"] == org.member.email
    assert confirmation["In-Reply-To"] == email.message_from_bytes(raw)["Message-ID"]
    body = confirmation.get_body(preferencelist=("plain",)).get_content()
    assert "Lagret:" in body and "Ikke lagret:" not in body and "Ikke forstått" not in body
    assert "https://okr.example.org/" in body

    # The same reply delivered again (a retrying mail server): nothing more is saved or sent.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("receive_email", stdin=BytesIO(raw), stdout=StringIO())
    assert CheckIn.objects.count() == 2 and len(smtp_server.messages) == 1
