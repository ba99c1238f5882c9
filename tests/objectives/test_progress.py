"""The progress rules, table by table (objectives/progress.py; no database needed)."""

from __future__ import annotations

import ast
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from objectives import progress
from objectives.progress import (
    ACHIEVE,
    AT_RISK,
    DECREASE_TO,
    INCREASE_TO,
    OFF_TRACK,
    ON_TRACK,
    STAY_ABOVE,
    STAY_BELOW,
    confidence_band,
    expected_progress,
    health,
    key_result_progress,
    objective_progress,
)

D = Decimal

# (kind, start, target, current, expected progress)
KEY_RESULT_CASES = [
    # increase_to: linear between start and target
    (INCREASE_TO, 10, 40, 10, 0.0),
    (INCREASE_TO, 10, 40, 25, 0.5),
    (INCREASE_TO, 10, 40, 40, 1.0),
    (INCREASE_TO, 0, 3, 1, 1 / 3),
    # overshoot is capped at 1, falling below the start at 0
    (INCREASE_TO, 10, 40, 55, 1.0),
    (INCREASE_TO, 10, 40, 4, 0.0),
    # start equal to target: met or not
    (INCREASE_TO, 5, 5, 5, 1.0),
    (INCREASE_TO, 5, 5, 6, 1.0),
    (INCREASE_TO, 5, 5, 4, 0.0),
    # negative numbers (e.g. a result in millions NOK going from a deficit to a surplus)
    (INCREASE_TO, -20, 20, 0, 0.5),
    (INCREASE_TO, -20, -10, -15, 0.5),
    (INCREASE_TO, -20, -10, -25, 0.0),
    # decimals
    (INCREASE_TO, D("4.2"), D("4.6"), D("4.3"), 0.25),
    (INCREASE_TO, D("0.0001"), D("0.0003"), D("0.0002"), 0.5),
    # decrease_to: the same line, walked downwards
    (DECREASE_TO, 21, 7, 21, 0.0),
    (DECREASE_TO, 21, 7, 14, 0.5),
    (DECREASE_TO, 21, 7, 7, 1.0),
    (DECREASE_TO, 21, 7, 3, 1.0),
    (DECREASE_TO, 21, 7, 30, 0.0),
    (DECREASE_TO, 5, 5, 5, 1.0),
    (DECREASE_TO, 5, 5, 4, 1.0),
    (DECREASE_TO, 5, 5, 6, 0.0),
    (DECREASE_TO, 0, -10, -5, 0.5),
    (DECREASE_TO, D("12.5"), D("5.0"), D("8.75"), 0.5),
    # stay_above / stay_below: a line to hold, all or nothing
    (STAY_ABOVE, 82, 80, 80, 1.0),
    (STAY_ABOVE, 82, 80, 95, 1.0),
    (STAY_ABOVE, 82, 80, D("79.9999"), 0.0),
    (STAY_ABOVE, 0, -5, -4, 1.0),
    (STAY_BELOW, 1250, 1200, 1200, 1.0),
    (STAY_BELOW, 1250, 1200, 0, 1.0),
    (STAY_BELOW, 1250, 1200, D("1200.0001"), 0.0),
    (STAY_BELOW, 0, -5, -6, 1.0),
    (STAY_BELOW, 0, -5, -4, 0.0),
    # achieve: done (≥ 1) or not
    (ACHIEVE, 0, 1, 0, 0.0),
    (ACHIEVE, 0, 1, 1, 1.0),
    (ACHIEVE, 0, 1, D("0.9999"), 0.0),
    (ACHIEVE, 0, 1, 2, 1.0),
]


@pytest.mark.parametrize(("kind", "start", "target", "current", "expected"), KEY_RESULT_CASES)
def test_key_result_progress(kind, start, target, current, expected):
    assert key_result_progress(kind=kind, start=start, target=target, current=current) == pytest.approx(
        expected
    )


@pytest.mark.parametrize("kind", progress.KINDS)
def test_every_kind_has_a_rule_that_stays_within_0_and_1(kind):
    for current in (D(-1000), D(0), D("0.5"), D(1), D(50), D(10**11)):
        value = key_result_progress(
            kind=kind, start=0, target=1 if kind != DECREASE_TO else -1, current=current
        )
        assert 0.0 <= value <= 1.0


def test_numbers_of_every_type_give_the_same_answer():
    answers = {
        key_result_progress(kind=INCREASE_TO, start=start, target=target, current=current)
        for start, target, current in [
            (0, 4, 1),
            (D(0), D(4), D(1)),
            (0.0, 4.0, 1.0),
            (D("0.0"), D("4.0000"), 1),
        ]
    }
    assert answers == {0.25}


