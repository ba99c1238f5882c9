"""Check in by replying to the reminder: what the reminder says, how a reply is read, what it saves, and every
reply that must save nothing."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from decimal import Decimal
from email.message import EmailMessage
from io import BytesIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from checkins.models import CheckIn
from notifications import inbound, reminders
from notifications.models import EmailDelivery, InboundMessage
from objectives.models import Cycle, KeyResult
from objectives.writability import CYCLE_CLOSED
from teams.models import Profile
from tests.factories import KeyResultFactory

INBOUND = "checkin@okr.example.org"


@pytest.fixture
def inbound_settings(settings):
    settings.INBOUND_EMAIL_ADDRESS = INBOUND
    settings.INBOUND_PLUS_ADDRESSING = False
    settings.SITE_URL = "https://okr.example.org"
    return settings


@pytest.fixture
def reminded(org, inbound_settings, mailoutbox, celery_eager, django_capture_on_commit_callbacks):
    """The member's reminder, really sent; returns a function that feeds a reply to receive_email."""
    org.key_result.current_value = Decimal(12)
    org.key_result.save()
    Profile.objects.update_or_create(user=org.member, defaults={"language": "nb"})
    (delivery,) = [
        d for d in reminders.checkin_reminders_plan(ignore_slot=True) if d.user_id == org.member.pk
    ]
    assert reminders.checkin_reminder_send(delivery_id=delivery.pk, ignore_slot=True) == "sent"
    reminder = mailoutbox[-1]
    mailoutbox.clear()

    def receive(message: EmailMessage | bytes) -> str:
        raw = message if isinstance(message, bytes) else message.as_bytes()
        out = BytesIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("receive_email", stdin=BytesIO(raw), stdout=_Text(out))
        return out.getvalue().decode().strip()

    return {"delivery": EmailDelivery.objects.get(pk=delivery.pk), "message": reminder, "receive": receive}


class _Text:
    def __init__(self, buffer):
        self.buffer = buffer

    def write(self, text):
        self.buffer.write(text.encode())

    def flush(self):
        pass


def reply(
    reminder, body: str, *, sender: str | None = None, html: str | None = None, **headers
) -> EmailMessage:
    """A reply as a mail client writes it: In-Reply-To, References, "Re:", the original quoted below."""
    message = EmailMessage()
    message["From"] = sender or reminder.to[0]
    message["To"] = reminder.reply_to[0] if reminder.reply_to else INBOUND
    message["Subject"] = "Re: " + reminder.subject
    message["Message-ID"] = email.utils.make_msgid(domain="mail.example.net")
    original = reminder.extra_headers["Message-ID"]
    message["In-Reply-To"] = original
    message["References"] = original
    for name, value in headers.items():
        del message[name.replace("_", "-")]
        if value is not None:
            message[name.replace("_", "-")] = value
    if html is None:
        quoted = "\n".join("> " + line for line in reminder.body.splitlines())
        message.set_content(
            f"{body}\n\nDen tir. 1. des. 2026 kl. 10:00 skrev OKR Hub <okrhub@localhost>:\n{quoted}\n"
        )
    else:
        message.set_content(html, subtype="html")
    return message


def confirmation_text(mailoutbox) -> str:
    (message,) = mailoutbox
    return message.body


# --- The reminder -----------------------------------------------------------------------------------------


def test_the_reminder_lists_codes_and_values_and_explains_the_reply_in_norwegian(org, reminded):
    message, delivery = reminded["message"], reminded["delivery"]
    code = f"K{org.key_result.pk}"
    assert f"- {code}  {org.key_result.title}" in message.body
    assert "Nå: 12" in message.body
    assert "Sjekk inn ved å svare på denne e-posten" in message.body
    assert f"{code}: 12 8" in message.body
    assert "skriv fullført eller ikke fullført" in message.body
    html = message.alternatives[0][0]
    assert code in html and "Sjekk inn ved å svare" in html
    # The Message-ID and Reply-To are the delivery's own, and a Message-ID is never reused.
    assert message.extra_headers["Message-ID"] == delivery.message_id
    assert message.reply_to == [INBOUND]
    assert delivery.sent_to == org.member.email
    assert len(delivery.reply_token) == 32 and len(delivery.message_id) > 32
    other = EmailDelivery.objects.exclude(pk=delivery.pk).get(kind=EmailDelivery.Kind.CHECKIN_REMINDER)
    assert other.message_id != delivery.message_id and other.reply_token != delivery.reply_token


