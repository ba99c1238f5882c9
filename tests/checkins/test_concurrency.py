"""Two check-ins on one key result at the same moment: both persist and the latest by time wins.

The service locks the key result row (SELECT … FOR UPDATE) before it recomputes, so the second transaction
waits for the first and then sees both check-ins. SQLite has no row locks (it serialises all writers), so
this test only means something on PostgreSQL, where CI runs it.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from checkins.models import CheckIn
from checkins.services import checkin_submit
from objectives.models import KeyResult
from tests.factories import KeyResultFactory, UserFactory

ROUNDS = 5


@pytest.fixture
def require_postgresql(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; SQLite serialises every writer, so there is no race to test")


def _race(
    key_result_id: int, submissions: list[tuple[object, Decimal, int, dt.datetime]]
) -> list[BaseException]:
    barrier = threading.Barrier(len(submissions))
    errors: list[BaseException] = []

    def submit(author, value, confidence, created_at) -> None:
        try:
            key_result = KeyResult.objects.get(pk=key_result_id)
            barrier.wait(timeout=10)
            checkin_submit(
                key_result=key_result,
                author=author,
                value=value,
                confidence=confidence,
                created_at=created_at,
            )
        except BaseException as error:  # noqa: BLE001 - reported to the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=args) for args in submissions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def test_two_simultaneous_check_ins_both_persist_and_the_latest_wins(require_postgresql):
    first_author = UserFactory(username="first")
    second_author = UserFactory(username="second")
    for round_number in range(ROUNDS):
        key_result = KeyResultFactory(start_value=Decimal(0), target_value=Decimal(100))
        now = timezone.now()
        earlier, later = now - dt.timedelta(seconds=1), now
        # The later check-in starts first; the earlier one, committing after it, must not overwrite it.
        errors = _race(
            key_result.pk,
            [
                (second_author, Decimal(60 + round_number), 8, later),
                (first_author, Decimal(40), 4, earlier),
            ],
        )
        assert errors == []
        assert CheckIn.objects.filter(key_result=key_result).count() == 2
        key_result.refresh_from_db()
        assert key_result.current_value == Decimal(60 + round_number)
        assert key_result.confidence == 8
        assert key_result.last_checkin_at == later