def test_an_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="Unknown"):
        key_result_progress(kind="maximise", start=0, target=1, current=1)


# (list of (progress, weight), expected objective progress)
OBJECTIVE_CASES = [
    ([], 0.0),
    ([(0.5, 1)], 0.5),
    ([(1.0, 1), (0.0, 1)], 0.5),
    ([(1.0, 3), (0.0, 1)], 0.75),
    ([(1.0, D("0.5")), (0.25, D("1.5"))], 0.4375),
    ([(0.2, 2), (0.4, 2), (0.6, 2)], 0.4),
    # a weight of zero (or less) does not count
    ([(1.0, 0), (0.5, 1)], 0.5),
    ([(1.0, 0)], 0.0),
    ([(1.0, -1), (0.0, 1)], 0.0),
]


@pytest.mark.parametrize(("items", "expected"), OBJECTIVE_CASES)
def test_objective_progress_is_the_weighted_average(items, expected):
    assert objective_progress(items) == pytest.approx(expected)


def test_objective_progress_reads_any_iterable():
    assert objective_progress((p, 1) for p in (0.0, 1.0)) == pytest.approx(0.5)


START = dt.date(2027, 1, 1)
END = dt.date(2027, 5, 1)  # 120 days later


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (dt.date(2026, 12, 1), 0.0),  # before the cycle: clamped
        (START, 0.0),
        (dt.date(2027, 1, 31), 0.25),
        (dt.date(2027, 3, 2), 0.5),
        (END, 1.0),
        (dt.date(2027, 8, 1), 1.0),  # after the cycle: clamped
    ],
)
def test_expected_progress_is_the_elapsed_fraction_clamped(on, expected):
    assert expected_progress(start=START, end=END, on=on) == pytest.approx(expected)


def test_expected_progress_of_an_empty_cycle_does_not_divide_by_zero():
    assert expected_progress(start=START, end=START, on=START - dt.timedelta(days=1)) == 0.0
    assert expected_progress(start=START, end=START, on=START) == 1.0


# (progress, expected, confidence, health) — thresholds: gap > 0.15 at risk, > 0.30 off track;
# confidence ≤ 3 off track, 4–6 at risk.
HEALTH_CASES = [
    (0.5, 0.5, None, ON_TRACK),
    (0.9, 0.5, 10, ON_TRACK),
    (0.35, 0.5, 7, ON_TRACK),  # gap exactly 0.15
    (0.34, 0.5, 7, AT_RISK),  # gap just over 0.15
    (0.2, 0.5, 8, AT_RISK),  # gap exactly 0.30
    (0.19, 0.5, 8, OFF_TRACK),  # gap just over 0.30
    (0.0, 1.0, 10, OFF_TRACK),
    (1.0, 0.5, 7, ON_TRACK),
    (1.0, 0.5, 6, AT_RISK),  # low confidence wins over good progress
    (1.0, 0.5, 4, AT_RISK),
    (1.0, 0.5, 3, OFF_TRACK),
    (1.0, 0.5, 1, OFF_TRACK),
    (0.3, 0.5, 5, AT_RISK),  # both at risk
    (0.1, 0.5, 5, OFF_TRACK),  # the worse of the two
    (0.5, 0.5, 2, OFF_TRACK),
    (0.0, 0.0, None, ON_TRACK),  # first day of the cycle
]


@pytest.mark.parametrize(("progress_", "expected", "confidence", "result"), HEALTH_CASES)
def test_health(progress_, expected, confidence, result):
    assert health(progress=progress_, expected=expected, confidence=confidence) == result


def test_health_thresholds_are_as_documented():
    assert (progress.AT_RISK_GAP, progress.OFF_TRACK_GAP) == (0.15, 0.30)
    assert (progress.OFF_TRACK_CONFIDENCE, progress.AT_RISK_CONFIDENCE) == (3, 6)
    assert "gap > 0.30, or confidence ≤ 3" in progress.__doc__
    assert "gap > 0.15, or confidence 4–6" in progress.__doc__


@pytest.mark.parametrize(
    ("confidence", "band"),
    [(None, None), (1, "low"), (3, "low"), (4, "medium"), (6, "medium"), (7, "high"), (10, "high")],
)
def test_confidence_band(confidence, band):
    assert confidence_band(confidence) == band


def test_the_progress_rules_import_nothing_from_django():
    tree = ast.parse(Path(progress.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported
    assert not [
        name for name in imported if name.split(".")[0] in {"django", "objectives", "teams", "checkins"}
    ]
