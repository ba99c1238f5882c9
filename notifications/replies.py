"""Check in by replying to the reminder: the reminder's reply identity, and applying a received reply.

A reminder gets a random Message-ID and reply token (128 bits each) and the address it went to, stored on
its ``EmailDelivery``; its Reply-To is ``INBOUND_EMAIL_ADDRESS``, plus-addressed with the token when
``INBOUND_PLUS_ADDRESSING`` is on.

A reply is *accepted* when it references a sent reminder (``In-Reply-To``/``References``, or the token in a
recipient address), comes from the address that reminder went to, and the reminder is at most
``REPLY_MAX_AGE`` old. Then each check-in line goes through the one check-in service
(``checkins.services.checkin_submit``, author = the replier), each line in its own savepoint: a line is
saved whole or not at all. The key result must be the replier's own (the reminder lists what they own),
which they may check in on (``objectives.permissions``) and which takes check-ins now
(``objectives.writability``, through the service).

Whatever happens, the message is recorded once (``InboundMessage``, unique by Message-ID) in the same
transaction as its check-ins, so a replay, or a message two pollers fetched, changes nothing. A known sender
gets one confirmation (what was saved, what was not and why, a link to My week) through the delivery
machinery; an unknown sender and automatic messages (out of office, bounces) get nothing: no backscatter.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from checkins.models import CheckIn
from checkins.services import checkin_submit
from notifications import delivery as deliveries
from notifications.due import site_zone, week_of
from notifications.inbound import (
    ERROR_CONFIDENCE,
    ERROR_NO_VALUE,
    ERROR_NOT_A_NUMBER,
    Inbound,
    code_of,
    line_parse,
    message_read,
    reply_lines,
)
from notifications.models import EmailDelivery, InboundMessage
from notifications.rendering import absolute_reverse, message_build, user_language
from objectives.models import KeyResult
from objectives.permissions import access_for, can_check_in
from okrhub.numbers import format_number

logger = logging.getLogger(__name__)

REPLY_MAX_AGE = dt.timedelta(days=8)

# Why a reply or one of its lines was not saved (shown in the confirmation, imported by the tests).
REPLY_EXPIRED = gettext_lazy(
    "The reminder you answered is more than 8 days old, so nothing was saved. Reply to this week's reminder, "
    "or check in on My week."
)
REPLY_FORWARDED = gettext_lazy(
    "The reminder you answered was sent to another address, so nothing was saved: only its recipient can "
    "check in by replying to it."
)
REPLY_NOT_A_REPLY = gettext_lazy(
    "Your message does not answer a check-in reminder, so nothing was saved. Reply to the reminder itself."
)
REPLY_TOO_LARGE = gettext_lazy(
    "Your message was too large to be read (%(megabytes)s MB at most), so nothing was saved. Reply without "
    "attachments."
)
REPLY_MALFORMED = gettext_lazy(
    "Your message could not be read (its format is broken), so nothing was saved. Reply again from your "
    "mail client."
)
REPLY_NO_LINES = gettext_lazy("No check-in lines were found in your reply.")
LINE_UNKNOWN_CODE = gettext_lazy("There is no key result with the code %(code)s.")
LINE_NOT_YOURS = gettext_lazy("%(code)s is not one of your key results.")
LINE_DUPLICATE = gettext_lazy("%(code)s appears more than once; only its first line was used.")
LINE_NO_VALUE = gettext_lazy("Write the value after the code.")
LINE_NOT_A_NUMBER = gettext_lazy("The value is not a number.")
LINE_DONE_OR_NOT = gettext_lazy("Write done or not done.")
LINE_CONFIDENCE = gettext_lazy("Confidence is a whole number from 1 to 10.")
LINE_NO_CONFIDENCE = gettext_lazy("Give a confidence from 1 to 10: this key result has none yet.")


# --- The reminder's reply identity -------------------------------------------------------------------------


def _domain() -> str:
    for address in (settings.INBOUND_EMAIL_ADDRESS, settings.DEFAULT_FROM_EMAIL):
        _, parsed = email.utils.parseaddr(address or "")
        if "@" in parsed:
            return parsed.rsplit("@", 1)[1].lower()
    return "okrhub.localhost"


def replies_enabled() -> bool:
    return bool(settings.INBOUND_EMAIL_ADDRESS)


def reply_address(delivery: EmailDelivery) -> str:
    """Where a reply to this reminder goes ("" when replying is off)."""
    address = settings.INBOUND_EMAIL_ADDRESS
    if not address or not settings.INBOUND_PLUS_ADDRESSING or not delivery.reply_token:
        return address
    local, domain = address.rsplit("@", 1)
    return f"{local}+{delivery.reply_token}@{domain}"


def reminder_identity(delivery: EmailDelivery) -> EmailDelivery:
    """Give the reminder its Message-ID and token once (kept across retries) and record where it goes.

    The sender holds the delivery's claim, so nobody else writes these fields meanwhile."""
    if not delivery.message_id:
        delivery.message_id = f"<{secrets.token_hex(16)}@{_domain()}>"
        delivery.reply_token = secrets.token_hex(16)
    delivery.sent_to = delivery.user.email
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        message_id=delivery.message_id, reply_token=delivery.reply_token, sent_to=delivery.sent_to
    )
    return delivery


