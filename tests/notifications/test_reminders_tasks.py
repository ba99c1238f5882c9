"""The Celery tasks and the cron command around the reminder services (Celery eager, per test only)."""

from __future__ import annotations

import datetime as dt
import smtplib
from io import StringIO

import pytest
from celery.exceptions import Retry
from django.core.management import CommandError, call_command
from django.test import override_settings

from notifications import reminders, tasks
from notifications.models import EmailDelivery
from okrhub.celery import app as celery_app
from tests.notifications.test_reminders import (
    THU_AFTER_SLOT,
    THU_BEFORE_SLOT,
    UTC,
    FlakySMTPBackend,
    reminded,
)


@pytest.fixture
def week_org(db, time_machine, request):
    time_machine.move_to(dt.datetime(2027, 3, 15, 8, 0, tzinfo=UTC), tick=False)
    return request.getfixturevalue("org")


@pytest.fixture
def celery_eager():
    """Tasks run in the test process for this test only; failures stay in the result, as on a worker."""
    keys = ("task_always_eager", "task_eager_propagates")
    previous = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(task_always_eager=True, task_eager_propagates=False)
    yield celery_app
    celery_app.conf.update(previous)


def test_the_beat_schedule_runs_both_tasks_hourly(settings):
    schedule = {
        name: entry
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if name in ("checkin-reminders", "leader-digests")
    }
    assert {entry["task"] for entry in schedule.values()} == {
        "checkins.send_due_checkin_reminders",
        "checkins.send_due_leader_digests",
    }
    for entry in schedule.values():
        assert entry["task"] in celery_app.tasks
        assert len(entry["schedule"].minute) == 1  # once an hour, on a fixed minute
        assert entry["schedule"].hour == set(range(24))


def test_tasks_have_explicit_names_and_time_limits():
    for task in (
        tasks.send_due_checkin_reminders,
        tasks.send_checkin_reminder,
        tasks.send_due_leader_digests,
        tasks.send_leader_digest,
    ):
        assert task.name.startswith("checkins.")
        assert task.soft_time_limit and task.time_limit and task.soft_time_limit < task.time_limit


