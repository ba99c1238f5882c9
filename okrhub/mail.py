"""Building and sending the emails OKR Hub sends (reminders, digests, invitations, password resets).

Every email has a subject, a plain-text and an HTML part rendered from ``<template>_subject.txt``,
``<template>.txt`` and ``<template>.html`` in the recipient's language, with absolute links from
``SITE_URL``. Tasks that send them share the retry policy and time limits below.
"""

from __future__ import annotations

import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

# Transient delivery failures: the SMTP server refused or the connection broke. Retried with exponential
# backoff (1 min, 2, 4 … capped at 1 h, with jitter), then given up.
SEND_RETRY = {
    "autoretry_for": (smtplib.SMTPException, OSError),
    "retry_backoff": 60,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 6,
}
TIME_LIMITS = {"soft_time_limit": 120, "time_limit": 180}


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def build_message(
    *, to: str, language: str, template: str, context: dict[str, Any]
) -> EmailMultiAlternatives:
    """Subject, text and HTML of ``template`` (a path without suffix) rendered in ``language``."""
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {**context, "site_url": settings.SITE_URL}
        subject = render_to_string(f"{template}_subject.txt", context)
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, to=[to], from_email=settings.DEFAULT_FROM_EMAIL
    )
    message.attach_alternative(html, "text/html")
    return message
