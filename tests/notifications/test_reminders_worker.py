"""A real Celery worker process, the real Redis, the real database: each pending owner gets exactly one email.

The worker runs with two prefork processes, so the two enqueued runs really overlap. It reads the data this
test commits (``transactional_db``): on PostgreSQL through the test database's name; on SQLite the in-memory
test database is invisible to another process, so it gets a file copy (``VACUUM INTO``). Emails go to a
directory through Django's file backend, where the test reads them.
"""

from __future__ import annotations

import email
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

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

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("REMINDERS_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")  # a database of our own
CELERY_BIN = Path(sys.executable).with_name("celery")
PATIENCE = 90  # seconds before the test gives up waiting on the worker (it fails, never passes, on timeout)


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"Redis does not answer at {REDIS_URL} ({exc}); the worker test needs a real broker")
    return client


def _database_url(tmp_path: Path) -> str:
    """A DATABASE_URL for the worker that reaches the data this test committed."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        return f"postgres://{credentials}@{host}/{db['NAME']}"
    if connection.vendor == "sqlite":
        copy = tmp_path / "worker.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(copy)])
        return f"sqlite:///{copy}"
    pytest.skip(f"No way to share a {connection.vendor} test database with a worker process")


def _read_mail(mail_dir: Path) -> list[email.message.Message]:
    """Every message the file backend wrote (several may share a file; each ends with a line of dashes)."""
    messages = []
    for path in sorted(mail_dir.glob("*.log")):
        # Bytes, not text: 8-bit bodies (Norwegian letters) then decode with their declared charset.
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.lstrip(b"\n")))
    return messages


@pytest.fixture
def worker_env(tmp_path):
    """Environment and helpers for one worker; the worker is stopped at the end whatever happens."""
    broker = _redis()
    broker.flushdb()  # our own database number: leftovers from an earlier run would be consumed too
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    processes: list[subprocess.Popen] = []

    def start(database_url: str) -> subprocess.Popen:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("PYTEST_VERSION", "PYTEST_CURRENT_TEST", "DJANGO_SETTINGS_MODULE")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="okrhub.settings",
            DATABASE_URL=database_url,
            CELERY_BROKER_URL=REDIS_URL,
            CELERY_TASK_ALWAYS_EAGER="false",
            EMAIL_URL="filemail://",
            EMAIL_FILE_PATH=str(mail_dir),
            SITE_URL="https://okr.example.org",
            SECRET_KEY="integration-test-only",
            DEBUG="false",
            SECURE_SSL_REDIRECT="false",
        )
        process = subprocess.Popen(
            [str(CELERY_BIN), "-A", "okrhub", "worker", "--pool=prefork", "--concurrency=2"]
            + ["--loglevel=info", "--without-gossip", "--without-mingle", "--without-heartbeat"]
            + [f"--hostname=reminders-test-{os.getpid()}@%h"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=open(tmp_path / "worker.log", "wb"),  # noqa: SIM115 (closed with the process)
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the pool children stop with it
        )
        processes.append(process)
        return process

    yield {"start": start, "mail_dir": mail_dir, "broker": broker, "log": tmp_path / "worker.log"}

    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # warm shutdown: finish the current task, then exit
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()
    broker.flushdb()


def _wait_until(condition, *, what: str, log: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"The worker exited ({process.returncode}) while waiting for {what}:\n{log.read_text()}"
            )
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"Timed out waiting for {what}. Worker log:\n{log.read_text()[-5000:]}")


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
    process = worker_env["start"](database_url)
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
        _wait_until(lambda: finished(2), what="two reminder runs", log=log, process=process)
        # A third run after everything settled finds nothing to send.
        client.send_task("checkins.send_due_checkin_reminders")
        _wait_until(lambda: finished(3), what="the third run", log=log, process=process)
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
