"""Reading one number out of a data source's body: a JSON path or a CSV column's last row. Pure functions.

A JSON path is dot-separated keys, with list indexes as numbers (``data.members.active``,
``results.0.count``, or ``results[0].count``; a negative index counts from the end). A number in the body
is taken as it is; text is read by ``okrhub/numbers.py`` in the site's language (``"1 268,5"`` and
``"1,268.5"`` alike). A CSV's delimiter (comma, semicolon or tab) is detected; the column is found by its
header, ignoring case and surrounding spaces; its last non-empty value is the reading.
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from okrhub.numbers import parse_number

MAX_PATH_LENGTH = 200
_INDEXES = re.compile(r"\[(-?\d+)\]")


class ParseError(Exception):
    """The body does not hold a number where the source says; ``str(error)`` is translated."""


def path_segments(path: str) -> list[str]:
    """``data.items[0].count`` → ``["data", "items", "0", "count"]``; refuses empty segments."""
    normalised = _INDEXES.sub(r".\1", path.strip())
    segments = normalised.split(".")
    if not path.strip() or any(segment == "" for segment in segments):
        raise ParseError(
            _("The path “%(path)s” is not valid: use names and numbers separated by dots.") % {"path": path}
        )
    return segments


def _number(value, *, where: str) -> Decimal:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise ParseError(_("The value at “%(path)s” is not a number.") % {"path": where})
    if isinstance(value, int | float):
        number = Decimal(str(value))
    else:
        try:
            # Text in a feed is in the organisation's language, whoever is reading.
            number = parse_number(str(value), language=settings.LANGUAGE_CODE)
        except ValueError:
            raise ParseError(_("The value at “%(path)s” is not a number.") % {"path": where}) from None
    if not number.is_finite():
        raise ParseError(_("The value at “%(path)s” is not a number.") % {"path": where})
    return number


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParseError(_("The data source did not answer in UTF-8 text.")) from None


def value_from_json(body: bytes, path: str) -> Decimal:
    try:
        document = json.loads(_text(body))
    except ValueError:
        raise ParseError(_("The data source did not answer with valid JSON.")) from None
    current = document
    for depth, segment in enumerate(path_segments(path), start=1):
        where = ".".join(path_segments(path)[:depth])
        if isinstance(current, dict) and segment in current:
            current = current[segment]
        elif isinstance(current, list) and re.fullmatch(r"-?\d+", segment):
            index = int(segment)
            if not -len(current) <= index < len(current):
                raise ParseError(_("“%(path)s” is not in the data source's answer.") % {"path": where})
            current = current[index]
        else:
            raise ParseError(_("“%(path)s” is not in the data source's answer.") % {"path": where})
    return _number(current, where=path.strip())


def value_from_csv(body: bytes, column: str) -> Decimal:
    text = _text(body)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ParseError(_("The data source answered with an empty CSV file.")) from None
    wanted = column.strip().casefold()
    names = [name.strip().casefold() for name in header]
    if wanted not in names:
        raise ParseError(_("The CSV file has no column “%(column)s”.") % {"column": column.strip()})
    index = names.index(wanted)
    last = None
    try:
        for row in reader:
            if index < len(row) and row[index].strip():
                last = row[index]
    except csv.Error:
        raise ParseError(_("The data source did not answer with a valid CSV file.")) from None
    if last is None:
        raise ParseError(_("The column “%(column)s” has no values.") % {"column": column.strip()})
    return _number(last, where=column.strip())
