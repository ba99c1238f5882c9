"""key_result_figures: the one place that puts a key result's figures together (objectives/progress.py)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date, timedelta

import pytest

from objectives import progress as p

START = date(2027, 1, 1)
END = date(2027, 5, 1)  # 120 days


def on(days: int) -> date:
    return START + timedelta(days=days)


def figures(**overrides) -> p.Figures:
    args = {
        "kind": p.INCREASE_TO,
        "start": 0,
        "target": 100,
        "current": 0,
        "confidence": None,
        "has_owner": True,
        "last_checkin": None,
        "cycle_start": START,
        "cycle_end": END,
        "cycle_active": True,
        "today": START,
    } | overrides
    return p.key_result_figures(**args)


# (case, overrides, progress, expected, health, reasons)
FIGURE_CASES = [
    ("first day, nothing yet", {}, 0.0, 0.0, p.ON_TRACK, ()),
    (
        "on pace at half time",
        {"current": 50, "today": on(60), "last_checkin": on(58)},
        0.5,
        0.5,
        p.ON_TRACK,
        (),
    ),
    (
        "far behind at half time",
        {"current": 10, "today": on(60), "last_checkin": on(58), "confidence": 5},
        0.1,
        0.5,
        p.OFF_TRACK,
        (p.OFF_TRACK,),
    ),
    (
        "behind, confident, late: back-loaded",
        {"current": 10, "today": on(90), "last_checkin": on(89), "confidence": 8},
        0.1,
        0.75,
        p.OFF_TRACK,
        (p.OFF_TRACK, p.BACK_LOADED),
    ),
    (
        "no owner, never checked in",
        {"has_owner": False, "today": on(20)},
        0.0,
        1 / 6,
        p.AT_RISK,
        (p.STALE, p.NO_OWNER),
    ),
    (
        "low confidence",
        {"current": 50, "today": on(60), "last_checkin": on(59), "confidence": 2},
        0.5,
        0.5,
        p.OFF_TRACK,
        (p.OFF_TRACK, p.LOW_CONFIDENCE),
    ),
    (
        "closed cycle is never stale",
        {"current": 100, "today": on(200), "cycle_active": False},
        1.0,
        1.0,
        p.ON_TRACK,
        (),
    ),
]


@pytest.mark.parametrize(
    ("case", "overrides", "progress", "expected", "health", "reasons"),
    FIGURE_CASES,
    ids=[c[0] for c in FIGURE_CASES],
)
def test_key_result_figures(case, overrides, progress, expected, health, reasons):
    result = figures(**overrides)
    assert result.progress == pytest.approx(progress)
    assert result.expected == pytest.approx(expected)
    assert (result.health, result.reasons) == (health, reasons)


def test_figures_are_the_composition_of_the_single_rules():
    args = {"kind": p.DECREASE_TO, "start": 40, "target": 10, "current": 30, "confidence": 6}
    result = figures(**args, today=on(45), last_checkin=on(30))
    value = p.key_result_progress(kind=p.DECREASE_TO, start=40, target=10, current=30)
    expected = p.expected_progress(start=START, end=END, on=on(45))
    assert result == p.Figures(
        progress=value,
        expected=expected,
        health=p.health(progress=value, expected=expected, confidence=6),
        reasons=p.attention_reasons(
            progress=value,
            expected=expected,
            confidence=6,
            has_owner=True,
            last_checkin=on(30),
            cycle_start=START,
            today=on(45),
            cycle_active=True,
        ),
    )


def test_figures_are_frozen():
    with pytest.raises(FrozenInstanceError):
        figures().progress = 1.0  # type: ignore[misc]


# --- achieve: done or not, judged by confidence and the time left, never by a pace -----------------------

# (case, current, confidence, today, health, reasons); the cycle is 120 days, 85 % of it is day 102.
ACHIEVE_CASES = [
    ("undone at a third, confident", 0, 8, on(40), p.ON_TRACK, ()),
    ("undone at two thirds, no confidence yet", 0, None, on(80), p.ON_TRACK, ()),
    ("undone, confidence 6", 0, 6, on(40), p.AT_RISK, ()),
    ("undone, confidence 4", 0, 4, on(40), p.AT_RISK, ()),
    ("undone, confidence 3", 0, 3, on(40), p.OFF_TRACK, (p.OFF_TRACK, p.LOW_CONFIDENCE)),
    ("undone at 85 % is not yet late", 0, 9, on(102), p.ON_TRACK, ()),
    ("undone just past 85 %", 0, 9, on(103), p.AT_RISK, ()),
    ("undone on the last day", 0, 9, END, p.AT_RISK, ()),
    ("undone after the cycle ended", 0, 9, END + timedelta(days=1), p.OFF_TRACK, (p.OFF_TRACK,)),
    ("done, late", 1, 9, on(110), p.ON_TRACK, ()),
    ("done after the cycle ended", 1, 9, END + timedelta(days=5), p.ON_TRACK, ()),
    ("done with low confidence is still done", 1, 2, on(60), p.ON_TRACK, (p.LOW_CONFIDENCE,)),
]


@pytest.mark.parametrize(
    ("case", "current", "confidence", "today", "health", "reasons"),
    ACHIEVE_CASES,
    ids=[c[0] for c in ACHIEVE_CASES],
)
def test_achieve_has_no_pace(case, current, confidence, today, health, reasons):
    result = figures(
        kind=p.ACHIEVE,
        start=0,
        target=1,
        current=current,
        confidence=confidence,
        today=today,
        last_checkin=today,
    )
    assert result.expected is None
    assert (result.health, result.reasons) == (health, reasons)


def test_achieve_is_never_back_loaded():
    # Late, undone and confident: for a pace kind that is back-loaded; for achieve it is only "at risk".
    for day in range(0, 121, 5):
        result = figures(kind=p.ACHIEVE, start=0, target=1, current=0, confidence=10, today=on(day))
        assert p.BACK_LOADED not in result.reasons


def test_achieve_late_threshold_is_as_documented():
    assert p.ACHIEVE_LATE_ELAPSED == 0.85
    assert "more than 85 % of the cycle gone" in p.__doc__


# --- stay_above / stay_below: the value holds the line or it does not ------------------------------------

# (case, kind, current, confidence, health, reasons): the line is 80, day 90 of 120.
STAY_CASES = [
    ("above holds", p.STAY_ABOVE, 85, 8, p.ON_TRACK, ()),
    ("above holds exactly", p.STAY_ABOVE, 80, None, p.ON_TRACK, ()),
    ("above holds, confidence 5", p.STAY_ABOVE, 85, 5, p.AT_RISK, ()),
    ("above holds, confidence 3", p.STAY_ABOVE, 85, 3, p.OFF_TRACK, (p.OFF_TRACK, p.LOW_CONFIDENCE)),
    ("above falls under", p.STAY_ABOVE, 79, 9, p.OFF_TRACK, (p.OFF_TRACK,)),
    ("below holds", p.STAY_BELOW, 75, 7, p.ON_TRACK, ()),
    ("below goes over", p.STAY_BELOW, 81, 8, p.OFF_TRACK, (p.OFF_TRACK,)),
]


@pytest.mark.parametrize(
    ("case", "kind", "current", "confidence", "health", "reasons"), STAY_CASES, ids=[c[0] for c in STAY_CASES]
)
def test_stay_kinds_are_judged_by_the_line(case, kind, current, confidence, health, reasons):
    result = figures(
        kind=kind,
        start=80,
        target=80,
        current=current,
        confidence=confidence,
        today=on(90),
        last_checkin=on(89),
    )
    assert result.expected is None
    assert (result.health, result.reasons) == (health, reasons)


@pytest.mark.parametrize("kind", p.PACED_KINDS)
def test_only_paced_kinds_have_an_expected_progress(kind):
    assert (
        figures(kind=kind, start=0, target=100 if kind == p.INCREASE_TO else -100, today=on(30)).expected
        == 0.25
    )
    assert set(p.KINDS) - set(p.PACED_KINDS) == {p.ACHIEVE, p.STAY_ABOVE, p.STAY_BELOW}


@pytest.mark.parametrize(
    ("confidence", "result"),
    [(None, p.ON_TRACK), (10, p.ON_TRACK), (7, p.ON_TRACK), (6, p.AT_RISK), (4, p.AT_RISK), (3, p.OFF_TRACK)],
)
def test_confidence_health(confidence, result):
    assert p.confidence_health(confidence) == result
