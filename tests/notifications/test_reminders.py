"""Weekly check-in reminders: who is due when, what they get, and that nobody gets one twice.

Time is frozen in every test. The reference week is ISO week 11 of 2027 (15–21 March, winter time in
Oslo); the default team slot is Thursday 14:00 Oslo = 13:00 UTC.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import override_settings

from notifications import delivery as sending
from notifications import due, reminders
from notifications.models import EmailDelivery
from objectives.models import Cycle, Objective
from teams.models import Profile
from tests.factories import (
    CheckInFactory,
    KeyResultFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)

UTC = dt.UTC
THU_BEFORE_SLOT = dt.datetime(2027, 3, 18, 12, 59, tzinfo=UTC)  # 13:59 in Oslo
THU_AFTER_SLOT = dt.datetime(2027, 3, 18, 13, 0, tzinfo=UTC)  # 14:00 in Oslo
KIND = EmailDelivery.Kind.CHECKIN_REMINDER


@pytest.fixture
def week_org(db, time_machine, request):
    """The shared org, made on Monday of the reference week (so its cycle is active around it)."""
    time_machine.move_to(dt.datetime(2027, 3, 15, 8, 0, tzinfo=UTC), tick=False)
    return request.getfixturevalue("org")


def reminded(mailoutbox) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message in mailoutbox:
        for address in message.to:
            counts[address] = counts.get(address, 0) + 1
    return counts


def run(now: dt.datetime, *, ignore_slot: bool = False) -> list[str]:
    return [
        reminders.checkin_reminder_send(delivery_id=d.pk, now=now, ignore_slot=ignore_slot)
        for d in reminders.checkin_reminders_plan(now=now, ignore_slot=ignore_slot)
    ]


# --- Weeks and slots (pure) -------------------------------------------------------------------------------


def test_the_slot_follows_local_time_across_the_spring_change():
    oslo = due.zone("Europe/Oslo")
    winter = due.week_of(dt.datetime(2027, 3, 17, 12, tzinfo=UTC), oslo)
    summer = due.week_of(dt.datetime(2027, 3, 31, 12, tzinfo=UTC), oslo)
    assert (winter.iso_year, winter.iso_week) == (2027, 11)
    assert winter.start == dt.datetime(2027, 3, 14, 23, 0, tzinfo=UTC)  # Monday 00:00 CET
    assert summer.start == dt.datetime(2027, 3, 28, 22, 0, tzinfo=UTC)  # Monday 00:00 CEST
    assert due.reminder_slot(week=winter, weekday=4, hour=14, tz=oslo) == dt.datetime(
        2027, 3, 18, 13, tzinfo=UTC
    )
    assert due.reminder_slot(week=summer, weekday=4, hour=14, tz=oslo) == dt.datetime(
        2027, 4, 1, 12, tzinfo=UTC
    )


def test_a_sunday_slot_in_the_week_the_clocks_change_is_on_that_sunday():
    oslo = due.zone("Europe/Oslo")
    week = due.week_of(dt.datetime(2027, 3, 24, tzinfo=UTC), oslo)  # week 12 ends with the change
    # 20:00 on Sunday 28 March is already summer time.
    assert due.reminder_slot(week=week, weekday=7, hour=20, tz=oslo) == dt.datetime(
        2027, 3, 28, 18, tzinfo=UTC
    )
    # 02:00 does not exist that night; the slot falls on the first moment after the gap.
    assert due.reminder_slot(week=week, weekday=7, hour=2, tz=oslo) == dt.datetime(2027, 3, 28, 1, tzinfo=UTC)


# --- Who is due -------------------------------------------------------------------------------------------


def test_nobody_is_reminded_before_the_slot(week_org, time_machine, mailoutbox):
    time_machine.move_to(THU_BEFORE_SLOT, tick=False)
    assert run(THU_BEFORE_SLOT) == []
    assert mailoutbox == []
    assert not EmailDelivery.objects.exists()


def test_pending_owners_are_reminded_once_the_slot_has_passed(week_org, time_machine, mailoutbox):
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    assert run(THU_AFTER_SLOT) == [sending.SENT, sending.SENT]
    # Kurs and Karriere both remind on Thursday 14:00; their owners are the member and the outsider.
    assert reminded(mailoutbox) == {week_org.member.email: 1, week_org.outsider.email: 1}
    delivery = EmailDelivery.objects.get(user=week_org.member)
    assert (delivery.kind, delivery.iso_year, delivery.iso_week) == (KIND, 2027, 11)
    assert delivery.sent_at == THU_AFTER_SLOT
    assert (delivery.attempts, delivery.claimed_until, delivery.last_error) == (1, None, "")


def test_the_slot_is_the_teams_own(week_org, time_machine, mailoutbox):
    week_org.other_team.reminder_weekday, week_org.other_team.reminder_hour = 5, 9  # Friday 09:00
    week_org.other_team.save()
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    run(THU_AFTER_SLOT)
    assert reminded(mailoutbox) == {week_org.member.email: 1}

    friday = dt.datetime(2027, 3, 19, 8, 0, tzinfo=UTC)  # 09:00 in Oslo
    time_machine.move_to(friday, tick=False)
    run(friday)
    assert reminded(mailoutbox) == {week_org.member.email: 1, week_org.outsider.email: 1}


def test_the_slot_is_in_the_teams_time_zone(week_org, time_machine, mailoutbox):
    # New York is on summer time from 14 March 2027 (UTC−4), Oslo only from 28 March (UTC+1).
    week_org.team.time_zone, week_org.team.reminder_weekday, week_org.team.reminder_hour = (
        "America/New_York",
        4,
        9,
    )
    week_org.team.save()
    before = dt.datetime(2027, 3, 18, 12, 59, tzinfo=UTC)  # 08:59 in New York, 13:59 in Oslo
    time_machine.move_to(before, tick=False)
    run(before)
    assert mailoutbox == []
    after = dt.datetime(2027, 3, 18, 13, 0, tzinfo=UTC)  # 09:00 in New York
    time_machine.move_to(after, tick=False)
    run(after)
    assert week_org.member.email in reminded(mailoutbox)


def test_the_week_is_the_teams_own_near_midnight(week_org, time_machine, mailoutbox):
    # Sunday 21 March 23:30 in New York is already Monday of week 12 in Oslo (and UTC).
    week_org.team.time_zone, week_org.team.reminder_weekday, week_org.team.reminder_hour = (
        "America/New_York",
        7,
        20,
    )
    week_org.team.save()
    week_org.other_team.reminder_weekday = 7
    week_org.other_team.save()
    late_sunday = dt.datetime(2027, 3, 22, 3, 30, tzinfo=UTC)
    time_machine.move_to(late_sunday, tick=False)
    run(late_sunday)
    # New York's week 11 slot (Sunday 20:00) has passed; Oslo is in week 12 and its Sunday slot is days away.
    assert reminded(mailoutbox) == {week_org.member.email: 1}
    assert EmailDelivery.objects.get(user=week_org.member).iso_week == 11


def test_the_slot_moves_with_daylight_saving(week_org, time_machine, mailoutbox):
    # Week 13 (29 March – 4 April) is summer time in Oslo: Thursday 14:00 is 12:00 UTC, not 13:00.
    week_org.cycle.end_date = dt.date(2027, 6, 30)
    week_org.cycle.save()
    before = dt.datetime(2027, 4, 1, 11, 59, tzinfo=UTC)
    time_machine.move_to(before, tick=False)
    run(before)
    assert mailoutbox == []
    after = dt.datetime(2027, 4, 1, 12, 0, tzinfo=UTC)
    time_machine.move_to(after, tick=False)
    run(after)
    assert week_org.member.email in reminded(mailoutbox)
    assert EmailDelivery.objects.get(user=week_org.member).iso_week == 13


def test_a_check_in_this_week_leaves_nothing_pending(week_org, time_machine, mailoutbox):
    tuesday = dt.datetime(2027, 3, 16, 9, 0, tzinfo=UTC)
    time_machine.move_to(tuesday, tick=False)
    # A teammate checking in for the owner (the weekly meeting) counts too.
    CheckInFactory(key_result=week_org.key_result, author=week_org.teammate, value=Decimal(12))
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    run(THU_AFTER_SLOT)
    assert week_org.member.email not in reminded(mailoutbox)


def test_a_check_in_last_week_does_not_count(week_org, time_machine, mailoutbox):
    sunday_last_week = dt.datetime(2027, 3, 14, 22, 30, tzinfo=UTC)  # 23:30 in Oslo, still week 10
    CheckInFactory(
        key_result=week_org.key_result, author=week_org.member, value=Decimal(12), created_at=sunday_last_week
    )
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    run(THU_AFTER_SLOT)
    assert reminded(mailoutbox)[week_org.member.email] == 1


def test_one_email_lists_every_pending_key_result_across_teams(week_org, time_machine, mailoutbox):
    done = KeyResultFactory(objective=week_org.objective, owner=week_org.member, title="Allerede sjekket inn")
    CheckInFactory(key_result=done, author=week_org.member, value=Decimal(12))
    second = KeyResultFactory(
        objective=week_org.objective, owner=week_org.member, title="Andre nøkkelresultat"
    )
    third = KeyResultFactory(
        objective=week_org.other_objective, owner=week_org.member, title="I et annet team"
    )
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    run(THU_AFTER_SLOT)
    [message] = [m for m in mailoutbox if m.to == [week_org.member.email]]
    for key_result in (week_org.key_result, second, third):
        assert key_result.title in message.body
        assert f"{settings.SITE_URL}/#kr-{key_result.pk}" in message.body
    assert done.title not in message.body


def test_owners_who_turned_reminders_off_get_none(week_org, time_machine, mailoutbox):
    Profile.objects.create(user=week_org.member, reminders_enabled=False)
    Profile.objects.create(user=week_org.outsider, digests_enabled=False)  # only digests off
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    run(THU_AFTER_SLOT)
    assert reminded(mailoutbox) == {week_org.outsider.email: 1}


def test_turning_reminders_off_after_planning_still_stops_the_email(week_org, time_machine, mailoutbox):
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    deliveries = reminders.checkin_reminders_plan(now=THU_AFTER_SLOT)
    Profile.objects.create(user=week_org.member, reminders_enabled=False)
    outcomes = {
        d.user_id: reminders.checkin_reminder_send(delivery_id=d.pk, now=THU_AFTER_SLOT) for d in deliveries
    }
    assert outcomes[week_org.member.pk] == sending.OPTED_OUT
    assert week_org.member.email not in reminded(mailoutbox)


def test_owners_without_an_email_address_or_inactive_are_skipped(week_org, time_machine, mailoutbox):
    week_org.member.email = ""
    week_org.member.save()
    week_org.outsider.is_active = False
    week_org.outsider.save()
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    assert run(THU_AFTER_SLOT) == []


@pytest.mark.parametrize("status", [Cycle.Status.CLOSED, Cycle.Status.PLANNING])
def test_a_cycle_that_is_not_active_reminds_nobody(week_org, time_machine, mailoutbox, status):
    Cycle.objects.filter(pk=week_org.cycle.pk).update(status=status)
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    assert run(THU_AFTER_SLOT) == []


@pytest.mark.parametrize("status", [Objective.Status.DRAFT, Objective.Status.ARCHIVED])
def test_draft_and_archived_objectives_remind_nobody(week_org, time_machine, mailoutbox, status):
    Objective.objects.filter(pk=week_org.objective.pk).update(status=status)
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    run(THU_AFTER_SLOT)
    assert week_org.member.email not in reminded(mailoutbox)


def test_retired_and_ownerless_key_results_remind_nobody(week_org, time_machine, mailoutbox):
    week_org.key_result.retired_at = dt.datetime(2027, 3, 15, 9, tzinfo=UTC)
    week_org.key_result.save()
    week_org.other_key_result.owner = None
    week_org.other_key_result.save()
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    assert run(THU_AFTER_SLOT) == []


# --- Sending once -----------------------------------------------------------------------------------------


def test_a_second_run_sends_nothing(week_org, time_machine, mailoutbox):
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    run(THU_AFTER_SLOT)
    later = THU_AFTER_SLOT + dt.timedelta(hours=5)
    time_machine.move_to(later, tick=False)
    assert run(later) == []
    assert reminded(mailoutbox) == {week_org.member.email: 1, week_org.outsider.email: 1}
    assert EmailDelivery.objects.count() == 2


def test_sending_an_already_sent_delivery_again_does_nothing(week_org, time_machine, mailoutbox):
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    [first, _second] = reminders.checkin_reminders_plan(now=THU_AFTER_SLOT)
    assert reminders.checkin_reminder_send(delivery_id=first.pk, now=THU_AFTER_SLOT) == sending.SENT
    assert reminders.checkin_reminder_send(delivery_id=first.pk, now=THU_AFTER_SLOT) == sending.ALREADY_SENT
    assert len(mailoutbox) == 1


def test_planning_twice_at_once_makes_one_row_per_user(week_org, time_machine):
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    first = reminders.checkin_reminders_plan(now=THU_AFTER_SLOT)
    second = reminders.checkin_reminders_plan(now=THU_AFTER_SLOT)
    assert [d.pk for d in first] == [d.pk for d in second]
    assert EmailDelivery.objects.count() == 2


def test_a_claimed_delivery_is_not_sent_by_a_second_worker(week_org, time_machine, mailoutbox):
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    delivery = reminders.checkin_reminders_plan(now=THU_AFTER_SLOT)[0]
    assert sending.claim(delivery.pk, THU_AFTER_SLOT)  # the first worker is mid-send
    assert reminders.checkin_reminder_send(delivery_id=delivery.pk, now=THU_AFTER_SLOT) == sending.BUSY
    assert mailoutbox == []
    # A worker that died keeps its claim only until the lease lapses; then the row can be sent again.
    later = THU_AFTER_SLOT + sending.LEASE
    time_machine.move_to(later, tick=False)
    assert reminders.checkin_reminder_send(delivery_id=delivery.pk, now=later) == sending.SENT
    assert len(mailoutbox) == 1
    assert EmailDelivery.objects.get(pk=delivery.pk).attempts == 2


def test_a_delivery_left_from_last_week_is_not_sent_this_week(week_org, time_machine, mailoutbox):
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    deliveries = reminders.checkin_reminders_plan(now=THU_AFTER_SLOT)
    next_week = THU_AFTER_SLOT + dt.timedelta(days=7)
    time_machine.move_to(next_week, tick=False)
    outcomes = {reminders.checkin_reminder_send(delivery_id=d.pk, now=next_week) for d in deliveries}
    assert outcomes == {sending.NOTHING_TO_SEND}
    assert mailoutbox == []
    assert not EmailDelivery.objects.filter(sent_at__isnull=False).exists()
    assert not EmailDelivery.objects.filter(claimed_until__isnull=False).exists()


class FlakySMTPBackend(LocmemBackend):
    """Refuses mail to the addresses in ``refused``, delivers the rest to the locmem outbox."""

    refused: set[str] = set()

    def send_messages(self, messages):
        for message in messages:
            if set(message.to) & self.refused:
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"mailbox unavailable")})
        return super().send_messages(messages)


@override_settings(EMAIL_BACKEND="tests.notifications.test_reminders.FlakySMTPBackend")
def test_a_failing_send_for_one_user_does_not_stop_the_others(
    week_org, time_machine, mailoutbox, monkeypatch
):
    monkeypatch.setattr(FlakySMTPBackend, "refused", {week_org.member.email})
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    outcomes = {}
    for delivery in reminders.checkin_reminders_plan(now=THU_AFTER_SLOT):
        try:
            outcomes[delivery.user_id] = reminders.checkin_reminder_send(
                delivery_id=delivery.pk, now=THU_AFTER_SLOT
            )
        except smtplib.SMTPException:
            outcomes[delivery.user_id] = "failed"
    assert outcomes == {week_org.member.pk: "failed", week_org.outsider.pk: sending.SENT}
    assert reminded(mailoutbox) == {week_org.outsider.email: 1}
    failed = EmailDelivery.objects.get(user=week_org.member)
    assert failed.sent_at is None and failed.claimed_until is None and failed.attempts == 1
    assert "SMTPRecipientsRefused" in failed.last_error

    # The server recovers: the next run sends the missing one, and only that one.
    monkeypatch.setattr(FlakySMTPBackend, "refused", set())
    later = THU_AFTER_SLOT + dt.timedelta(hours=1)
    time_machine.move_to(later, tick=False)
    assert run(later) == [sending.SENT]
    assert reminded(mailoutbox) == {week_org.member.email: 1, week_org.outsider.email: 1}
    failed.refresh_from_db()
    assert (failed.sent_at, failed.attempts, failed.last_error) == (later, 2, "")


# --- Content ----------------------------------------------------------------------------------------------


@override_settings(SITE_URL="https://okr.example.org")
def test_the_email_has_text_and_html_parts_with_absolute_links(week_org, time_machine, mailoutbox):
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    run(THU_AFTER_SLOT)
    [message] = [m for m in mailoutbox if m.to == [week_org.member.email]]
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    link = f"https://okr.example.org/#kr-{week_org.key_result.pk}"
    assert link in message.body
    assert f'href="{link}"' in html
    assert "https://okr.example.org/accounts/profile/" in message.body
    assert week_org.key_result.title in html
    assert "<" not in message.subject


def test_the_email_is_in_the_users_language(week_org, time_machine, mailoutbox):
    Profile.objects.create(user=week_org.member, language="en")
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    run(THU_AFTER_SLOT)
    by_user = {m.to[0]: m for m in mailoutbox}
    english = by_user[week_org.member.email]
    assert '<html lang="en">' in english.alternatives[0][0]
    assert english.subject == "Time to check in: 1 key result this week"
    # No profile: the site language (nb).
    assert '<html lang="nb">' in by_user[week_org.outsider.email].alternatives[0][0]


def test_titles_are_escaped_in_html_and_plain_in_text(week_org, time_machine, mailoutbox):
    week_org.key_result.title = "<b>Øke</b> & mer"
    week_org.key_result.save()
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    run(THU_AFTER_SLOT)
    [message] = [m for m in mailoutbox if m.to == [week_org.member.email]]
    assert "&lt;b&gt;Øke&lt;/b&gt; &amp; mer" in message.alternatives[0][0]
    assert "<b>Øke</b> & mer" in message.body


def test_planning_runs_a_bounded_number_of_queries(week_org, time_machine, django_assert_num_queries):
    def owners(n: int) -> None:
        team = TeamFactory()
        objective = ObjectiveFactory(team=team, cycle=week_org.cycle)
        for _ in range(n):
            user = UserFactory()
            MembershipFactory(user=user, team=team)
            KeyResultFactory(objective=objective, owner=user)

    owners(3)
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    # key results with owners and teams; their data sources (reminder notes); insert the rows; read back
    # the unsent ones
    with django_assert_num_queries(4):
        small = reminders.checkin_reminders_plan(now=THU_AFTER_SLOT)
    EmailDelivery.objects.all().delete()
    owners(30)
    with django_assert_num_queries(4):
        large = reminders.checkin_reminders_plan(now=THU_AFTER_SLOT)
    assert (len(small), len(large)) == (5, 35)
