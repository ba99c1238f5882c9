"""Replies polled from a real IMAP server (a throwaway Dovecot): two pollers at once, and a real Celery worker
running the beat task twice at once; every reply is applied and confirmed exactly once, and leaves the
inbox for the processed folder.

The pollers are separate processes, as they are in production, and read the data this test commits
(``transactional_db``): the test database itself on PostgreSQL, a file copy (``VACUUM INTO``) on SQLite.
"""

from __future__ import annotations

import email.utils
import os
import sqlite3
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from notifications import reminders
from tests.factories import KeyResultFactory
from tests.notifications.dovecot import dovecot
from tests.notifications.test_reminders_worker import _database_url, _read_mail
from tests.servers import celery_env, celery_workers, file_mail_env, redis_db

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("INBOUND_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")  # a database of our own
INBOUND = "checkin@okr.example.org"
REPLIES = 6
PATIENCE = 120  # seconds before a test gives up (it fails on timeout, never passes)


@pytest.fixture
def imap_server(tmp_path, request):
    # Parametrised indirectly with extra Dovecot settings (a server without some extensions).
    with dovecot(tmp_path, extra_config=getattr(request, "param", "")) as server:
        yield server


def _replies(org, settings, mailoutbox) -> list[bytes]:
    """The member's reminder sent, and REPLIES different replies to it."""
    settings.INBOUND_EMAIL_ADDRESS = INBOUND
    key_results = [org.key_result] + [
        KeyResultFactory(objective=org.objective, owner=org.member, title=f"Nr {n}")
        for n in range(REPLIES - 1)
    ]
    for delivery in reminders.checkin_reminders_plan(ignore_slot=True):
        reminders.checkin_reminder_send(delivery_id=delivery.pk, ignore_slot=True)
    (reminder,) = [m for m in mailoutbox if m.to == [org.member.email]]
    return [_reply(reminder, f"K{kr.pk}: {20 + n} 7 svar nr {n}") for n, kr in enumerate(key_results)]


@pytest.fixture
def replies_in_inbox(org, settings, mailoutbox, imap_server):
    """REPLIES different replies to the member's reminder plus one duplicate in the inbox."""
    raws = _replies(org, settings, mailoutbox)
    for raw in raws:
        imap_server.append(raw)
    imap_server.append(raws[0])  # the same message twice (a client that sent it again)
    return raws


