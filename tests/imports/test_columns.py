"""The import format's pure rules: header words, kind words and numbers as people type them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from imports import columns as c
from objectives import progress


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 400", Decimal("1400")),
        ("1\u00a0400", Decimal("1400")),
        ("1\u202f400,5", Decimal("1400.5")),
        ("12,5", Decimal("12.5")),
        ("12.5", Decimal("12.5")),
        ("1,400.5", Decimal("1400.5")),
        ("1.400,5", Decimal("1400.5")),
        ("1.000.000", Decimal("1000000")),
        ("-3", Decimal("-3")),
        ("\u22123,5", Decimal("-3.5")),
        ("80 %", Decimal("80")),
        (" 7 ", Decimal("7")),
        (12, Decimal("12")),
        (12.5, Decimal("12.5")),
        (0.1, Decimal("0.1")),
        ("", None),
        (None, None),
        ("tolv", None),
        ("12,5,3", Decimal("1253")),
        ("1e400000", Decimal("1e400000")),
        ("nan", None),
        ("inf", None),
        (True, None),
    ],
)
def test_numbers_as_people_type_them(text, expected):
    assert c.parse_number(text) == expected


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("øke", progress.INCREASE_TO),
        ("  Øke   til ", progress.INCREASE_TO),
        ("increase", progress.INCREASE_TO),
        ("increase_to", progress.INCREASE_TO),
        ("", progress.INCREASE_TO),
        ("Redusere", progress.DECREASE_TO),
        ("decrease to", progress.DECREASE_TO),
        ("holde over", progress.STAY_ABOVE),
        ("Stay above", progress.STAY_ABOVE),
        ("stay_below", progress.STAY_BELOW),
        ("holde  under", progress.STAY_BELOW),
        ("oppnå", progress.ACHIEVE),
        ("achieve (done / not done)", progress.ACHIEVE),
        ("ACHIEVE", progress.ACHIEVE),
        ("øke eller redusere", None),
        ("sometimes", None),
    ],
)
def test_kind_words_in_either_language(word, kind):
    assert c.parse_kind(word) == kind


@pytest.mark.parametrize(
    ("word", "value"),
    [("ferdig", 1), ("Done", 1), ("1", 1), ("ikke ferdig", 0), ("not done", 0), ("0", 0), ("halv", None)],
)
def test_done_words(word, value):
    assert c.parse_done(word) == (None if value is None else Decimal(value))


def test_our_headers_in_both_languages_map_to_the_fields():
    english = list(c.FIELDS)
    norwegian = [
        "team", "mål", "nøkkelresultat", "type", "start", "målverdi",
        "enhet", "eier", "nå", "tillit", "tiltak", "tiltakseier",
    ]  # fmt: skip
    for headers in (english, norwegian, [h.upper() for h in norwegian]):
        assert c.guess_mapping(headers) == dict(enumerate(c.FIELDS))


def test_the_export_headers_map_and_the_username_column_wins_over_the_display_name():
    headers = ["Team", "Objective", "Objective status", "Key result", "Owner", "Owner's username",
               "Kind", "Unit", "Start value", "Target value", "Current value", "Progress (%)",
               "Confidence"]  # fmt: skip
    mapping = c.guess_mapping(headers)
    assert mapping == {0: c.TEAM, 1: c.OBJECTIVE, 3: c.KEY_RESULT, 5: c.OWNER, 6: c.KIND, 7: c.UNIT,
                       8: c.START, 9: c.TARGET, 10: c.CURRENT, 12: c.CONFIDENCE}  # fmt: skip


def test_unknown_headers_are_not_guessed_and_the_mapping_says_what_is_missing():
    mapping = c.guess_mapping(["Goal name", "Metric", "Something"])
    assert mapping == {}
    assert not c.mapping_is_complete(mapping, team_given=True)
    assert c.mapping_is_complete({0: c.OBJECTIVE, 1: c.KEY_RESULT}, team_given=True)
    assert not c.mapping_is_complete({0: c.OBJECTIVE, 1: c.KEY_RESULT}, team_given=False)


def test_the_header_signature_forgives_case_and_spacing():
    assert c.header_signature(["Key  Result", "Mål"]) == c.header_signature(["key result", "MÅL"])
    assert c.header_signature(["a", "b"]) != c.header_signature(["b", "a"])


def test_problems_print_as_the_command_reports_them():
    assert str(c.Problem(3, "start", "“x” is not a number.")) == "row 3: start: “x” is not a number."
    assert str(c.Problem(0, "", "The file is empty.")) == "The file is empty."
