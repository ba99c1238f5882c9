"""The owner's weekly reminder after a data source: a fresh confidence after an automatic update, and the
error of a failing source (notifications/due.py asks datasources.selectors.reminder_notes)."""

from __future__ import annotations

import datetime as dt
import json
from datetime import UTC

import pytest

from checkins.services import checkin_submit
from datasources import services
from notifications import reminders
from tests.factories import ProfileFactory

MONDAY = dt.datetime(2027, 3, 15, 8, 0, tzinfo=UTC)
TUESDAY = dt.datetime(2027, 3, 16, 8, 0, tzinfo=UTC)
THU_AFTER_SLOT = dt.datetime(2027, 3, 18, 13, 0, tzinfo=UTC)  # 14:00 in Oslo
MEMBERS = json.dumps({"data": {"members": {"active": 25}}})


@pytest.fixture
def week_org(db, time_machine, request, settings):
    settings.LANGUAGE_CODE = "en"
    time_machine.move_to(MONDAY, tick=False)
    return request.getfixturevalue("org")


def reminder_for(mailoutbox, user):
    for message in mailoutbox:
        if message.to == [user.email]:
            return message
    return None


def send(now):
    for delivery in reminders.checkin_reminders_plan(now=now):
        reminders.checkin_reminder_send(delivery_id=delivery.pk, now=now)


def test_an_automatic_update_asks_the_owner_for_a_fresh_confidence(
    week_org, feed, linked, time_machine, mailoutbox
):
    org = week_org
    ProfileFactory(user=org.member, language="en")
    feed.route("/members.json", MEMBERS)
    source = linked()
    time_machine.move_to(TUESDAY, tick=False)
    services.data_source_fetch(source=source)
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    send(THU_AFTER_SLOT)
    message = reminder_for(mailoutbox, org.member)
    assert message is not None  # although "checked in" this week: by the data source, not the owner
    assert "Updated automatically to 25 from 127.0.0.1" in message.body
    assert "how confident are you now?" in message.alternatives[0][0]


def test_the_owners_own_check_in_after_it_settles_it(week_org, feed, linked, time_machine, mailoutbox):
    org = week_org
    feed.route("/members.json", MEMBERS)
    source = linked()
    time_machine.move_to(TUESDAY, tick=False)
    services.data_source_fetch(source=source)
    time_machine.move_to(TUESDAY + dt.timedelta(hours=2), tick=False)
    checkin_submit(key_result=org.key_result, author=org.member, value=25, confidence=9)
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    send(THU_AFTER_SLOT)
    assert reminder_for(mailoutbox, org.member) is None


def test_a_failing_source_is_in_the_reminder(week_org, feed, linked, time_machine, mailoutbox):
    org = week_org
    ProfileFactory(user=org.member, language="en")
    checkin_submit(key_result=org.key_result, author=org.member, value=20, confidence=7)
    feed.route("/members.json", "down", status=503)
    source = linked()
    services.data_source_fetch(source=source)
    time_machine.move_to(THU_AFTER_SLOT, tick=False)
    send(THU_AFTER_SLOT)
    message = reminder_for(mailoutbox, org.member)
    assert message is not None
    assert "The data source 127.0.0.1 failed" in message.body
    assert "HTTP status 503" in message.body
    assert "Updated automatically" not in message.body
