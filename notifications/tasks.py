"""Celery tasks for reminders and digests: thin, ids in, one service call each, retried with backoff.

The task names keep their ``checkins.`` prefix from before the move to this app: the beat schedule
(``CELERY_BEAT_SCHEDULE``) and workers deployed with queued messages know them by name.

The periodic tasks only plan (idempotently) and fan out one task per email, so a failing SMTP send for one
user is retried on its own and never holds up the others.
"""

from __future__ import annotations

import imaplib

from celery import shared_task
from django.db import transaction

from notifications import digest, imap, reminders, replies
from okrhub.mail import SEND_RETRY, TIME_LIMITS


def _enqueue(task, delivery_ids: list[int]) -> None:
    # After commit, so the worker can read the rows the planner just made.
    for delivery_id in delivery_ids:
        transaction.on_commit(lambda delivery_id=delivery_id: task.delay(delivery_id))


@shared_task(name="checkins.send_due_checkin_reminders", **TIME_LIMITS)
def send_due_checkin_reminders() -> int:
    """Hourly: plan a reminder for every owner whose team's slot has passed this week; one task each."""
    deliveries = reminders.checkin_reminders_plan()
    _enqueue(send_checkin_reminder, [d.pk for d in deliveries])
    return len(deliveries)


@shared_task(name="checkins.send_checkin_reminder", **SEND_RETRY, **TIME_LIMITS)
def send_checkin_reminder(delivery_id: int) -> str:
    return reminders.checkin_reminder_send(delivery_id=delivery_id)


@shared_task(name="checkins.send_due_leader_digests", **TIME_LIMITS)
def send_due_leader_digests() -> int:
    """Hourly: from Monday morning, plan this week's digest for every team lead; one task each."""
    deliveries = digest.leader_digests_plan()
    _enqueue(send_leader_digest, [d.pk for d in deliveries])
    return len(deliveries)


@shared_task(name="checkins.send_leader_digest", **SEND_RETRY, **TIME_LIMITS)
def send_leader_digest(delivery_id: int) -> str:
    return digest.leader_digest_send(delivery_id=delivery_id)


@shared_task(name="notifications.send_reply_confirmation", **SEND_RETRY, **TIME_LIMITS)
def send_reply_confirmation(delivery_id: int) -> str:
    return replies.reply_confirmation_send(delivery_id=delivery_id)


# Reconnecting later is all a broken IMAP connection needs; the next minute's run retries anyway.
POLL_RETRY = {**SEND_RETRY, "autoretry_for": (imaplib.IMAP4.error, OSError), "max_retries": 3}


@shared_task(name="notifications.poll_inbound_email", **POLL_RETRY, **TIME_LIMITS)
def poll_inbound_email() -> int:
    """Every minute: read new replies from INBOUND_IMAP_URL (nothing to do when it is not set)."""
    return imap.inbound_poll()
