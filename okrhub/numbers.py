"""Numbers as the reader writes them: one formatter and one parser for every page, form, chart, email,
export and API message.

Norwegian Bokmål follows Django's ``nb`` locale: a decimal comma and a no-break space (U+00A0) between
thousands (``1 268,5``); English uses ``1,268.5``. Trailing zeros never show (a value stored as
``850.0000`` reads ``850``). The parser accepts what people type in either language: ``12,5`` and ``12.5``,
``1 400`` (any kind of space) and, in English, ``1,400``.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import formats
from django.utils.translation import get_language, override

Number = Decimal | int | float

# Every space a person or a spreadsheet may put between thousands: space, no-break, narrow no-break, thin.
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_EN_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def _decimal(value: Number) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def format_number(
    value: Number | None, *, decimals: int | None = None, language: str | None = None, grouping: bool = True
) -> str:
    """``value`` in the active (or given) language, grouped by thousands, without trailing zeros.

    ``decimals`` rounds to at most that many decimal places first (a score: 2); zeros are still dropped.
    ``grouping=False`` leaves out the thousands separator (a CSV cell a spreadsheet must read as a number).
    ``None`` reads as an empty string.
    """
    if value is None:
        return ""
    dec = _decimal(value)
    if decimals is not None:
        dec = dec.quantize(Decimal(1).scaleb(-decimals))
    if dec == dec.to_integral_value():
        dec, places = dec.quantize(Decimal(1)), 0
    else:
        text = format(dec.normalize(), "f")
        places = len(text.split(".")[1])
    if dec == 0:
        dec = abs(dec)  # "-0" is not a number anyone writes
    if not grouping:
        # What number_format writes without thousands (USE_THOUSAND_SEPARATOR is off): the digits with the
        # language's decimal mark, ``places`` decimals; an export writes this for each of its cells.
        return format(dec if places == 0 else dec.normalize(), "f").replace(".", decimal_mark(language))
    with override(language or get_language()):
        text = formats.number_format(dec, decimal_pos=places, use_l10n=True, force_grouping=grouping)
    return text


def decimal_mark(language: str | None = None) -> str:
    """The active (or given) language's decimal separator: "," in nb, "." in en."""
    return _decimal_mark(language or get_language())


@functools.lru_cache(maxsize=32)
def _decimal_mark(language: str | None) -> str:
    with override(language):
        return formats.get_format("DECIMAL_SEPARATOR")


def parse_number(text: str, *, language: str | None = None) -> Decimal:
    """The number in ``text`` as typed in the active (or given) language; ``ValueError`` when it is none."""
    cleaned = _SPACES.sub("", str(text)).replace("\u2212", "-")  # the typographic minus, too
    if not cleaned:
        raise ValueError("empty")
    language = (language or get_language() or "en").split("-")[0]
    if "," in cleaned and "." in cleaned:
        # Both: the one further right separates the decimals, the other groups thousands.
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        group_mark = "." if decimal_mark == "," else ","
        cleaned = cleaned.replace(group_mark, "").replace(decimal_mark, ".")
    elif "," in cleaned:
        if language == "en" and _EN_GROUPED.match(cleaned):
            cleaned = cleaned.replace(",", "")  # "1,400" in English is fourteen hundred
        elif cleaned.count(",") == 1:
            cleaned = cleaned.replace(",", ".")
        else:
            raise ValueError(text)
    try:
        number = Decimal(cleaned)
    except InvalidOperation as error:
        raise ValueError(text) from error
    if not number.is_finite():
        raise ValueError(text)
    return number


class NumberInput(forms.TextInput):
    """A text input (not ``type=number``, which refuses a decimal comma in many browsers) with the numeric
    keyboard on phones, showing its value in the reader's format."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return format_number(value)
        return super().format_value(value)


class DecimalField(forms.DecimalField):
    """The one form field for a number a person types: accepts ``12,5``, ``12.5`` and ``1 400``."""

    widget = NumberInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal | int | float):
            return _decimal(value)
        try:
            return parse_number(value)
        except ValueError as error:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from error

    def widget_attrs(self, widget):
        # No min/max/step attributes: they belong to type=number, and the validators say it in words.
        return forms.Field.widget_attrs(self, widget)