def test_the_reminder_in_english_and_plus_addressed(org, inbound_settings, mailoutbox):
    inbound_settings.INBOUND_PLUS_ADDRESSING = True
    Profile.objects.update_or_create(user=org.member, defaults={"language": "en"})
    for delivery in reminders.checkin_reminders_plan(ignore_slot=True):
        reminders.checkin_reminder_send(delivery_id=delivery.pk, ignore_slot=True)
    message = next(m for m in mailoutbox if m.to == [org.member.email])
    delivery = EmailDelivery.objects.get(user=org.member)
    assert message.reply_to == [f"checkin+{delivery.reply_token}@okr.example.org"]
    assert "Check in by replying to this email" in message.body
    assert "Now: 10" in message.body


def test_without_an_inbound_address_the_reminder_says_nothing_about_replying(org, settings, mailoutbox):
    settings.INBOUND_EMAIL_ADDRESS = ""
    for delivery in reminders.checkin_reminders_plan(ignore_slot=True):
        reminders.checkin_reminder_send(delivery_id=delivery.pk, ignore_slot=True)
    message = next(m for m in mailoutbox if m.to == [org.member.email])
    assert message.reply_to == []
    assert "svare på denne e-posten" not in message.body and "replying" not in message.body
    assert message.extra_headers["Message-ID"] == EmailDelivery.objects.get(user=org.member).message_id


# --- Reading lines (pure) ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "language", "value", "confidence", "note"),
    [
        ("K12: 1268 8 God påmelding denne uka", "nb", Decimal(1268), 8, "God påmelding denne uka"),
        ("K12: 1 268 8 God påmelding", "nb", Decimal(1268), 8, "God påmelding"),
        ("K12: 1\u00a0268", "nb", Decimal(1268), None, ""),
        ("k12 12,5", "nb", Decimal("12.5"), None, ""),
        ("K12: 12.5 7", "en", Decimal("12.5"), 7, ""),
        ("K12: 1,268 9 Good week", "en", Decimal(1268), 9, "Good week"),
        ("K12: 12 500 3 – slow", "nb", Decimal(12500), 3, "slow"),
        ("K12: 40 8/10", "en", Decimal(40), 8, ""),
        ("K12: -3,5 5", "nb", Decimal("-3.5"), 5, ""),
        ("- K12: 14", "nb", Decimal(14), None, ""),
        ("K7: ferdig", "nb", Decimal(1), None, ""),
        ("K7: ikke ferdig 4 venter på svar", "nb", Decimal(0), 4, "venter på svar"),
        ("K7: Done 9", "en", Decimal(1), 9, ""),
        ("K7: not done", "en", Decimal(0), None, ""),
        ("K7: fullført", "nb", Decimal(1), None, ""),
    ],
)
def test_a_line_is_read_as_people_type_it(line, language, value, confidence, note):
    parsed = inbound.line_parse(line, language=language)
    assert (parsed.value, parsed.confidence, parsed.note, parsed.error) == (value, confidence, note, "")


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("K12:", inbound.ERROR_NO_VALUE),
        ("K12: mange", inbound.ERROR_NOT_A_NUMBER),
        ("K12: 1,2,3", inbound.ERROR_NOT_A_NUMBER),
        ("K12: 40 0", inbound.ERROR_CONFIDENCE),
        ("K12: 40 11", inbound.ERROR_CONFIDENCE),
        ("K12: 40 7,5", inbound.ERROR_CONFIDENCE),
    ],
)
def test_a_line_that_cannot_be_a_checkin_says_why(line, error):
    assert inbound.line_parse(line, language="nb").error == error


@pytest.mark.parametrize("line", ["Hei!", "Kurs går bra", "12 8", "Takk for påminnelsen", "K: 12"])
def test_a_line_without_a_code_is_not_understood(line):
    assert inbound.line_parse(line, language="nb") is None


