"""Concurrent check-ins of one team, and recomputations running meanwhile, keep its rollups exact
(checkins.rollups).

Each check-in marks its team's ``TeamRollup`` dirty with an UPDATE of the row, and a recomputation holds
the same row locked while it reads and writes the figures: a mark that lands while a recomputation runs
waits for it and leaves the row dirty, so no check-in is lost to a recomputation that did not see it. Every
round races check-ins against recomputations; a lost mark would leave a clean row that differs from a
recomputation, which ``verify`` reports. SQLite has no row locks (it serialises every writer), so this only
means something on PostgreSQL, where CI runs it.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from checkins import rollups
from checkins.models import CheckInWeek, TeamRollup
from checkins.services import checkin_submit
from objectives.models import Cycle, KeyResult, Objective
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory, UserFactory

THREADS = 4
REFRESHERS = 2
ROUNDS = 3


@pytest.fixture
def require_postgresql(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; SQLite serialises every writer, so there is no race to test")


def test_concurrent_check_ins_of_one_team_leave_rollups_equal_to_a_recomputation(require_postgresql):
    cycle = CycleFactory(status=Cycle.Status.ACTIVE)
    objective = ObjectiveFactory(cycle=cycle, status=Objective.Status.ACTIVE)
    key_results = [
        KeyResultFactory(objective=objective, start_value=0, target_value=10, owner=UserFactory())
        for _ in range(THREADS)
    ]
    for round_ in range(ROUNDS):
        barrier = threading.Barrier(THREADS + REFRESHERS)
        errors: list[BaseException] = []

        def submit(key_result_id: int, value: int, barrier: threading.Barrier, errors: list) -> None:
            try:
                key_result = KeyResult.objects.select_related("objective__cycle").get(pk=key_result_id)
                barrier.wait(timeout=10)
                checkin_submit(
                    key_result=key_result, author=key_result.owner, value=Decimal(value), confidence=7
                )
            except BaseException as error:  # noqa: BLE001 - reported to the main thread below
                errors.append(error)
            finally:
                connections.close_all()

        def recompute(barrier: threading.Barrier, errors: list) -> None:
            try:
                barrier.wait(timeout=10)
                for _ in range(5):  # the worker, run while the check-ins land
                    rollups.refresh_dirty()
            except BaseException as error:  # noqa: BLE001 - reported to the main thread below
                errors.append(error)
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=submit, args=(key_result.pk, round_ + index, barrier, errors))
            for index, key_result in enumerate(key_results)
        ] + [threading.Thread(target=recompute, args=(barrier, errors)) for _ in range(REFRESHERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert rollups.verify() == []  # every clean row is exact; a dirty one waits for the next run
        rollups.refresh_dirty()
        assert not TeamRollup.objects.filter(dirty=True).exists()
        assert rollups.verify() == []
    # Every key result was checked in this week, and the one rollup row holds all of them.
    assert TeamRollup.objects.get(cycle=cycle, team=objective.team).key_results == THREADS
    assert (
        sum(CheckInWeek.objects.filter(cycle=cycle, team=objective.team).values_list("checked", flat=True))
        == THREADS
    )
