"""A real Celery worker process, the real Redis, the real database: each pending owner gets exactly one email.

The worker runs with two prefork processes, so the two enqueued runs really overlap. It reads the data this
test commits (``transactional_db``): on PostgreSQL through the test database's name; on SQLite the in-memory
test database is invisible to another process, so it gets a file copy (``VACUUM INTO``). Emails go to a
directory through Django's file backend, where the test reads them.
"""

from __future__ import annotations

import contextlib
import email
import os
import sqlite3
from pathlib import Path

import pytest
from celery import Celery

from notifications.models import EmailDelivery
from teams.models import Profile
from tests.factories import (
    CheckInFactory,
    CycleFactory,
    KeyResultFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)
from tests.servers import Workers, celery_env, celery_workers, file_mail_env, redis_db, shared_database_url

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("REMINDERS_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")  # a database of our own
PATIENCE = 90  # seconds before the test gives up waiting on the worker (it fails, never passes, on timeout)

_database_url = shared_database_url  # the other worker tests import it from here


def _read_mail(mail_dir: Path) -> list[email.message.Message]:
    """Every message the file backend wrote (several may share a file; each ends with a line of dashes)."""
    messages = []
    for path in sorted(mail_dir.glob("*.log")):
        # Bytes, not text: 8-bit bodies (Norwegian letters) then decode with their declared charset.
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.lstrip(b"\n")))
    return messages


def mail_worker(tmp_path: Path, *, redis_url: str, name: str):
    """A fixture body: ``start(database_url)`` runs one worker on ``redis_url`` (the test's own database
    number, emptied before and after) that mails to a folder; it is stopped at the end whatever happens."""
    broker = redis_db(redis_url)
    broker.flushdb()  # our own database number: leftovers from an earlier run would be consumed too
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()

    with contextlib.ExitStack() as running:

        def start(database_url: str) -> Workers:
            env = celery_env(broker_url=redis_url, database_url=database_url, **file_mail_env(mail_dir))
            return running.enter_context(
                celery_workers(
                    name=name,
                    broker_url=redis_url,
                    log_dir=tmp_path,
                    env=env,
                    flush=False,  # a test may enqueue before its worker starts; emptied here instead
                    patience=PATIENCE,
                )
            )

        yield {"start": start, "mail_dir": mail_dir, "broker": broker, "log": tmp_path / "worker.log"}
    broker.flushdb()


@pytest.fixture
def worker_env(tmp_path):
    """Environment and helpers for one worker; the worker is stopped at the end whatever happens."""
    yield from mail_worker(tmp_path, redis_url=REDIS_URL, name="reminders-test")


@pytest.mark.django_db(transaction=True)
def test_each_pending_owner_gets_exactly_one_email_from_a_real_worker(worker_env, tmp_path):
    # The slot (Monday 00:00 local) has always passed by now, whatever day the suite runs.
    team = TeamFactory(name="Worker team", slug="worker-team", reminder_weekday=1, reminder_hour=0)
    other = TeamFactory(name="Second team", slug="second-team", reminder_weekday=1, reminder_hour=0)
    cycle = CycleFactory(name="Worker cycle")
    objective = ObjectiveFactory(team=team, cycle=cycle)
    other_objective = ObjectiveFactory(team=other, cycle=cycle)
    ada, bo, cy, di = (UserFactory(username=name) for name in ("ada", "bo", "cy", "di"))
    for user in (ada, bo, cy, di):
        MembershipFactory(user=user, team=team)
    KeyResultFactory(objective=objective, owner=ada, title="Ada first")
    KeyResultFactory(objective=other_objective, owner=ada, title="Ada second")  # same email, other team
    KeyResultFactory(objective=objective, owner=bo, title="Bo only")
    checked_in = KeyResultFactory(objective=objective, owner=cy, title="Cy is done")
    CheckInFactory(key_result=checked_in, author=cy)
    KeyResultFactory(objective=objective, owner=di, title="Di opted out")
    Profile.objects.create(user=di, reminders_enabled=False)

    database_url = _database_url(tmp_path)
    workers = worker_env["start"](database_url)
    # Not set as current: shared tasks of the tests after this one must stay on the project app (eager).
    client = Celery("reminders-test", broker=REDIS_URL, set_as_current=False)
    broker, log = worker_env["broker"], worker_env["log"]

    def finished(runs: int) -> bool:
        # Every planner run succeeded, and nothing is queued or taken-but-unacknowledged (acks_late): the
        # emails they fanned out have all been handled.
        planned = _succeeded(log, "checkins.send_due_checkin_reminders")
        return planned >= runs and broker.llen("celery") == 0 and not broker.hlen("unacked")

    try:
        # Twice, back to back: both runs plan and fan out while the other may still be going.
        client.send_task("checkins.send_due_checkin_reminders")
        client.send_task("checkins.send_due_checkin_reminders")
        workers.wait_until(lambda: finished(2), what="two reminder runs")
        # A third run after everything settled finds nothing to send.
        client.send_task("checkins.send_due_checkin_reminders")
        workers.wait_until(lambda: finished(3), what="the third run")
    finally:
        client.close()

    messages = _read_mail(worker_env["mail_dir"])
    recipients = sorted(message["To"] for message in messages)
    assert recipients == [ada.email, bo.email], log.read_text()[-5000:]
    by_recipient = {message["To"]: message for message in messages}
    ada_text = _text_part(by_recipient[ada.email])
    assert "Ada first" in ada_text and "Ada second" in ada_text
    assert "https://okr.example.org/#kr-" in ada_text
    assert by_recipient[ada.email].is_multipart()  # text and HTML
    assert _sent_rows(database_url) == {ada.pk, bo.pk}


def _succeeded(log: Path, task_name: str) -> int:
    """How many runs of ``task_name`` the worker logged as succeeded."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return sum(1 for line in text.splitlines() if f"Task {task_name}[" in line and " succeeded in " in line)


def _text_part(message: email.message.Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


def _sent_rows(database_url: str) -> set[int]:
    """Users whose reminder the worker recorded as sent, read from the database the worker used."""
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            rows = db.execute(
                "SELECT user_id FROM notifications_emaildelivery WHERE sent_at IS NOT NULL"
            ).fetchall()
        return {user_id for (user_id,) in rows}
    return set(EmailDelivery.objects.filter(sent_at__isnull=False).values_list("user_id", flat=True))
