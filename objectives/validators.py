"""Bounds for the dates people type (cycle start and end, initiative due dates).

Years outside 2000–2100 are typing mistakes (a cycle "from year 1 to 9999"); refusing them here keeps every
page, chart and export that computes with dates on sensible ground. Model fields carry the validator, so the
admin, the forms and the API (DRF copies model validators onto serializer fields) all refuse them alike.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MIN_YEAR = 2000
MAX_YEAR = 2100


def validate_sensible_date(value: dt.date) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(
            _("Enter a date between the years %(min)d and %(max)d."),
            code="date_out_of_range",
            params={"min": MIN_YEAR, "max": MAX_YEAR},
        )


def clamp_to_sensible(day: dt.date) -> dt.date:
    """``day`` moved into the accepted years: for computing with dates stored before the bounds existed."""
    return min(max(day, dt.date(MIN_YEAR, 1, 1)), dt.date(MAX_YEAR, 12, 31))
