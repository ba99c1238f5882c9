"""Reading one number from a JSON path or a CSV column (datasources/parsing.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from datasources.parsing import ParseError, path_segments, value_from_csv, value_from_json

DOC = (
    b'{"data": {"members": {"active": 1268, "ratio": 0.5, "text": "1 268,5", "flag": true, "none": null}}, '
    b'"results": [{"count": 3}, {"count": "4"}]}'
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("data.members.active", Decimal(1268)),
        ("data.members.ratio", Decimal("0.5")),
        ("data.members.text", Decimal("1268.5")),  # text read as the organisation writes it (nb)
        ("results.0.count", Decimal(3)),
        ("results[1].count", Decimal(4)),
        ("results.-1.count", Decimal(4)),
        (" data.members.active ", Decimal(1268)),
    ],
)
def test_it_follows_the_json_path(path, expected):
    assert value_from_json(DOC, path) == expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("data.members.missing", "“data.members.missing” is not in"),
        ("results.2.count", "“results.2” is not in"),
        ("results.first", "“results.first” is not in"),
        ("data.members", "is not a number"),
        ("data.members.flag", "is not a number"),
        ("data.members.none", "is not a number"),
        ("data..active", "is not valid"),
        ("", "is not valid"),
    ],
)
def test_it_says_what_is_wrong_with_the_path(path, message, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(ParseError, match=message):
        value_from_json(DOC, path)


@pytest.mark.parametrize(
    "body", [b"", b"{not json", b"\xff\xfe\x00", b"<html>500</html>", b'"NaN"', b'{"a": "Infinity"}']
)
def test_malformed_json_is_an_error(body):
    with pytest.raises(ParseError):
        value_from_json(body, "a")


def test_a_json_number_too_precise_for_a_float_is_kept_as_written():
    assert value_from_json(b'{"a": 12345678.1234}', "a") == Decimal("12345678.1234")


@pytest.mark.parametrize(
    ("body", "column", "expected"),
    [
        (b"week,members\n1,10\n2,12\n", "members", Decimal(12)),
        (b"uke;medlemmer\n1;10,5\n2;12,5\n", "Medlemmer", Decimal("12.5")),  # semicolons, decimal comma
        (b"week\tmembers\n1\t10\n2\t\n", " members ", Decimal(10)),  # the last row with a value
        ("\ufeffweek,members\n1,7\n".encode(), "members", Decimal(7)),  # a byte-order mark
        (b'week,members\n1,"1 400"\n', "members", Decimal(1400)),
    ],
)
def test_it_reads_the_last_row_of_the_csv_column(body, column, expected):
    assert value_from_csv(body, column) == expected


@pytest.mark.parametrize(
    ("body", "column", "message"),
    [
        (b"", "members", "empty CSV"),
        (b"week,members\n1,ti\n", "members", "is not a number"),
        (b"week,count\n1,2\n", "members", "no column “members”"),
        (b"week,members\n", "members", "has no values"),
        (b"\xff\xfe\x00", "members", "UTF-8"),
    ],
)
def test_it_says_what_is_wrong_with_the_csv(body, column, message, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(ParseError, match=message):
        value_from_csv(body, column)


def test_path_segments():
    assert path_segments("a.b[2].c") == ["a", "b", "2", "c"]