def test_the_hourly_task_fans_out_one_email_per_owner(
    week_org, time_machine, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_checkin_reminders.delay().get() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_checkin_reminders.delay().get() == 0  # the second run finds nothing unsent
    assert reminded(mailoutbox) == {week_org.member.email: 1, week_org.outsider.email: 1}


def test_the_hourly_task_before_the_slot_sends_nothing(week_org, time_machine, mailoutbox, celery_eager):
    time_machine.move_to(THU_BEFORE_SLOT, tick=False)
    assert tasks.send_due_checkin_reminders.delay().get() == 0
    assert mailoutbox == []


def test_the_same_delivery_task_twice_sends_once(week_org, time_machine, mailoutbox, celery_eager):
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    delivery = reminders.checkin_reminders_plan()[0]
    assert tasks.send_checkin_reminder.delay(delivery.pk).get() == "sent"
    assert tasks.send_checkin_reminder.delay(delivery.pk).get() == "already_sent"
    assert len(mailoutbox) == 1


@override_settings(EMAIL_BACKEND="tests.notifications.test_reminders.FlakySMTPBackend")
def test_a_failing_send_is_retried_with_backoff_and_never_marked_sent(
    week_org, time_machine, mailoutbox, monkeypatch, celery_eager
):
    monkeypatch.setattr(FlakySMTPBackend, "refused", {week_org.member.email})
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    retries = []

    def fake_retry(*args, **kwargs):
        retries.append(kwargs)
        raise Retry(exc=kwargs.get("exc"), when=kwargs.get("countdown"))

    monkeypatch.setattr(tasks.send_checkin_reminder, "retry", fake_retry)
    delivery = EmailDelivery.objects.create(
        user=week_org.member, kind="checkin_reminder", iso_year=2027, iso_week=11
    )
    result = tasks.send_checkin_reminder.apply(args=[delivery.pk])
    assert result.state == "RETRY"
    [retry] = retries
    assert isinstance(retry["exc"], smtplib.SMTPRecipientsRefused)
    assert 0 <= retry["countdown"] <= 60  # the first backoff step (full jitter)
    delivery.refresh_from_db()
    assert delivery.sent_at is None and delivery.claimed_until is None and delivery.attempts == 1
    assert mailoutbox == []


@override_settings(EMAIL_BACKEND="tests.notifications.test_reminders.FlakySMTPBackend")
def test_the_hourly_task_keeps_going_when_one_user_fails(
    week_org, time_machine, mailoutbox, monkeypatch, celery_eager, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(FlakySMTPBackend, "refused", {week_org.member.email})
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_due_checkin_reminders.delay()
    assert reminded(mailoutbox) == {week_org.outsider.email: 1}
    failed = EmailDelivery.objects.get(user=week_org.member)
    # Eager retries run at once: the first try and every retry failed, and the row stays unsent.
    assert failed.sent_at is None
    assert failed.attempts == tasks.SEND_RETRY["max_retries"] + 1


# --- The cron command -------------------------------------------------------------------------------------


def test_the_command_reminds_everyone_pending_whatever_the_slot(week_org, time_machine, mailoutbox):
    time_machine.move_to(dt.datetime(2027, 3, 16, 8, 0, tzinfo=UTC), tick=False)  # Tuesday, before any slot
    out = StringIO()
    call_command("send_checkin_reminders", stdout=out)
    assert "Reminded 2 user(s)." in out.getvalue()
    assert reminded(mailoutbox) == {week_org.member.email: 1, week_org.outsider.email: 1}

    out = StringIO()
    call_command("send_checkin_reminders", stdout=out)
    assert "Reminded 0 user(s)." in out.getvalue()
    assert len(mailoutbox) == 2


def test_the_dry_run_lists_who_would_be_reminded_and_sends_nothing(week_org, time_machine, mailoutbox):
    time_machine.move_to(dt.datetime(2027, 3, 16, 8, 0, tzinfo=UTC), tick=False)
    out = StringIO()
    call_command("send_checkin_reminders", "--dry-run", stdout=out)
    output = out.getvalue()
    assert f"member <{week_org.member.email}>: 1 pending ({week_org.key_result.title})" in output
    assert "outsider" in output
    assert "would remind 2 user(s)" in output
    assert mailoutbox == []
    assert not EmailDelivery.objects.exists()

    call_command("send_checkin_reminders", stdout=StringIO())
    out = StringIO()
    call_command("send_checkin_reminders", "--dry-run", stdout=out)
    assert "would remind 0 user(s)" in out.getvalue()


@override_settings(EMAIL_BACKEND="tests.notifications.test_reminders.FlakySMTPBackend")
def test_the_command_reports_a_failure_after_sending_the_others(
    week_org, time_machine, mailoutbox, monkeypatch
):
    monkeypatch.setattr(FlakySMTPBackend, "refused", {week_org.member.email})
    time_machine.move_to(dt.datetime(2027, 3, 16, 8, 0, tzinfo=UTC), tick=False)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 email"):
        call_command("send_checkin_reminders", stdout=out, stderr=err)
    assert "Reminded 1 user(s)." in out.getvalue()
    assert "member: SMTPRecipientsRefused" in err.getvalue()
    assert reminded(mailoutbox) == {week_org.outsider.email: 1}

    monkeypatch.setattr(FlakySMTPBackend, "refused", set())
    out = StringIO()
    call_command("send_checkin_reminders", stdout=out)
    assert "Reminded 1 user(s)." in out.getvalue()
    assert reminded(mailoutbox) == {week_org.member.email: 1, week_org.outsider.email: 1}


def test_the_command_can_send_the_digests_too(week_org, time_machine, mailoutbox):
    time_machine.move_to(dt.datetime(2027, 3, 16, 8, 0, tzinfo=UTC), tick=False)
    out = StringIO()
    call_command("send_checkin_reminders", "--with-digests", stdout=out)
    assert "Reminded 2 user(s)." in out.getvalue()
    assert "Sent 2 leader digest(s)." in out.getvalue()
    assert set(reminded(mailoutbox)) == {
        week_org.member.email,
        week_org.outsider.email,
        week_org.lead.email,
        week_org.section_leader.email,
    }
    out = StringIO()
    call_command("send_checkin_reminders", "--with-digests", stdout=out)
    assert "Reminded 0 user(s)." in out.getvalue() and "Sent 0 leader digest(s)." in out.getvalue()