def reminder_headers(message: EmailMultiAlternatives, delivery: EmailDelivery) -> EmailMultiAlternatives:
    message.extra_headers["Message-ID"] = delivery.message_id
    if address := reply_address(delivery):
        message.reply_to = [address]
    return message


# --- Applying a reply ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    record: InboundMessage | None  # None: a replay, nothing changed
    replayed: bool = False


def _reminder_for(inbound: Inbound) -> EmailDelivery | None:
    tokens = []
    if settings.INBOUND_EMAIL_ADDRESS and "@" in settings.INBOUND_EMAIL_ADDRESS:
        local, domain = settings.INBOUND_EMAIL_ADDRESS.lower().rsplit("@", 1)
        for address in inbound.recipients:
            box, _, host = address.rpartition("@")
            if host == domain and box.startswith(local + "+"):
                tokens.append(box.removeprefix(local + "+"))
    reminders = EmailDelivery.objects.filter(
        kind=EmailDelivery.Kind.CHECKIN_REMINDER, sent_at__isnull=False
    ).select_related("user")
    if tokens:
        found = reminders.filter(reply_token__in=tokens).first()
        if found is not None:
            return found
    ids = [f"<{reference}>" for reference in inbound.references[:20]]
    if ids:
        by_id = {d.message_id.lower(): d for d in reminders.filter(message_id__in=ids)}
        for reference in ids:  # the message answered directly first, then the thread newest first
            if reference in by_id:
                return by_id[reference]
    return None


def _known_user(address: str):
    if not address:
        return None
    users = list(get_user_model().objects.filter(email__iexact=address, is_active=True)[:2])
    return users[0] if len(users) == 1 else None  # two accounts with one address: nobody to answer


def reply_process(*, raw: bytes, size: int | None = None, now: dt.datetime | None = None) -> Result:
    """Record and apply one received message (``raw``: its bytes, or only its header when ``size`` says it
    was too large to fetch). Safe to call any number of times with the same message."""
    now = now or timezone.now()
    inbound = message_read(raw, max_bytes=settings.INBOUND_MAX_MESSAGE_BYTES, size=size)
    if InboundMessage.objects.filter(message_key=inbound.key).exists():
        return Result(record=None, replayed=True)
    reminder = None if inbound.automatic else _reminder_for(inbound)
    replier = None
    refusal = ""
    if inbound.automatic or not inbound.sender:
        pass
    elif reminder is not None and reminder.user.is_active and inbound.sender == reminder.sent_to.lower():
        replier = reminder.user
        if now - reminder.sent_at > REPLY_MAX_AGE:
            refusal = REPLY_EXPIRED
    else:
        replier = _known_user(inbound.sender)
        refusal = REPLY_FORWARDED if reminder is not None else REPLY_NOT_A_REPLY
    if replier is not None and not refusal:
        if inbound.too_large:
            refusal = REPLY_TOO_LARGE
        elif inbound.malformed:
            refusal = REPLY_MALFORMED
    record = InboundMessage(
        message_key=inbound.key,
        message_id=inbound.message_id,
        sender=inbound.sender[:320],
        subject=inbound.subject,
        size=inbound.size,
        received_at=now,
        user=replier,
        reminder=reminder if replier is not None and replier == getattr(reminder, "user", None) else None,
    )
    try:
        with transaction.atomic():
            if replier is None:
                record.status = InboundMessage.Status.DROPPED
                record.save()
                return Result(record=record)
            with translation.override(user_language(replier)):
                if refusal:
                    megabytes = format_number(round(settings.INBOUND_MAX_MESSAGE_BYTES / 1024 / 1024, 1))
                    record.status = InboundMessage.Status.REFUSED
                    record.reason = str(refusal)
                    if refusal is REPLY_TOO_LARGE:
                        record.reason %= {"megabytes": megabytes}
                    record.outcome = {"lines": [], "not_understood": []}
                    record.save()
                else:
                    record.status = InboundMessage.Status.PROCESSED
                    record.save()  # first: a second copy of this message stops here (unique key)
                    record.outcome = _apply(inbound, replier=replier, now=now)
                    if not record.outcome["lines"]:
                        record.reason = str(REPLY_NO_LINES)
                    record.save(update_fields=["outcome", "reason"])
                _confirmation_plan(record, now=now)
    except IntegrityError:
        # Another process recorded this message meanwhile (the unique key): it applied it, we change nothing.
        return Result(record=None, replayed=True)
    return Result(record=record)