def test_gmail_style_quotes_and_a_signature_are_cut_in_both_languages():
    norwegian = (
        "K1: 5 8\nK2: ferdig\n\nMvh\nMaja\n\n"
        "Den tir. 1. des. 2026 kl. 10:00 skrev OKR Hub <a@b.no>:\n> K1 ..."
    )
    assert inbound.reply_lines(norwegian, language="nb") == ["K1: 5 8", "K2: ferdig"]
    english = "K1: 5 8\n\nOn Tue, Dec 1, 2026 at 10:00 AM OKR Hub <a@b.no> wrote:\n> K1: 3\n> K2: 4"
    assert inbound.reply_lines(english, language="en") == ["K1: 5 8"]
    phone = "K1: 5\n\nSent from my iPhone\n\n> K1: 3"
    assert inbound.reply_lines(phone, language="en") == ["K1: 5"]


def test_outlook_style_headers_cut_the_original_in_both_languages():
    norwegian = (
        "K1: 5 8\n\n________________________________\nFra: OKR Hub <okrhub@example.org>\n"
        "Sendt: tirsdag 1. desember 2026 10:00\nTil: Maja Medlem <member@example.org>\n"
        "Emne: Tid for å sjekke inn\n\n"
        "- K1  Øke antall kurs\n  Nå: 3\nK1: 3 8 eksempel"
    )
    assert inbound.reply_lines(norwegian, language="nb") == ["K1: 5 8"]
    english = (
        "K1: 5 8\r\n\r\n-----Original Message-----\r\nFrom: OKR Hub\r\nSent: Tuesday\r\nTo: Maja\r\n"
        "Subject: Time to check in\r\n\r\nK1: 3 8 example"
    )
    assert inbound.reply_lines(english, language="en") == ["K1: 5 8"]


def test_an_html_only_reply_is_read_without_its_quoted_part():
    gmail = (
        '<div dir="ltr"><div>K1: 1&nbsp;268 8</div><div>K2: ikke ferdig</div></div><br>'
        '<div class="gmail_quote"><div class="gmail_attr">Den tir. skrev OKR Hub:</div>'
        "<blockquote>K1: 3 8 eksempel</blockquote></div>"
    )
    text = inbound.html_text(gmail)
    assert inbound.reply_lines(text, language="nb") == ["K1: 1 268 8", "K2: ikke ferdig"]
    outlook = (
        "<html><body><p>K1: 7</p><div id=appendonsend></div><hr><div id=divRplyFwdMsg><b>Fra:</b> OKR Hub"
        "</div><p>K1: 3 8 eksempel</p></body></html>"
    )
    assert inbound.reply_lines(inbound.html_text(outlook), language="nb") == ["K1: 7"]


# --- Applying a reply -------------------------------------------------------------------------------------


def test_each_line_becomes_a_checkin_by_the_replier_and_one_confirmation_says_so(org, reminded, mailoutbox):
    achieve = KeyResultFactory(objective=org.objective, owner=org.member, kind=KeyResult.Kind.ACHIEVE)
    kr = org.key_result
    body = f"K{kr.pk}: 1 268 8 God påmelding denne uka\nK{achieve.pk}: ferdig 9\nHei, dette gikk fort!"
    assert reminded["receive"](reply(reminded["message"], body)) == "processed"
    checkin = CheckIn.objects.get(key_result=kr)
    assert (checkin.value, checkin.confidence, checkin.note, checkin.author) == (
        Decimal(1268),
        8,
        "God påmelding denne uka",
        org.member,
    )
    assert checkin.source == CheckIn.Source.EMAIL and checkin.source_label == "på e-post"
    assert CheckIn.objects.get(key_result=achieve).value == 1
    kr.refresh_from_db()
    assert kr.current_value == 1268
    record = InboundMessage.objects.get()
    assert (record.status, record.user, record.reminder) == ("processed", org.member, reminded["delivery"])
    (confirmation,) = mailoutbox
    assert confirmation.to == [org.member.email]
    assert confirmation.subject == "Svaret ditt: 2 innsjekker lagret"
    assert f"K{kr.pk} {kr.title}: 1\u00a0268, tillit 8 – God påmelding denne uka" in confirmation.body
    assert "fullført, tillit 9" in confirmation.body
    assert '- "Hei, dette gikk fort!"' in confirmation.body  # listed back, not guessed
    assert "https://okr.example.org/" in confirmation.body
    assert confirmation.extra_headers["In-Reply-To"] == f"<{record.message_id}>"
    assert confirmation.extra_headers["Auto-Submitted"] == "auto-replied"
    # Answering the confirmation still answers the reminder.
    assert confirmation.extra_headers["References"].startswith(reminded["delivery"].message_id)
    assert confirmation.reply_to == [INBOUND]
    assert EmailDelivery.objects.get(inbound=record).sent_at is not None


