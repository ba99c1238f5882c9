"""``{% load meetings %}``: ``{{ user|person }}`` — a person's name as the meeting pages show it."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from meetings.selectors import user_label

register = template.Library()


@register.filter(name="person")
def person(user) -> str:
    return user_label(user) or _("nobody")
