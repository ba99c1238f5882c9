"""A real Celery worker, the real Redis (our own database number), the real database: ending a meeting emails
its minutes to each member of the team exactly once, even when the send is enqueued twice.

Reuses the reminder worker test's helpers (sharing the test database with a worker process, reading the file
backend's mail); the worker and the broker database are our own.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from celery import Celery

from meetings import services, tasks
from tests.factories import (
    CycleFactory,
    KeyResultFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)
from tests.notifications import test_reminders_worker as worker
from tests.servers import Workers

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("MEETINGS_TEST_REDIS_URL", "redis://127.0.0.1:6379/10")


@pytest.fixture
def minutes_worker(tmp_path):
    """One worker on our broker database; stopped at the end whatever happens."""
    yield from worker.mail_worker(tmp_path, redis_url=REDIS_URL, name="meetings-test")


@pytest.mark.django_db(transaction=True)
def test_each_member_gets_the_minutes_once_from_a_real_worker(minutes_worker, tmp_path, monkeypatch):
    # The worker reads the data as it is once the meeting has ended (a file copy on SQLite).
    team = TeamFactory(name="Møteteam", slug="moteteam")
    cycle = CycleFactory(name="Worker meeting cycle")
    objective = ObjectiveFactory(team=team, cycle=cycle)
    key_result = KeyResultFactory(objective=objective, title="Flere kurs")
    ada, bo, cy = (UserFactory(username=name) for name in ("ada", "bo", "cy"))
    for user in (ada, bo, cy):
        MembershipFactory(user=user, team=team)
    # No mail for a deactivated member.
    MembershipFactory(user=UserFactory(username="gone", is_active=False), team=team)

    client = Celery("meetings-test", broker=REDIS_URL, set_as_current=False)
    # The end's on-commit hook enqueues the planner; here it goes to our broker, twice (a double submit).
    sent = []

    def enqueue(meeting_id):
        for _ in range(2):
            sent.append(client.send_task("meetings.send_meeting_minutes", args=[meeting_id]))

    monkeypatch.setattr(tasks.send_meeting_minutes, "delay", enqueue)
    meeting = services.meeting_start(team=team, user=ada)
    services.meeting_note_add(meeting=meeting, key_result=key_result, author=ada, body="Notat fra møtet")
    services.meeting_decision_add(meeting=meeting, author=bo, body="Beslutning fra møtet")

    services.meeting_end(meeting=meeting, user=ada)
    assert len(sent) == 2  # on commit, once per end
    database_url = worker._database_url(tmp_path)
    workers: Workers = minutes_worker["start"](database_url)
    broker, log = minutes_worker["broker"], minutes_worker["log"]

    def finished() -> bool:
        planned = worker._succeeded(log, "meetings.send_meeting_minutes")
        emails = worker._succeeded(log, "meetings.send_minutes_email")
        return planned >= 2 and emails >= 3 and broker.llen("celery") == 0 and not broker.hlen("unacked")

    try:
        workers.wait_until(finished, what="the minutes to be sent")
    finally:
        client.close()

    messages = worker._read_mail(minutes_worker["mail_dir"])
    assert sorted(message["To"] for message in messages) == sorted([ada.email, bo.email, cy.email]), Path(
        log
    ).read_text()[-4000:]
    text = worker._text_part(messages[0])
    assert "Beslutning fra møtet" in text and "Notat fra møtet" in text
    assert "https://okr.example.org/teams/moteteam/meetings/" in text
