"""What a message looks like: subject, plain text and HTML from templates/notifications/email/, in the
recipient's language, with absolute links."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from okrhub.mail import absolute_url, build_message
from teams.models import Profile

__all__ = ["absolute_reverse", "absolute_url", "message_build", "user_language"]


def user_language(user) -> str:
    """The user's chosen language, else the site's."""
    try:
        language = user.profile.language
    except Profile.DoesNotExist:
        language = ""
    return language or settings.LANGUAGE_CODE


def absolute_reverse(name: str, *, args: tuple = ()) -> str:
    return absolute_url(reverse(name, args=args))


def message_build(*, user, template: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    """Subject, text and HTML of ``notifications/email/<template>…`` rendered in the user's language."""
    context = {**context, "user": user, "profile_url": absolute_reverse("profile")}
    return build_message(
        to=user.email,
        language=user_language(user),
        template=f"notifications/email/{template}",
        context=context,
    )
