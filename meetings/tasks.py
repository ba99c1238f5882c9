"""Celery tasks for meetings: thin, ids in, one service call each (the mail rules are okrhub/mail.py's)."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from meetings import minutes_mail
from okrhub.mail import SEND_RETRY, TIME_LIMITS


@shared_task(name="meetings.send_meeting_minutes", **TIME_LIMITS)
def send_meeting_minutes(meeting_id: int) -> int:
    """Plan one delivery per team member (idempotently), then one task per email."""
    deliveries = minutes_mail.minutes_deliveries_plan(meeting_id=meeting_id)
    for delivery in deliveries:
        transaction.on_commit(lambda delivery_id=delivery.pk: send_minutes_email.delay(delivery_id))
    return len(deliveries)


@shared_task(name="meetings.send_minutes_email", **SEND_RETRY, **TIME_LIMITS)
def send_minutes_email(delivery_id: int) -> str:
    return minutes_mail.minutes_email_send(delivery_id=delivery_id)