def test_answering_the_confirmation_checks_in_again(org, reminded, mailoutbox):
    reminded["receive"](reply(reminded["message"], f"K{org.key_result.pk}: 14 7"))
    (confirmation,) = mailoutbox
    mailoutbox.clear()
    answer = reply(
        reminded["message"], f"K{org.key_result.pk}: 15 8", In_Reply_To="<confirmation@okr.example.org>",
        References=confirmation.extra_headers["References"] + " <confirmation@okr.example.org>",
    )  # fmt: skip
    reminded["receive"](answer)
    assert list(CheckIn.objects.order_by("id").values_list("value", flat=True)) == [14, 15]


def test_a_replay_of_the_same_message_changes_nothing(org, reminded, mailoutbox):
    message = reply(reminded["message"], f"K{org.key_result.pk}: 14 7")
    reminded["receive"](message)
    assert reminded["receive"](message) == "already received: nothing changed"
    assert CheckIn.objects.count() == 1 and InboundMessage.objects.count() == 1
    assert len(mailoutbox) == 1


def test_the_plus_address_token_alone_finds_the_reminder(org, reminded, inbound_settings, mailoutbox):
    token = reminded["delivery"].reply_token
    message = reply(
        reminded["message"], f"K{org.key_result.pk}: 14 7", In_Reply_To=None, References=None,
        To=f"checkin+{token}@okr.example.org",
    )  # fmt: skip
    reminded["receive"](message)
    assert CheckIn.objects.get().value == 14


def test_confidence_is_kept_from_the_latest_checkin_when_left_out(org, reminded):
    kr = org.key_result
    kr.confidence = 6
    kr.save()
    reminded["receive"](reply(reminded["message"], f"K{kr.pk}: 15"))
    assert CheckIn.objects.get().confidence == 6


# --- Bad input --------------------------------------------------------------------------------------------


def _refused_lines(mailoutbox) -> str:
    return confirmation_text(mailoutbox).split("Ikke lagret:")[1]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("K999999: 5 8", "Det finnes ikke noe nøkkelresultat med koden K999999."),
        ("{kr}: 5 0", "Tillit er et helt tall fra 1 til 10."),
        ("{kr}: 5 11", "Tillit er et helt tall fra 1 til 10."),
        ("{kr}: 99999999999999999999 8", "Tallet kan ha høyst 16 sifre."),
        ("{kr}: mange 8", "Verdien er ikke et tall."),
        ("{kr}: 5", "Oppgi en tillit fra 1 til 10: dette nøkkelresultatet har ingen ennå."),
        ("{other}: 5 8", "er ikke et av dine nøkkelresultater."),
        ("{teammate}: 5 8", "er ikke et av dine nøkkelresultater."),
    ],
)
def test_a_bad_line_is_refused_with_its_reason_and_saves_nothing(org, reminded, mailoutbox, line, reason):
    teammates = KeyResultFactory(objective=org.objective, owner=org.teammate)
    codes = {
        "kr": f"K{org.key_result.pk}",
        "other": f"K{org.other_key_result.pk}",
        "teammate": f"K{teammates.pk}",
    }
    reminded["receive"](reply(reminded["message"], line.format(**codes)))
    assert not CheckIn.objects.exists()
    assert reason in _refused_lines(mailoutbox)
    org.key_result.refresh_from_db()
    assert org.key_result.current_value == 12


