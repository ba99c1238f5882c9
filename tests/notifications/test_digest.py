"""Leader digests: Monday morning, once a week, each lead's teams against pace, attention, check-in rate.

Reference moment: Monday 22 March 2027 (ISO week 12), 07:30 in Oslo. The org is made on 15 March, so its
cycle runs 29 January – 29 April and 52 of its 90 days are gone (expected progress 58 %).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings

from checkins.services import feedback_create, feedback_reply
from notifications import delivery as sending
from notifications import digest as digests
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
MONDAY_BEFORE = dt.datetime(2027, 3, 22, 5, 59, tzinfo=UTC)  # 06:59 in Oslo
MONDAY = dt.datetime(2027, 3, 22, 6, 30, tzinfo=UTC)  # 07:30 in Oslo
LAST_WEDNESDAY = dt.datetime(2027, 3, 17, 10, 0, tzinfo=UTC)


@pytest.fixture
def digest_org(db, time_machine, request):
    time_machine.move_to(dt.datetime(2027, 3, 15, 8, 0, tzinfo=UTC), tick=False)
    org = request.getfixturevalue("org")
    # Kurs: one key result checked in last week (on pace), one never checked in, one without owner.
    CheckInFactory(
        key_result=org.key_result,
        author=org.member,
        value=Decimal(25),
        confidence=8,
        created_at=LAST_WEDNESDAY,
    )
    org.never = KeyResultFactory(objective=org.objective, owner=org.teammate, title="Aldri sjekket inn")
    org.ownerless = KeyResultFactory(objective=org.objective, owner=None, title="Uten eier")
    draft = ObjectiveFactory(team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT, title="Utkast")
    org.draft_kr = KeyResultFactory(objective=draft, owner=org.member, title="Utkastets nøkkelresultat")
    # Karriere: checked in this week (not last week), target reached.
    time_machine.move_to(dt.datetime(2027, 3, 22, 6, 0, tzinfo=UTC), tick=False)
    CheckInFactory(key_result=org.other_key_result, author=org.outsider, value=Decimal(40), confidence=9)
    time_machine.move_to(MONDAY, tick=False)
    return org


def sent_to(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


def run(now: dt.datetime) -> list[str]:
    return [
        digests.leader_digest_send(delivery_id=d.pk, now=now) for d in digests.leader_digests_plan(now=now)
    ]


def test_no_digest_before_monday_morning(digest_org, time_machine, mailoutbox):
    time_machine.move_to(MONDAY_BEFORE, tick=False)
    assert run(MONDAY_BEFORE) == []
    assert not EmailDelivery.objects.exists()


def test_every_lead_gets_one_digest_on_monday_morning(digest_org, mailoutbox):
    assert run(MONDAY) == [sending.SENT, sending.SENT]
    assert sent_to(mailoutbox) == sorted([digest_org.lead.email, digest_org.section_leader.email])
    assert set(EmailDelivery.objects.values_list("kind", "iso_year", "iso_week")) == {
        (EmailDelivery.Kind.LEADER_DIGEST, 2027, 12)
    }


def test_a_second_run_the_same_week_sends_nothing(digest_org, time_machine, mailoutbox):
    run(MONDAY)
    later = MONDAY + dt.timedelta(days=2)
    time_machine.move_to(later, tick=False)
    assert run(later) == []
    assert len(mailoutbox) == 2


def test_a_missed_monday_is_caught_up_later_in_the_week(digest_org, time_machine, mailoutbox):
    wednesday = MONDAY + dt.timedelta(days=2)
    time_machine.move_to(wednesday, tick=False)
    assert run(wednesday) == [sending.SENT, sending.SENT]


def test_next_week_brings_a_new_digest(digest_org, time_machine, mailoutbox):
    run(MONDAY)
    next_monday = MONDAY + dt.timedelta(days=7)
    time_machine.move_to(next_monday, tick=False)
    assert run(next_monday) == [sending.SENT, sending.SENT]
    assert len(mailoutbox) == 4


def test_leads_who_turned_digests_off_get_none(digest_org, mailoutbox):
    Profile.objects.create(user=digest_org.lead, digests_enabled=False)
    Profile.objects.create(user=digest_org.section_leader, reminders_enabled=False)  # digests still on
    run(MONDAY)
    assert sent_to(mailoutbox) == [digest_org.section_leader.email]


def test_no_active_cycle_no_digest(digest_org, mailoutbox):
    Cycle.objects.update(status=Cycle.Status.CLOSED)
    assert run(MONDAY) == []


def test_the_digest_covers_the_teams_below_the_lead(digest_org):
    section = digests.leader_digest_build(user=digest_org.section_leader, now=MONDAY)
    assert [(row.team.name, row.depth) for row in section.teams] == [
        ("Kompetansesenteret", 0),
        ("Karriere", 1),
        ("Kurs", 1),
    ]
    lead = digests.leader_digest_build(user=digest_org.lead, now=MONDAY)
    assert [row.team.name for row in lead.teams] == ["Kurs"]
    assert digests.leader_digest_build(user=digest_org.member, now=MONDAY) is None


def test_the_digest_shows_progress_against_pace_and_last_weeks_checkin_rate(digest_org):
    digest = digests.leader_digest_build(user=digest_org.section_leader, now=MONDAY)
    assert digest.expected_percent == 58  # 52 of 90 days
    assert (digest.last_week.iso_year, digest.last_week.iso_week) == (2027, 11)
    rows = {row.team.name: row for row in digest.teams}
    kurs, karriere, section = rows["Kurs"], rows["Karriere"], rows["Kompetansesenteret"]
    # Kurs: (0.5 + 0 + 0) / 3; the draft objective does not count.
    assert (kurs.objectives, kurs.key_results, kurs.progress_percent) == (1, 3, 17)
    assert (kurs.checked_in_last_week, kurs.checkin_rate_percent) == (1, 33)
    assert kurs.health_counts == {"on_track": 1, "at_risk": 0, "off_track": 2}
    # Karriere checked in this week, not last week.
    assert (karriere.progress_percent, karriere.checked_in_last_week, karriere.checkin_rate_percent) == (
        100,
        0,
        0,
    )
    assert (section.objectives, section.checkin_rate) == (0, None)
    assert (digest.checked_in_last_week, digest.key_results, digest.checkin_rate_percent) == (1, 4, 25)


@pytest.mark.usefixtures("english")
def test_the_digest_lists_what_needs_attention_with_reasons(digest_org):
    digest = digests.leader_digest_build(user=digest_org.lead, now=MONDAY)
    reasons = {item.key_result.title: item.reasons for item in digest.attention}
    assert reasons == {
        "Aldri sjekket inn": ("Off track", "Not updated for 14 days"),
        "Uten eier": ("Off track", "Not updated for 14 days", "No owner"),
    }
    assert digest.attention_total == 2


@pytest.mark.usefixtures("english")
def test_low_confidence_and_back_loaded_key_results_need_attention(digest_org, time_machine):
    confident = KeyResultFactory(
        objective=digest_org.objective, owner=digest_org.member, title="Sjekker for sent"
    )
    shaky = KeyResultFactory(objective=digest_org.objective, owner=digest_org.member, title="Lav tillit")
    time_machine.move_to(LAST_WEDNESDAY, tick=False)
    CheckInFactory(key_result=confident, author=digest_org.member, value=Decimal(11), confidence=9)
    CheckInFactory(key_result=shaky, author=digest_org.member, value=Decimal(30), confidence=2)
    time_machine.move_to(MONDAY, tick=False)
    reasons = {
        item.key_result.title: item.reasons
        for item in digests.leader_digest_build(user=digest_org.lead, now=MONDAY).attention
    }
    assert "Back-loaded: progress is being left to the end" in reasons["Sjekker for sent"]
    assert "Low confidence" in reasons["Lav tillit"]


def test_the_email_has_both_parts_absolute_links_and_the_users_language(digest_org, mailoutbox):
    Profile.objects.create(user=digest_org.lead, language="en")
    with override_settings(SITE_URL="https://okr.example.org"):
        run(MONDAY)
    by_user = {message.to[0]: message for message in mailoutbox}
    english = by_user[digest_org.lead.email]
    html, mimetype = english.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="en">' in html
    assert english.subject == "Weekly digest for Q1 test: your teams after week 11"
    assert "Needs attention" in english.body and "Aldri sjekket inn" in english.body
    assert "Checked in last week (week 11): 1 of 3 key results (33 %)" in english.body
    assert "https://okr.example.org/" in english.body
    assert 'href="https://okr.example.org/' in html
    assert '<th scope="row"' in html
    assert '<html lang="nb">' in by_user[digest_org.section_leader.email].alternatives[0][0]


def test_building_the_digest_runs_a_bounded_number_of_queries(digest_org, django_assert_num_queries):
    def grow(teams: int) -> None:
        for _ in range(teams):
            team = TeamFactory(parent=digest_org.section)
            MembershipFactory(user=UserFactory(), team=team)
            objective = ObjectiveFactory(team=team, cycle=digest_org.cycle)
            for _ in range(3):
                KeyResultFactory(objective=objective, owner=UserFactory())

    grow(2)
    # lead memberships; the team tree; the active cycle; objectives; key results with their check-in facts;
    # the lead's access (memberships, profile, team tree), the unread feedback for them and the sections they
    # lead (is a checkpoint due? none has a cadence here, so no query for the last checkpoints)
    with django_assert_num_queries(10):
        small = digests.leader_digest_build(user=digest_org.section_leader, now=MONDAY)
    grow(10)
    lead = type(digest_org.section_leader).objects.get(pk=digest_org.section_leader.pk)  # no cached access
    with django_assert_num_queries(10):
        large = digests.leader_digest_build(user=lead, now=MONDAY)
    assert (len(small.teams), len(large.teams)) == (5, 15)


@pytest.fixture
def english(settings):
    """Tests that read the English texts ask for them; Norwegian is the site default."""
    settings.LANGUAGE_CODE = "en"


def test_the_subject_is_plain_text_not_html_escaped(digest_org, mailoutbox):
    digest_org.cycle.name = "Q1 & <Q2>"
    digest_org.cycle.save()
    Profile.objects.create(user=digest_org.lead, language="en")
    run(MONDAY)
    english = {message.to[0]: message for message in mailoutbox}[digest_org.lead.email]
    assert english.subject == "Weekly digest for Q1 & <Q2>: your teams after week 11"
    assert "Q1 &amp; &lt;Q2&gt;" in english.alternatives[0][0]


def test_the_digest_lists_the_owners_unread_replies_to_the_lead(digest_org, mailoutbox):
    org = digest_org
    comment = feedback_create(key_result=org.key_result, author=org.lead, body="Hvordan går det?")
    feedback_reply(parent=comment, author=digest_org.member, body="Bedre enn ventet <3")
    digest = digests.leader_digest_build(user=digest_org.lead, now=MONDAY)
    assert [entry.feedback.body for entry in digest.unread_feedback] == ["Bedre enn ventet <3"]
    assert digest.unread_feedback[0].url.endswith(f"#feedback-thread-{comment.pk}")
    # The section leader asked nothing: no replies wait for them.
    assert digests.leader_digest_build(user=digest_org.section_leader, now=MONDAY).unread_feedback == []
    run(MONDAY)
    [message] = [m for m in mailoutbox if m.to == [digest_org.lead.email]]
    assert "Bedre enn ventet <3" in message.body
    html = message.alternatives[0][0]
    assert "Bedre enn ventet &lt;3" in html and f"#feedback-thread-{comment.pk}" in html
