"""The needs-attention rules, table-driven: each row is one situation and the reasons it must produce."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from objectives import progress as p

START = date(2027, 1, 1)
END = date(2027, 3, 31)  # 89 days


def on(days: int) -> date:
    return START + timedelta(days=days)


def expected_on(day: date) -> float:
    return p.expected_progress(start=START, end=END, on=day)


@pytest.mark.parametrize(
    ("last_checkin", "today", "active", "stale"),
    [
        (None, on(13), True, False),  # never checked in, cycle 13 days old
        (None, on(14), True, True),  # never checked in, cycle 14 days old
        (on(20), on(33), True, False),  # 13 days since the last check-in
        (on(20), on(34), True, True),  # exactly 14 days
        (on(20), on(60), False, False),  # closed cycle: nothing is stale any more
        (on(-30), on(10), True, False),  # a check-in before the cycle started counts from the start
        (None, on(-5), True, False),  # the cycle has not started yet
    ],
)
def test_it_finds_stale_key_results(last_checkin, today, active, stale):
    assert p.is_stale(last_checkin=last_checkin, cycle_start=START, today=today, cycle_active=active) is stale


@pytest.mark.parametrize(
    ("progress", "expected", "confidence", "back_loaded"),
    [
        (0.10, 0.60, 8, True),  # late, far behind, confident
        (0.10, 0.50, 8, False),  # exactly half the cycle gone is not "more than half"
        (0.10, 0.60, 6, False),  # not confident: that is low confidence, not back-loading
        (0.10, 0.60, None, False),  # no confidence given yet
        (0.15, 0.60, 9, False),  # exactly a quarter of the pace is not under it
        (0.149, 0.60, 7, True),  # just under a quarter, confidence at the threshold
        (0.0, 1.0, 10, True),  # the cycle is over with nothing done and full confidence
        (0.0, 0.40, 10, False),  # early in the cycle a slow start is normal
    ],
)
def test_it_finds_back_loaded_key_results(progress, expected, confidence, back_loaded):
    assert p.is_back_loaded(progress=progress, expected=expected, confidence=confidence) is back_loaded


@pytest.mark.parametrize(
    ("case", "progress", "confidence", "has_owner", "last_checkin", "today", "active", "reasons"),
    [
        ("healthy", 0.5, 8, True, on(40), on(45), True, ()),
        ("behind pace early on", 0.1, 8, True, on(38), on(40), True, (p.OFF_TRACK,)),
        (
            "behind pace late is also back-loaded",
            0.1,
            8,
            True,
            on(40),
            on(45),
            True,
            (p.OFF_TRACK, p.BACK_LOADED),
        ),
        ("low confidence", 0.5, 3, True, on(40), on(45), True, (p.OFF_TRACK, p.LOW_CONFIDENCE)),
        ("confidence 4 is at risk, not attention", 0.5, 4, True, on(40), on(45), True, ()),
        ("stale", 0.5, 8, True, on(30), on(45), True, (p.STALE,)),
        ("never checked in", 0.5, None, True, None, on(45), True, (p.STALE,)),
        ("no owner", 0.5, 8, False, on(40), on(45), True, (p.NO_OWNER,)),
        (
            "back-loaded late in the cycle",
            0.05,
            9,
            True,
            on(60),
            on(62),
            True,
            (p.OFF_TRACK, p.BACK_LOADED),
        ),
        (
            "everything at once",
            0.0,
            2,
            False,
            None,
            on(70),
            True,
            (p.OFF_TRACK, p.LOW_CONFIDENCE, p.STALE, p.NO_OWNER),
        ),
        ("closed cycle never stale", 1.0, 8, True, on(10), on(120), False, ()),
    ],
)
def test_attention_reasons(case, progress, confidence, has_owner, last_checkin, today, active, reasons):
    result = p.attention_reasons(
        progress=progress,
        expected=expected_on(today),
        confidence=confidence,
        has_owner=has_owner,
        last_checkin=last_checkin,
        cycle_start=START,
        today=today,
        cycle_active=active,
    )
    assert result == reasons, case


def test_reasons_come_in_a_fixed_order():
    assert p.ATTENTION_REASONS == (
        p.OFF_TRACK,
        p.LOW_CONFIDENCE,
        p.STALE,
        p.BACK_LOADED,
        p.NO_OWNER,
        p.OWNER_DEACTIVATED,
    )
