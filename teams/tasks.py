"""Celery tasks for the emails about people: thin, ids in, one call each, retried with backoff."""

from __future__ import annotations

from celery import shared_task

from okrhub.mail import SEND_RETRY, TIME_LIMITS
from teams import emails


@shared_task(name="teams.send_invitation", **SEND_RETRY, **TIME_LIMITS)
def send_invitation(invitation_id: int) -> str:
    return emails.invitation_email_send(invitation_id=invitation_id)


@shared_task(name="teams.send_password_reset", **SEND_RETRY, **TIME_LIMITS)
def send_password_reset(user_id: int) -> str:
    return emails.password_reset_email_send(user_id=user_id)
