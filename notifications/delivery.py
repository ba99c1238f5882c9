"""Sending each message exactly once, through ``EmailDelivery`` (one row per user, kind and ISO week, unique
in the database):

1. *Plan*: ``bulk_create(..., ignore_conflicts=True)`` makes the row; any number of planners may race.
2. *Claim*: ``filter(pk=…, sent_at=None, claimed_until lapsed).update(claimed_until=now + LEASE)`` — the
   database lets exactly one sender through; the others see 0 rows and stop ("another process got there
   first", as healthchecks' ``sendalerts`` does).
3. *Send*, then ``update(sent_at=now)``. A failed send releases the claim and records the error, so the row
   stays unsent and the retry (with backoff) or the next run sends it.

The lease is longer than the task's hard time limit, so it only lapses when its holder died mid-send.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.utils import timezone

from notifications.due import ReminderKey
from notifications.models import EmailDelivery
from teams.models import Profile

# Longer than CELERY_TASK_TIME_LIMIT (300 s by default): a live sender never loses its claim.
LEASE = dt.timedelta(minutes=15)

SENT = "sent"
ALREADY_SENT = "already_sent"
BUSY = "busy"  # another process holds the claim
NOTHING_TO_SEND = "nothing_to_send"
OPTED_OUT = "opted_out"


def deliveries_plan(*, kind: str, keys: Iterable[ReminderKey]) -> list[EmailDelivery]:
    """Make sure a delivery row exists for every key (races are settled by the unique constraint) and
    return the ones not yet sent, oldest first."""
    keys = set(keys)
    if not keys:
        return []
    EmailDelivery.objects.bulk_create(
        [EmailDelivery(user_id=k.user_id, kind=kind, iso_year=k.iso_year, iso_week=k.iso_week) for k in keys],
        ignore_conflicts=True,
    )
    candidates = EmailDelivery.objects.filter(
        kind=kind,
        sent_at=None,
        user_id__in={k.user_id for k in keys},
        iso_year__in={k.iso_year for k in keys},
        iso_week__in={k.iso_week for k in keys},
    ).select_related("user")
    deliveries = [d for d in candidates if ReminderKey(d.user_id, d.iso_year, d.iso_week) in keys]
    return sorted(deliveries, key=lambda d: d.pk)


def sent_keys(*, kind: str, keys: Iterable[ReminderKey]) -> set[ReminderKey]:
    """Which of these messages were already sent (for the dry run, which must not create rows)."""
    keys = set(keys)
    if not keys:
        return set()
    rows = EmailDelivery.objects.filter(
        kind=kind,
        sent_at__isnull=False,
        user_id__in={k.user_id for k in keys},
        iso_year__in={k.iso_year for k in keys},
        iso_week__in={k.iso_week for k in keys},
    ).values_list("user_id", "iso_year", "iso_week")
    return {ReminderKey(*row) for row in rows} & keys


def claim(delivery_id: int, now: dt.datetime) -> bool:
    claimed = (
        EmailDelivery.objects.filter(pk=delivery_id, sent_at=None)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(claimed_until=now + LEASE, attempts=F("attempts") + 1)
    )
    return claimed == 1


def _release(delivery_id: int, *, error: str = "") -> None:
    EmailDelivery.objects.filter(pk=delivery_id, sent_at=None).update(
        claimed_until=None, last_error=error[:2000]
    )


def _mark_sent(delivery_id: int) -> None:
    EmailDelivery.objects.filter(pk=delivery_id, sent_at=None).update(
        sent_at=timezone.now(), claimed_until=None, last_error=""
    )


def profile_allows(user, attribute: str) -> bool:
    """Whether the user's profile lets this kind of message through (on when there is no profile yet)."""
    try:
        return bool(getattr(user.profile, attribute))
    except Profile.DoesNotExist:
        return True


def send_once(
    *, delivery: EmailDelivery, now: dt.datetime, build: Callable[[], EmailMultiAlternatives | None]
) -> str:
    """Claim, build (``build()`` → message or None when there is nothing to say), send, mark sent."""
    if delivery.sent_at is not None:
        return ALREADY_SENT
    if not claim(delivery.pk, now):
        return BUSY
    try:
        message = build()
        if message is None:
            _release(delivery.pk)
            return NOTHING_TO_SEND
        message.send(fail_silently=False)
    except Exception as exc:
        # Not recorded as sent: the row stays open for the retry or the next run.
        _release(delivery.pk, error=f"{type(exc).__name__}: {exc}")
        raise
    _mark_sent(delivery.pk)
    return SENT
