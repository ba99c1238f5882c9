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