def _line_error(code: str, line, key_result: KeyResult | None) -> str:
    if line.error == ERROR_NO_VALUE:
        return str(LINE_NO_VALUE)
    if line.error == ERROR_NOT_A_NUMBER:
        if key_result is not None and key_result.kind == KeyResult.Kind.ACHIEVE:
            return str(LINE_DONE_OR_NOT)
        return str(LINE_NOT_A_NUMBER)
    if line.error == ERROR_CONFIDENCE:
        return str(LINE_CONFIDENCE)
    return ""


def _apply(inbound: Inbound, *, replier, now: dt.datetime) -> dict:
    language = translation.get_language() or settings.LANGUAGE_CODE
    language = language.split("-")[0]
    parsed = []
    not_understood = []
    for text in reply_lines(inbound.text, language=language):
        line = line_parse(text, language=language)
        if line is None:
            not_understood.append(text[:300])
        else:
            parsed.append(line)
    key_results = {
        kr.pk: kr
        for kr in KeyResult.objects.filter(pk__in={line.key_result_id for line in parsed}).select_related(
            "objective__cycle", "objective__team"
        )
    }
    access = access_for(replier)
    seen: set[int] = set()
    results = []
    for line in parsed:
        code = code_of(line.key_result_id)
        key_result = key_results.get(line.key_result_id)
        item = {"line": line.text[:300], "code": code, "title": "", "saved": False, "reason": ""}
        results.append(item)
        if key_result is None:
            item["reason"] = str(LINE_UNKNOWN_CODE) % {"code": code}
            continue
        item["title"] = key_result.title
        if key_result.owner_id != replier.pk or not can_check_in(access, key_result):
            item["reason"] = str(LINE_NOT_YOURS) % {"code": code}
            continue
        if line.key_result_id in seen:
            item["reason"] = str(LINE_DUPLICATE) % {"code": code}
            continue
        seen.add(line.key_result_id)
        if error := _line_error(code, line, key_result):
            item["reason"] = error
            continue
        confidence = line.confidence if line.confidence is not None else key_result.confidence
        if confidence is None:
            item["reason"] = str(LINE_NO_CONFIDENCE)
            continue
        try:
            with transaction.atomic():  # a savepoint: this line is saved whole or not at all
                checkin_submit(
                    key_result=key_result,
                    author=replier,
                    value=line.value,
                    confidence=confidence,
                    note=line.note,
                    created_at=now,
                    source=CheckIn.Source.EMAIL,
                )
        except ValidationError as error:
            item["reason"] = " ".join(str(message) for message in error.messages)
            continue
        item.update(
            saved=True,
            value=_value_label(key_result, line.value),
            confidence=confidence,
            note=line.note,
        )
    return {"lines": results, "not_understood": not_understood}


def _value_label(key_result: KeyResult, value) -> str:
    if key_result.kind == KeyResult.Kind.ACHIEVE:
        return str(_("done")) if value else str(_("not done"))
    return format_number(value)


def _confirmation_plan(record: InboundMessage, *, now: dt.datetime) -> None:
    week = week_of(now, site_zone())
    delivery = EmailDelivery.objects.create(
        user=record.user,
        kind=EmailDelivery.Kind.REPLY_CONFIRMATION,
        iso_year=week.iso_year,
        iso_week=week.iso_week,
        inbound=record,
    )
    from notifications.tasks import send_reply_confirmation  # the tasks module imports this one

    transaction.on_commit(lambda: send_reply_confirmation.delay(delivery.pk))


# --- The confirmation ------------------------------------------------------------------------------------


def reply_confirmation_send(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Send the confirmation of one reply at most once."""
    now = now or timezone.now()
    delivery = EmailDelivery.objects.select_related("user", "inbound__reminder").get(
        pk=delivery_id, kind=EmailDelivery.Kind.REPLY_CONFIRMATION
    )
    record = delivery.inbound

    def build() -> EmailMultiAlternatives:
        lines = record.outcome.get("lines", [])
        message = message_build(
            user=delivery.user,
            template="reply_confirmation",
            context={
                "record": record,
                "saved": [line for line in lines if line["saved"]],
                "refused": [line for line in lines if not line["saved"]],
                "not_understood": record.outcome.get("not_understood", []),
                "my_week_url": absolute_reverse("checkins:my_week"),
            },
        )
        # An answer to a message (RFC 3834): auto-responders do not answer it back.
        message.extra_headers["Auto-Submitted"] = "auto-replied"
        references = [reminder.message_id] if (reminder := record.reminder) and reminder.message_id else []
        if record.message_id:
            message.extra_headers["In-Reply-To"] = f"<{record.message_id}>"
            references.append(f"<{record.message_id}>")
        if references:
            # The reminder first: answering this confirmation (within the 8 days) checks in again.
            message.extra_headers["References"] = " ".join(references)
        if reminder is not None and (address := reply_address(reminder)):
            message.reply_to = [address]
        return message

    return deliveries.send_once(delivery=delivery, now=now, build=build)
