"""key_result_figures: the one place that puts a key result's figures together (objectives/progress.py)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date, timedelta
from decimal import Decimal

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


# --- A planned path: milestones bend the expected progress -----------------------------------------------

# From 0 to 100 over 120 days; "collect data first, improve later": nothing planned for day 60, 50 by day 90.
PLAN = ((on(60), 0), (on(90), 50))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (-10, 0.0),  # before the cycle
        (0, 0.0),
        (30, 0.0),  # flat until the first milestone
        (60, 0.0),
        (75, 0.25),  # halfway between 0 at day 60 and 50 at day 90
        (90, 0.5),
        (105, 0.75),  # halfway between 50 at day 90 and the target at the end
        (120, 1.0),
        (150, 1.0),  # after the cycle
    ],
)
def test_expected_progress_follows_the_plan(day, expected):
    value = p.planned_progress(
        start=0, target=100, cycle_start=START, cycle_end=END, milestones=PLAN, on=on(day)
    )
    assert value == pytest.approx(expected)


def test_without_milestones_the_plan_is_the_straight_line():
    for day in (-5, 0, 17, 60, 119, 120, 130):
        args = {"start": 0, "target": 100, "cycle_start": START, "cycle_end": END, "on": on(day)}
        assert p.planned_progress(**args, milestones=()) == p.expected_progress(
            start=START, end=END, on=on(day)
        )


@pytest.mark.parametrize(
    ("case", "start", "target", "milestones", "day", "expected"),
    [
        ("decrease_to walks down the plan", 40, 10, ((on(60), 40),), 90, 0.5),
        ("a milestone past the target is capped", 0, 100, ((on(30), 150),), 30, 1.0),
        ("a milestone below the start is floored", 0, 100, ((on(30), -20),), 30, 0.0),
        ("milestones outside the cycle are no part of it", 0, 100, ((on(-5), 90), (on(130), 5)), 60, 0.5),
        ("a milestone on the first or last day is no part of it", 0, 100, ((START, 90), (END, 5)), 60, 0.5),
        ("start equal to target has no plan to follow", 5, 5, ((on(60), 5),), 30, 0.25),
        ("milestones in any order", 0, 100, ((on(90), 50), (on(60), 0)), 75, 0.25),
        ("decimal values", Decimal("4.2"), Decimal("4.6"), ((on(60), Decimal("4.3")),), 60, 0.25),
    ],
)
def test_planned_progress_edge_cases(case, start, target, milestones, day, expected):
    value = p.planned_progress(
        start=start, target=target, cycle_start=START, cycle_end=END, milestones=milestones, on=on(day)
    )
    assert value == pytest.approx(expected), case


def test_the_planned_path_runs_from_start_through_the_milestones_to_the_target():
    path = p.planned_path(
        start=0, target=100, cycle_start=START, cycle_end=END, milestones=((on(90), 50), (on(60), 0))
    )
    assert path == ((START, 0), (on(60), 0), (on(90), 50), (END, 100))
    assert p.planned_path(start=0, target=100, cycle_start=START, cycle_end=END, milestones=()) == (
        (START, 0),
        (END, 100),
    )


def test_figures_follow_the_plan():
    # Day 75 with 20 done: 62.5 % of the straight line (off track), but the plan asked for 25 % (on track).
    straight = figures(current=20, today=on(75), last_checkin=on(74), confidence=8)
    planned = figures(current=20, today=on(75), last_checkin=on(74), confidence=8, milestones=PLAN)
    assert (straight.expected, straight.health) == (pytest.approx(0.625), p.OFF_TRACK)
    assert (planned.expected, planned.health) == (pytest.approx(0.25), p.ON_TRACK)


def test_following_a_slow_plan_is_not_back_loaded():
    # Day 70, 5 % done, confident: back-loaded on the straight line, but the plan starts late.
    straight = figures(current=5, today=on(70), last_checkin=on(69), confidence=9)
    planned = figures(current=5, today=on(70), last_checkin=on(69), confidence=9, milestones=PLAN)
    assert p.BACK_LOADED in straight.reasons
    assert planned.reasons == () and planned.expected == pytest.approx(1 / 6)


def test_falling_behind_the_plan_late_is_back_loaded():
    # The plan asked for 75 % by day 105; 10 % done with confidence 9 is pushing it all to the end.
    result = figures(current=10, today=on(105), last_checkin=on(104), confidence=9, milestones=PLAN)
    assert result.reasons == (p.OFF_TRACK, p.BACK_LOADED)


def test_back_loaded_reads_the_elapsed_time_not_the_plan():
    # Little of the plan is due yet (expected 0.3) but 70 % of the cycle is gone: the rule reads the time.
    assert p.is_back_loaded(progress=0.05, expected=0.3, confidence=8, elapsed=0.7)
    assert not p.is_back_loaded(progress=0.05, expected=0.3, confidence=8)  # the straight line: early


@pytest.mark.parametrize("kind", [p.ACHIEVE, p.STAY_ABOVE, p.STAY_BELOW])
def test_kinds_without_a_pace_ignore_a_plan(kind):
    assert figures(kind=kind, start=0, target=1, today=on(70), milestones=PLAN).expected is None


@pytest.mark.parametrize(
    ("case", "milestones", "hockey_stick"),
    [
        ("no plan: the straight line puts a quarter at the end", (), False),
        ("collect data first, but half by 75 %", ((on(60), 0), (on(90), 50)), False),
        ("just under half by 75 %", ((on(60), 0), (on(90), 49)), True),
        ("nothing until the last weeks", ((on(100), 10),), True),
        ("front-loaded", ((on(30), 80),), False),
    ],
)
def test_it_finds_a_planned_hockey_stick(case, milestones, hockey_stick):
    found = p.is_planned_hockey_stick(
        start=0, target=100, cycle_start=START, cycle_end=END, milestones=milestones
    )
    assert found is hockey_stick, case
