"""The progress rules: pure functions, no Django, shared by the web pages, the API, dashboards and emails.

Progress of a key result (a fraction in [0, 1]):

- ``increase_to`` / ``decrease_to``: (current − start) / (target − start), clamped to [0, 1].
  When start equals target: 1 if the target is met (current ≥ target for increase, ≤ for decrease), else 0.
- ``stay_above``: 1 if current ≥ target, else 0.   ``stay_below``: 1 if current ≤ target, else 0.
- ``achieve``: 1 if current ≥ 1 (done), else 0.

Objective progress is the weight-averaged progress of its key results (0 with none).
The elapsed fraction of a cycle on a date is clamped to [0, 1] (``expected_progress``).

Expected progress of a key result (``key_result_figures``) exists only for the kinds with a pace,
``increase_to`` and ``decrease_to``. Without a plan it is the elapsed fraction of the cycle (the straight
line from the start value at the cycle's start to the target at its end). With a *planned path* (milestones:
dates strictly inside the cycle, each with a planned value) it follows the plan instead: the planned value
on a date is interpolated linearly between (cycle start, start value), the milestones by date, and (cycle
end, target), and expected progress is that value's progress, (planned − start) / (target − start), clamped
to [0, 1]. ``achieve``, ``stay_above`` and ``stay_below`` have none (``None``: no pace marker, no gap, never
back-loaded, no plan).

Health of a key result reads the owner's latest confidence (1–10, ``None`` before the first check-in) and,
by kind:

- ``increase_to`` / ``decrease_to``: the *gap*, expected − progress.

  =============  ==========================================================
  ``off_track``  gap > 0.30, or confidence ≤ 3
  ``at_risk``    gap > 0.15, or confidence 4–6
  ``on_track``   otherwise (gap ≤ 0.15 and confidence ≥ 7 or not yet given)
  =============  ==========================================================

- ``achieve``: whether it is done and how much of the cycle is left.

  =============  ==========================================================
  ``on_track``   done
  ``off_track``  not done, and confidence ≤ 3 or the cycle has ended
  ``at_risk``    not done, and confidence 4–6 or more than 85 % of the cycle gone
  ``on_track``   otherwise (not done, confidence ≥ 7 or not yet given, time left)
  =============  ==========================================================

- ``stay_above`` / ``stay_below``: whether the value holds the line.

  =============  ==========================================================
  ``off_track``  the value does not hold, or confidence ≤ 3
  ``at_risk``    confidence 4–6
  ``on_track``   otherwise (the value holds, confidence ≥ 7 or not yet given)
  =============  ==========================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

INCREASE_TO = "increase_to"
DECREASE_TO = "decrease_to"
STAY_ABOVE = "stay_above"
STAY_BELOW = "stay_below"
ACHIEVE = "achieve"
KINDS = (INCREASE_TO, DECREASE_TO, STAY_ABOVE, STAY_BELOW, ACHIEVE)

ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
HEALTHS = (ON_TRACK, AT_RISK, OFF_TRACK)

AT_RISK_GAP = 0.15
OFF_TRACK_GAP = 0.30
OFF_TRACK_CONFIDENCE = 3  # confidence at or below this is off track
AT_RISK_CONFIDENCE = 6  # confidence at or below this (and above the previous) is at risk
# An undone ``achieve`` key result is at risk once more than this fraction of the cycle is gone.
ACHIEVE_LATE_ELAPSED = 0.85
PACED_KINDS = (INCREASE_TO, DECREASE_TO)  # the kinds measured against an expected progress (and a plan)

Number = Decimal | int | float


def _dec(value: Number) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def key_result_progress(*, kind: str, start: Number, target: Number, current: Number) -> float:
    """Progress of one key result as a fraction in [0, 1]."""
    start, target, current = _dec(start), _dec(target), _dec(current)
    if kind in (INCREASE_TO, DECREASE_TO):
        if start == target:
            met = current >= target if kind == INCREASE_TO else current <= target
            return 1.0 if met else 0.0
        return _clamp(float((current - start) / (target - start)))
    if kind == STAY_ABOVE:
        return 1.0 if current >= target else 0.0
    if kind == STAY_BELOW:
        return 1.0 if current <= target else 0.0
    if kind == ACHIEVE:
        return 1.0 if current >= 1 else 0.0
    raise ValueError(f"Unknown key result kind: {kind!r}")


def objective_progress(items: Iterable[tuple[float, Number]]) -> float:
    """Weight-averaged progress of (progress, weight) pairs; 0 when there are none."""
    total_weight = Decimal(0)
    weighted = Decimal(0)
    for item_progress, weight in items:
        w = _dec(weight)
        if w <= 0:
            continue
        total_weight += w
        weighted += _dec(item_progress) * w
    if total_weight == 0:
        return 0.0
    return _clamp(float(weighted / total_weight))


def expected_progress(*, start: date, end: date, on: date) -> float:
    """The elapsed fraction of a cycle on a date, clamped to [0, 1]."""
    total = (end - start).days
    if total <= 0:
        return 1.0 if on >= end else 0.0
    return _clamp((on - start).days / total)


def confidence_health(confidence: int | None) -> str:
    """Health from confidence alone: ≤ 3 off track, 4–6 at risk, otherwise (or not given yet) on track."""
    if confidence is not None and confidence <= OFF_TRACK_CONFIDENCE:
        return OFF_TRACK
    if confidence is not None and confidence <= AT_RISK_CONFIDENCE:
        return AT_RISK
    return ON_TRACK


# How bad a health is, for "the worst of" and "at risk or worse" (the dashboard's rollups count by it).
HEALTH_SEVERITY = {ON_TRACK: 0, AT_RISK: 1, OFF_TRACK: 2}


def _worst(*healths: str) -> str:
    return max(healths, key=HEALTH_SEVERITY.__getitem__)


# --- The planned path ----------------------------------------------------------------------------------

Milestone = tuple[date, Number]  # (date, planned value)


def planned_path(
    *, start: Number, target: Number, cycle_start: date, cycle_end: date, milestones: Iterable[Milestone]
) -> tuple[tuple[date, Decimal], ...]:
    """The plan as points by date: (cycle start, start), the milestones strictly inside the cycle, (cycle end,
    target). Without milestones it is the straight line. (Milestones outside the cycle are not part of it;
    the services refuse them.)"""
    # One planned value per date (the database makes them unique; the last given wins here).
    inside = sorted({day: _dec(value) for day, value in milestones if cycle_start < day < cycle_end}.items())
    return ((cycle_start, _dec(start)), *inside, (cycle_end, _dec(target)))


def _fraction_of_target(*, start: Decimal, target: Decimal, value: Decimal) -> float:
    return _clamp(float((value - start) / (target - start)))


def planned_progress_at(
    *,
    start: Number,
    target: Number,
    cycle_start: date,
    cycle_end: date,
    milestones: Iterable[Milestone],
    elapsed: float,
) -> float:
    """Expected progress when ``elapsed`` (a fraction in [0, 1]) of the cycle is gone, following the plan."""
    start, target = _dec(start), _dec(target)
    path = planned_path(
        start=start, target=target, cycle_start=cycle_start, cycle_end=cycle_end, milestones=milestones
    )
    total = (cycle_end - cycle_start).days
    if len(path) == 2 or start == target or total <= 0:
        return _clamp(elapsed)  # the straight line
    position = _clamp(elapsed) * total
    for (day0, value0), (day1, value1) in zip(path, path[1:], strict=False):
        x0, x1 = (day0 - cycle_start).days, (day1 - cycle_start).days
        if position <= x1:
            share = Decimal(str((position - x0) / (x1 - x0)))
            return _fraction_of_target(start=start, target=target, value=value0 + (value1 - value0) * share)
    return 1.0


def planned_progress(
    *,
    start: Number,
    target: Number,
    cycle_start: date,
    cycle_end: date,
    milestones: Iterable[Milestone],
    on: date,
) -> float:
    """Expected progress on a date following the plan; the elapsed fraction of the cycle without one."""
    return planned_progress_at(
        start=start,
        target=target,
        cycle_start=cycle_start,
        cycle_end=cycle_end,
        milestones=milestones,
        elapsed=expected_progress(start=cycle_start, end=cycle_end, on=on),
    )


# A planned hockey stick: the plan leaves more than half of the progress to the last quarter of the cycle.
HOCKEY_STICK_ELAPSED = 0.75
HOCKEY_STICK_SHARE = 0.5


def is_planned_hockey_stick(
    *, start: Number, target: Number, cycle_start: date, cycle_end: date, milestones: Iterable[Milestone]
) -> bool:
    """The plan itself puts most of the progress in the last quarter (the straight line never does)."""
    planned = planned_progress_at(
        start=start,
        target=target,
        cycle_start=cycle_start,
        cycle_end=cycle_end,
        milestones=milestones,
        elapsed=HOCKEY_STICK_ELAPSED,
    )
    return round(1 - planned, 9) > HOCKEY_STICK_SHARE


def health(*, progress: float, expected: float, confidence: int | None) -> str:
    """Health of a key result with a pace (``PACED_KINDS``): progress against expected, and confidence."""
    # Rounded so a gap of exactly 0.15 (e.g. 0.5 − 0.35 = 0.15000000000000002 in floats) is not at risk.
    gap = round(expected - progress, 9)
    gap_health = OFF_TRACK if gap > OFF_TRACK_GAP else AT_RISK if gap > AT_RISK_GAP else ON_TRACK
    return _worst(gap_health, confidence_health(confidence))


def achieve_health(*, done: bool, confidence: int | None, elapsed: float, ended: bool) -> str:
    """Health of an ``achieve`` key result: done is on track; undone, from confidence and the time left."""
    if done:
        return ON_TRACK
    time_health = OFF_TRACK if ended else AT_RISK if elapsed > ACHIEVE_LATE_ELAPSED else ON_TRACK
    return _worst(time_health, confidence_health(confidence))


def stay_health(*, holds: bool, confidence: int | None) -> str:
    """Health of a ``stay_above``/``stay_below`` key result: off track when the value does not hold."""
    return _worst(ON_TRACK if holds else OFF_TRACK, confidence_health(confidence))


def confidence_band(confidence: int | None) -> str | None:
    """Colour band for a confidence value: 1–3 low (red), 4–6 medium (amber), 7–10 high (green)."""
    if confidence is None:
        return None
    if confidence <= OFF_TRACK_CONFIDENCE:
        return "low"
    if confidence <= AT_RISK_CONFIDENCE:
        return "medium"
    return "high"


# --- Needs attention ---------------------------------------------------------------------------------------
# A key result needs attention for every reason below that applies (dashboards list each one):
#
# ==================  ======================================================================================
# ``off_track``       its health is off track (see ``health``)
# ``low_confidence``  the owner's latest confidence is 3 or lower
# ``stale``           no check-in for 14 days or more while the cycle is active (counted from the cycle's
#                     start when it has never been checked in)
# ``back_loaded``     more than half the cycle is gone, progress is under a quarter of the expected
#                     progress (which follows the plan, if any), yet confidence is 7 or higher: the "all
#                     progress at the end" pattern
#                     (only kinds with an expected progress, ``PACED_KINDS``; never ``achieve`` or a "stay")
# ``no_owner``        nobody owns it
# ``owner_deactivated`` its owner's account is deactivated (they left): someone else must follow it up
# ==================  ======================================================================================

LOW_CONFIDENCE = "low_confidence"
STALE = "stale"
BACK_LOADED = "back_loaded"
NO_OWNER = "no_owner"
OWNER_DEACTIVATED = "owner_deactivated"
ATTENTION_REASONS = (OFF_TRACK, LOW_CONFIDENCE, STALE, BACK_LOADED, NO_OWNER, OWNER_DEACTIVATED)

STALE_DAYS = 14
BACK_LOADED_ELAPSED = 0.5  # more than this fraction of the cycle gone…
BACK_LOADED_PACE = 0.25  # …progress under this fraction of the expected progress…
BACK_LOADED_CONFIDENCE = 7  # …yet confidence at or above this


def is_stale(*, last_checkin: date | None, cycle_start: date, today: date, cycle_active: bool) -> bool:
    """No check-in for ``STALE_DAYS`` days in an active cycle; a closed or planned cycle is never stale."""
    if not cycle_active:
        return False
    since = cycle_start if last_checkin is None else max(last_checkin, cycle_start)
    return (today - since).days >= STALE_DAYS


def is_back_loaded(
    *, progress: float, expected: float, confidence: int | None, elapsed: float | None = None
) -> bool:
    """Late in the cycle, far behind the expected progress, and still confident: progress is being pushed
    to the end. ``elapsed`` is the fraction of the cycle gone; it differs from ``expected`` only when a plan
    bends the line (a plan that starts slowly lowers ``expected``, so following it is not back-loading)."""
    elapsed = expected if elapsed is None else elapsed
    return (
        elapsed > BACK_LOADED_ELAPSED
        and confidence is not None
        and confidence >= BACK_LOADED_CONFIDENCE
        and progress < BACK_LOADED_PACE * expected
    )


def _reasons(
    *,
    health_: str,
    confidence: int | None,
    stale: bool,
    back_loaded: bool,
    has_owner: bool,
    owner_active: bool = True,
) -> tuple[str, ...]:
    found = {
        OFF_TRACK: health_ == OFF_TRACK,
        LOW_CONFIDENCE: confidence is not None and confidence <= OFF_TRACK_CONFIDENCE,
        STALE: stale,
        BACK_LOADED: back_loaded,
        NO_OWNER: not has_owner,
        OWNER_DEACTIVATED: has_owner and not owner_active,
    }
    return tuple(reason for reason in ATTENTION_REASONS if found[reason])


def attention_reasons(
    *,
    progress: float,
    expected: float,
    confidence: int | None,
    has_owner: bool,
    last_checkin: date | None,
    cycle_start: date,
    today: date,
    cycle_active: bool,
    owner_active: bool = True,
) -> tuple[str, ...]:
    """The reasons of a key result with a pace (``PACED_KINDS``); ``key_result_figures`` covers every kind."""
    return _reasons(
        health_=health(progress=progress, expected=expected, confidence=confidence),
        confidence=confidence,
        stale=is_stale(
            last_checkin=last_checkin, cycle_start=cycle_start, today=today, cycle_active=cycle_active
        ),
        back_loaded=is_back_loaded(progress=progress, expected=expected, confidence=confidence),
        has_owner=has_owner,
        owner_active=owner_active,
    )


# --- All figures of one key result -------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """What the pages, the API, dashboards and emails show about one key result on one day."""

    progress: float
    expected: float | None  # None where a pace means nothing for the kind (see the module's docstring)
    health: str
    reasons: tuple[str, ...]


def key_result_figures(
    *,
    kind: str,
    start: Number,
    target: Number,
    current: Number,
    confidence: int | None,
    has_owner: bool,
    last_checkin: date | None,
    cycle_start: date,
    cycle_end: date,
    cycle_active: bool,
    today: date,
    milestones: Sequence[tuple[date, Number]] = (),
    owner_active: bool = True,
) -> Figures:
    """Progress, expected progress, health and needs-attention reasons of one key result on ``today``.

    ``milestones`` are the key result's planned path, (date, planned value) pairs: with them, expected
    progress follows the plan (``planned_progress_at``), and so do health and back-loaded detection.
    """
    value = key_result_progress(kind=kind, start=start, target=target, current=current)
    elapsed = expected_progress(start=cycle_start, end=cycle_end, on=today)
    expected: float | None = None
    back_loaded = False
    if kind in PACED_KINDS:
        expected = planned_progress_at(
            start=start,
            target=target,
            cycle_start=cycle_start,
            cycle_end=cycle_end,
            milestones=milestones,
            elapsed=elapsed,
        )
        health_ = health(progress=value, expected=expected, confidence=confidence)
        back_loaded = is_back_loaded(
            progress=value, expected=expected, confidence=confidence, elapsed=elapsed
        )
    elif kind == ACHIEVE:
        health_ = achieve_health(
            done=value >= 1, confidence=confidence, elapsed=elapsed, ended=today > cycle_end
        )
    else:
        health_ = stay_health(holds=value >= 1, confidence=confidence)
    stale = is_stale(
        last_checkin=last_checkin, cycle_start=cycle_start, today=today, cycle_active=cycle_active
    )
    return Figures(
        progress=value,
        expected=expected,
        health=health_,
        reasons=_reasons(
            health_=health_,
            confidence=confidence,
            stale=stale,
            back_loaded=back_loaded,
            has_owner=has_owner,
            owner_active=owner_active,
        ),
    )
