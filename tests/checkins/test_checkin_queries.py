"""A check-in is the hottest write (Monday morning): its statements stay few, and the same at any size."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checkins.services import checkin_submit
from tests.factories import CheckInFactory, KeyResultFactory, UserFactory

pytestmark = pytest.mark.django_db


def _statements(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"].split()[0].upper() for query in captured.captured_queries]


# The team's rollups (checkins.rollups) are only marked dirty in the check-in's transaction, the same two
# statements for any number of check-ins or key results: the UPDATE of the team's rollup row, and the INSERT …
# SELECT of one where the team has none yet (the worker recomputes after the commit). They follow an empty
# SAVEPOINT/RELEASE pair (an atomic block that ran no statement).
ROLLUP = ["SAVEPOINT", "RELEASE", "UPDATE", "INSERT"]


@pytest.mark.parametrize("earlier", [0, 30])
def test_a_new_checkin_takes_the_row_lock_and_three_writes(earlier):
    key_result = KeyResultFactory(start_value=0, target_value=10)
    author = UserFactory()
    for days in range(earlier):
        CheckInFactory(
            key_result=key_result, created_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC) + dt.timedelta(days)
        )
    with CaptureQueriesContext(connection) as captured:
        checkin_submit(key_result=key_result, author=author, value=5, confidence=7)
    # SAVEPOINT (the service's atomic block inside the test's transaction), SELECT … FOR UPDATE of the key
    # result with its objective and cycle, INSERT of the check-in, UPDATE of the key result, RELEASE. No
    # existence checks of the key result or author, no constraint-validation savepoint, no read-back of the
    # latest check-in (the new one is the latest).
    # ROLLUP follows an empty SAVEPOINT/RELEASE pair (an atomic block that ran no statement)
    assert _statements(captured) == ["SAVEPOINT", "SELECT", "INSERT", "UPDATE", *ROLLUP, "RELEASE"]


def test_an_older_checkin_reads_the_latest_back():
    key_result = KeyResultFactory(start_value=0, target_value=10)
    author = UserFactory()
    latest = CheckInFactory(key_result=key_result, value=8, confidence=9)
    with CaptureQueriesContext(connection) as captured:
        checkin_submit(
            key_result=key_result,
            author=author,
            value=2,
            confidence=3,
            created_at=latest.created_at - dt.timedelta(days=3),
        )
    assert _statements(captured) == ["SAVEPOINT", "SELECT", "INSERT", "SELECT", "UPDATE", *ROLLUP, "RELEASE"]
    key_result.refresh_from_db()
    assert (key_result.current_value, key_result.confidence) == (8, 9)
