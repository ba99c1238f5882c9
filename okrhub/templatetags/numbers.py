"""``{% load numbers %}``: ``{{ value|number }}`` and ``{{ score|number:2 }}`` (okrhub/numbers.py)."""

from __future__ import annotations

from django import template

from okrhub.numbers import format_number

register = template.Library()


@register.filter(name="number")
def number(value, decimals=None) -> str:
    """A number in the active language without trailing zeros; anything else is shown as it is."""
    if value is None or value == "":
        return ""
    try:
        return format_number(value, decimals=None if decimals in (None, "") else int(decimals))
    except (TypeError, ValueError, ArithmeticError):
        return str(value)