def test_a_done_key_result_refuses_a_number_and_a_duplicate_line_is_used_once(org, reminded, mailoutbox):
    achieve = KeyResultFactory(objective=org.objective, owner=org.member, kind=KeyResult.Kind.ACHIEVE)
    kr = org.key_result
    reminded["receive"](reply(reminded["message"], f"K{achieve.pk}: 5 8\nK{kr.pk}: 13 8\nK{kr.pk}: 14 8"))
    assert list(CheckIn.objects.values_list("key_result_id", "value")) == [(kr.pk, Decimal(13))]
    refused = _refused_lines(mailoutbox)
    assert "Velg fullført eller ikke fullført." in refused  # the check-in service says it
    assert f"K{kr.pk} står mer enn én gang; bare den første linjen ble brukt." in refused


def test_a_closed_cycle_refuses_by_the_writability_rule(org, reminded, mailoutbox):
    Cycle.objects.filter(pk=org.cycle.pk).update(status=Cycle.Status.CLOSED)
    reminded["receive"](reply(reminded["message"], f"K{org.key_result.pk}: 13 8"))
    assert not CheckIn.objects.exists()
    with translation.override("nb"):
        assert str(CYCLE_CLOSED) in _refused_lines(mailoutbox)


def test_a_forwarded_reminder_from_another_known_address_is_refused_to_that_sender(org, reminded, mailoutbox):
    reminded["receive"](reply(reminded["message"], f"K{org.key_result.pk}: 13 8", sender=org.teammate.email))
    assert not CheckIn.objects.exists()
    (message,) = mailoutbox
    assert message.to == [org.teammate.email]
    assert message.subject == "Svaret ditt ble ikke lagret"
    assert "sendt til en annen adresse" in message.body
    assert InboundMessage.objects.get().status == "refused"


@pytest.mark.parametrize(
    "headers",
    [
        {"sender": "stranger@elsewhere.example"},  # a forwarded reminder from someone we do not know
        {"From": "member@example.org, teammate@example.org"},  # two senders: nobody to trust
        {"Auto_Submitted": "auto-replied"},  # out of office
        {"Precedence": "bulk"},
    ],
)
def test_an_unknown_or_automatic_sender_gets_no_answer(org, reminded, mailoutbox, headers):
    sender = headers.pop("sender", None)
    reminded["receive"](reply(reminded["message"], f"K{org.key_result.pk}: 13 8", sender=sender, **headers))
    assert not CheckIn.objects.exists()
    assert mailoutbox == []  # no backscatter
    assert InboundMessage.objects.get().status == "dropped"


def test_a_message_that_answers_no_reminder_is_refused_to_a_known_sender(org, reminded, mailoutbox):
    reminded["receive"](
        reply(reminded["message"], f"K{org.key_result.pk}: 13 8", In_Reply_To=None, References=None)
    )
    assert not CheckIn.objects.exists()
    assert "svarer ikke på en påminnelse" in confirmation_text(mailoutbox)
    stranger = reply(reminded["message"], "K1: 1", sender="x@y.example", In_Reply_To=None, References=None)
    reminded["receive"](stranger)
    assert len(mailoutbox) == 1


def test_an_expired_reminder_is_refused(org, reminded, mailoutbox, time_machine):
    time_machine.move_to(timezone.now() + dt.timedelta(days=8, minutes=1))
    reminded["receive"](reply(reminded["message"], f"K{org.key_result.pk}: 13 8"))
    assert not CheckIn.objects.exists()
    assert "mer enn 8 dager gammel" in confirmation_text(mailoutbox)


def test_a_reply_within_eight_days_is_accepted(org, reminded, time_machine):
    time_machine.move_to(timezone.now() + dt.timedelta(days=7, hours=23))
    reminded["receive"](reply(reminded["message"], f"K{org.key_result.pk}: 13 8"))
    assert CheckIn.objects.count() == 1


def test_a_ten_megabyte_attachment_is_refused_unread(org, reminded, mailoutbox):
    message = reply(reminded["message"], f"K{org.key_result.pk}: 13 8")
    message.add_attachment(b"\0" * (10 * 1024 * 1024), maintype="application", subtype="octet-stream")
    reminded["receive"](message)
    assert not CheckIn.objects.exists()
    assert "for stor" in confirmation_text(mailoutbox)
    assert InboundMessage.objects.get().size > 10 * 1024 * 1024