def _reply(reminder, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = reminder.to[0]
    message["To"] = reminder.reply_to[0]
    message["Subject"] = "Re: " + reminder.subject
    message["Message-ID"] = email.utils.make_msgid(domain="phone.example.net")
    message["In-Reply-To"] = reminder.extra_headers["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in reminder.body.splitlines())
    message.set_content(
        f"{body}\n\nOn Tue, 1 Dec 2026 at 10:00, OKR Hub <okrhub@localhost> wrote:\n{quoted}\n"
    )
    return message.as_bytes()


def _env(database_url: str, mail_dir: Path, imap_url: str, **extra: str) -> dict[str, str]:
    return celery_env(
        database_url=database_url,
        **file_mail_env(mail_dir),
        INBOUND_EMAIL_ADDRESS=INBOUND,
        INBOUND_IMAP_URL=imap_url,
        **extra,
    )


def _count(database_url: str, sql: str) -> int:
    """One number from the database the pollers used."""
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            return db.execute(sql).fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


CHECKINS = "SELECT COUNT(*) FROM checkins_checkin"
RECORDS = "SELECT COUNT(*) FROM notifications_inboundmessage WHERE status = 'processed'"
CONFIRMED = (
    "SELECT COUNT(*) FROM notifications_emaildelivery"
    " WHERE kind = 'reply_confirmation' AND sent_at IS NOT NULL"
)


def _assert_exactly_once(database_url: str, mail_dir: Path, imap_server, log: str) -> None:
    assert _count(database_url, CHECKINS) == REPLIES, log
    assert _count(database_url, RECORDS) == REPLIES, log
    assert _count(database_url, CONFIRMED) == REPLIES, log
    confirmations = _read_mail(mail_dir)
    assert len(confirmations) == REPLIES, log
    assert len({m["In-Reply-To"] for m in confirmations}) == REPLIES
    assert imap_server.count("INBOX") == 0
    assert imap_server.count("Processed") == REPLIES + 1  # the duplicate was moved out too


def _receive_twice(imap_server, tmp_path, **extra: str) -> None:
    """``receive_email --imap`` twice, each a process of its own: every reply the first time, nothing new the
    second, and each applied and confirmed exactly once."""
    database_url = _database_url(tmp_path)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = _env(database_url, mail_dir, imap_server.url, CELERY_TASK_ALWAYS_EAGER="true", **extra)
    for expected in (REPLIES, 0):  # the second run finds the inbox empty
        result = subprocess.run(
            [sys.executable, "manage.py", "receive_email", "--imap"],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            timeout=PATIENCE,
        )
        assert result.returncode == 0, result.stderr.decode()[-3000:]
        assert result.stdout.decode().strip().endswith(f"{expected} new message(s)")
    _assert_exactly_once(database_url, mail_dir, imap_server, "")


@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_apply_every_reply_exactly_once(replies_in_inbox, imap_server, tmp_path):
    database_url = _database_url(tmp_path)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = _env(database_url, mail_dir, imap_server.url, CELERY_TASK_ALWAYS_EAGER="true")
    logs = [tmp_path / f"poller-{n}.log" for n in (1, 2)]
    outputs = [open(log, "wb") for log in logs]  # noqa: SIM115 (closed below)
    pollers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "receive_email", "--imap"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        for out in outputs
    ]
    try:
        for poller in pollers:
            poller.wait(timeout=PATIENCE)
    finally:
        for poller in pollers:
            if poller.poll() is None:
                poller.kill()
                poller.wait(timeout=10)
        for out in outputs:
            out.close()
    output = "\n".join(log.read_text() for log in logs)
    assert [p.returncode for p in pollers] == [0, 0], output
    _assert_exactly_once(database_url, mail_dir, imap_server, output)
    # Each poller says how many messages were new to it; together, every reply once.
    counts = [int(log.read_text().split(" new message")[0].split()[-1]) for log in logs]
    assert sum(counts) == REPLIES, output


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_polls_on_a_real_worker_twice_at_once(replies_in_inbox, imap_server, tmp_path):
    redis_db(REDIS_URL)  # skips before anything is copied when Redis does not answer
    database_url = _database_url(tmp_path)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log = tmp_path / "worker.log"
    env = _env(
        database_url, mail_dir, imap_server.url, CELERY_BROKER_URL=REDIS_URL, CELERY_TASK_ALWAYS_EAGER="false"
    )
    client = Celery("inbound-test", broker=REDIS_URL, set_as_current=False)
    try:
        with celery_workers(
            name="inbound-test", broker_url=REDIS_URL, log_dir=tmp_path, env=env, patience=PATIENCE
        ) as workers:
            broker = workers.broker
            client.send_task("notifications.poll_inbound_email")
            client.send_task("notifications.poll_inbound_email")

            def finished() -> bool:
                text = log.read_text(errors="replace")
                polls = sum(
                    1
                    for line in text.splitlines()
                    if "poll_inbound_email[" in line and " succeeded in " in line
                )
                sent = sum(
                    1
                    for line in text.splitlines()
                    if "send_reply_confirmation[" in line and " succeeded in " in line
                )
                return (
                    polls >= 2
                    and sent >= REPLIES
                    and broker.llen("celery") == 0
                    and not broker.hlen("unacked")
                )

            workers.wait_until(finished, what="both polls and every confirmation")
    finally:
        client.close()
    _assert_exactly_once(database_url, mail_dir, imap_server, log.read_text()[-5000:])


@pytest.mark.django_db(transaction=True)
def test_receive_email_reads_a_real_pipe(org, settings, mailoutbox, tmp_path):
    """`python manage.py receive_email < reply.eml`, as a mail server's pipe transport runs it."""
    settings.INBOUND_EMAIL_ADDRESS = INBOUND
    for delivery in reminders.checkin_reminders_plan(ignore_slot=True):
        reminders.checkin_reminder_send(delivery_id=delivery.pk, ignore_slot=True)
    (reminder,) = [m for m in mailoutbox if m.to == [org.member.email]]
    eml = tmp_path / "reply.eml"
    eml.write_bytes(_reply(reminder, f"K{org.key_result.pk}: 1 268 8 God uke"))
    database_url = _database_url(tmp_path)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = _env(database_url, mail_dir, "", CELERY_TASK_ALWAYS_EAGER="true")
    for expected in ("processed", "already received: nothing changed"):
        with open(eml, "rb") as stdin:
            result = subprocess.run(
                [sys.executable, "manage.py", "receive_email"],
                cwd=settings.BASE_DIR,
                env=env,
                stdin=stdin,
                capture_output=True,
                timeout=PATIENCE,
            )
        assert result.returncode == 0, result.stderr.decode()[-3000:]
        assert result.stdout.decode().strip().endswith(expected)
    assert _count(database_url, CHECKINS) == 1
    assert len(_read_mail(mail_dir)) == 1


# A server that announces neither MOVE nor CONDSTORE: COPY + Deleted flag + UID EXPUNGE, and the unique row.
PLAIN_SERVER = "\nimap_capability = IMAP4rev1 LITERAL+ UIDPLUS\n"


@pytest.mark.parametrize("imap_server", [PLAIN_SERVER], indirect=True)
@pytest.mark.django_db(transaction=True)
def test_a_server_without_move_or_condstore_still_gets_each_reply_once(
    replies_in_inbox, imap_server, tmp_path
):
    client = imap_server.client()
    capabilities = client.capability()[1][0].split()
    client.logout()
    assert b"MOVE" not in capabilities and b"CONDSTORE" not in capabilities and b"UIDPLUS" in capabilities
    _receive_twice(imap_server, tmp_path)


@pytest.mark.django_db(transaction=True)
def test_replies_a_killed_poller_left_seen_are_applied_by_the_next_run(
    org, settings, mailoutbox, imap_server, tmp_path
):
    """A poller claims a message by marking it seen, and moves it out once applied: killed in between (a
    deploy, the task's hard time limit) it leaves the message seen in the inbox, which no claim takes again.
    The next run applies such messages too (and ones a person read in a mail program), each exactly once."""
    raws = _replies(org, settings, mailoutbox)
    for n, raw in enumerate(raws):
        imap_server.append(raw, flags=r"(\Seen)" if n < 3 else None)  # three claimed, never moved
    imap_server.append(raws[0], flags=r"(\Seen)")  # and a duplicate of one of them
    assert imap_server.count("INBOX", "SEEN") == 4
    # Every run is a process of its own, each with a cache of its own: seen once is long enough here (the
    # waiting itself is the next test's).
    _receive_twice(imap_server, tmp_path, INBOUND_IMAP_STRANDED_SECONDS="0")


def test_a_seen_message_waits_until_no_poller_can_still_be_at_work_on_it(
    org, settings, mailoutbox, imap_server
):
    """Seen could mean a poller is applying it right now: it is taken only once polls have seen it for longer
    than a poller may run (its hard time limit), so a live poller and a late one never both move it."""
    import time_machine
    from django.core.cache import cache

    from notifications.imap import inbound_poll

    settings.INBOUND_IMAP_STRANDED_SECONDS = 360
    cache.clear()
    raws = _replies(org, settings, mailoutbox)
    imap_server.append(raws[0], flags=r"(\Seen)")
    with time_machine.travel("2026-12-01 10:00:00 +01:00", tick=False):
        assert inbound_poll(imap_server.url) == 0  # first seen now
    with time_machine.travel("2026-12-01 10:05:00 +01:00", tick=False):
        assert inbound_poll(imap_server.url) == 0  # a poller may still be at it
    assert imap_server.count("INBOX") == 1
    with time_machine.travel("2026-12-01 10:06:01 +01:00", tick=False):
        assert inbound_poll(imap_server.url) == 1
    assert imap_server.count("INBOX") == 0
    assert imap_server.count("Processed") == 1
