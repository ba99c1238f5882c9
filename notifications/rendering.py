"""What a message looks like: subject, plain text and HTML from templates/notifications/email/, in the
recipient's language, with absolute links."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from teams.models import Profile


def user_language(user) -> str:
    """The user's chosen language, else the site's."""
    try:
        language = user.profile.language
    except Profile.DoesNotExist:
        language = ""
    return language or settings.LANGUAGE_CODE


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def absolute_reverse(name: str, *, args: tuple = ()) -> str:
    return absolute_url(reverse(name, args=args))


def message_build(*, user, template: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    """Subject, text and HTML of ``notifications/email/<template>…`` rendered in the user's language."""
    with translation.override(user_language(user)):
        context = {
            **context,
            "user": user,
            "site_url": settings.SITE_URL,
            "profile_url": absolute_reverse("profile"),
        }
        subject = render_to_string(f"notifications/email/{template}_subject.txt", context)
        text = render_to_string(f"notifications/email/{template}.txt", context)
        html = render_to_string(f"notifications/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, to=[user.email], from_email=settings.DEFAULT_FROM_EMAIL
    )
    message.attach_alternative(html, "text/html")
    return message