def test_malformed_mime_is_refused(org, reminded, mailoutbox):
    good = reply(reminded["message"], f"K{org.key_result.pk}: 13 8")
    head = b"".join(f"{name}: {value}\r\n".encode() for name, value in good.items() if name != "Content-Type")
    broken = head + (
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nSzE6IDEz=Ox!!\r\n"
    )
    reminded["receive"](broken)
    assert not CheckIn.objects.exists()
    assert "kunne ikke leses" in confirmation_text(mailoutbox)


def test_a_line_is_saved_whole_or_not_at_all(org, reminded, mailoutbox, monkeypatch):
    """The service fails after writing the check-in row: the line's savepoint takes it back, the next line
    is still saved."""
    second = KeyResultFactory(objective=org.objective, owner=org.member, confidence=5)
    from checkins import services

    original = services.key_result_recompute

    def fail_once(*, key_result, latest=None):
        if key_result.pk == org.key_result.pk:
            from django.core.exceptions import ValidationError

            raise ValidationError("recompute failed")
        return original(key_result=key_result, latest=latest)

    monkeypatch.setattr(services, "key_result_recompute", fail_once)
    reminded["receive"](reply(reminded["message"], f"K{org.key_result.pk}: 13 8\nK{second.pk}: 14"))
    assert list(CheckIn.objects.values_list("key_result_id", flat=True)) == [second.pk]
    assert "recompute failed" in _refused_lines(mailoutbox)


def test_an_inactive_replier_gets_nothing(org, reminded, mailoutbox):
    type(org.member).objects.filter(pk=org.member.pk).update(is_active=False)
    reminded["receive"](reply(reminded["message"], f"K{org.key_result.pk}: 13 8"))
    assert not CheckIn.objects.exists() and mailoutbox == []


def test_a_message_without_message_id_is_keyed_by_its_bytes(org, reminded):
    message = reply(reminded["message"], f"K{org.key_result.pk}: 13 8", Message_ID=None)
    reminded["receive"](message)
    reminded["receive"](message)
    assert CheckIn.objects.count() == 1


def test_anonymising_the_replier_erases_their_address_from_the_messages(org, reminded, mailoutbox):
    from teams.people_services import person_anonymise

    message = reply(reminded["message"], f"K{org.key_result.pk}: 13 8")
    reminded["receive"](message)
    person_anonymise(user=org.member)
    assert set(EmailDelivery.objects.filter(user=org.member).values_list("sent_to", flat=True)) == {""}
    record = InboundMessage.objects.get()
    assert (record.sender, record.subject, record.outcome) == ("", "", {})
    mailoutbox.clear()
    assert reminded["receive"](message) == "already received: nothing changed"
    assert CheckIn.objects.count() == 1 and mailoutbox == []


def test_the_inbound_tasks_are_named_time_limited_retried_and_scheduled(settings):
    from notifications import tasks

    for task, name in (
        (tasks.poll_inbound_email, "notifications.poll_inbound_email"),
        (tasks.send_reply_confirmation, "notifications.send_reply_confirmation"),
    ):
        assert task.name == name
        assert (task.soft_time_limit, task.time_limit) == (120, 180)
        assert task.autoretry_for and task.max_retries
    entry = settings.CELERY_BEAT_SCHEDULE["inbound-email"]
    assert entry["task"] == "notifications.poll_inbound_email"
    assert entry["options"]["expires"] < 60  # a missed minute is superseded by the next


def test_without_an_imap_url_the_poller_does_nothing(settings):
    from notifications import imap, tasks

    settings.INBOUND_IMAP_URL = ""
    assert tasks.poll_inbound_email.apply().get() == 0
    with pytest.raises(ValueError, match="imaps://"):
        imap.mailbox_of("http://example.org/")
    mailbox = imap.mailbox_of("imaps://checkin%40okr.example.org:p%2Fw@imap.example.org/Svar")
    assert (mailbox.user, mailbox.password, mailbox.port, mailbox.folder, mailbox.tls) == (
        "checkin@okr.example.org",
        "p/w",
        993,
        "Svar",
        True,
    )
