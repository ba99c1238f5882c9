"""The agenda (and its poll) run the same number of queries for a small and a large team."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services
from teams.models import Membership
from tests.factories import (
    CheckInFactory,
    InitiativeFactory,
    KeyResultFactory,
    MembershipFactory,
    ObjectiveFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _grow(org, size: int) -> None:
    """``size`` more members, each owning a key result with a check-in, an initiative due and a note."""
    objective = ObjectiveFactory(team=org.team, cycle=org.cycle, title=f"Objective {size}")
    for n in range(size):
        user = UserFactory(username=f"p{size}-{n}")
        MembershipFactory(user=user, team=org.team, role=Membership.Role.MEMBER)
        key_result = KeyResultFactory(objective=objective, owner=user, title=f"KR {size}-{n}")
        if n % 2:
            CheckInFactory(key_result=key_result, author=user, value=Decimal(12 + n), note=f"Note {n}")
        InitiativeFactory(
            objective=objective,
            key_result=key_result,
            owner=user,
            due_date=timezone.localdate() + dt.timedelta(days=1),
        )


# session, user, team, meeting, the viewer's memberships and profile (Access), key results (with has_plan),
# the previous meeting, new check-ins, the confidence trend, this meeting's notes and decisions, its actions,
# initiatives due, the previous meeting's actions, the leader's latest assessment, the version token (2),
# the forms' key results and owners (2), who is present and the members to tick (2) and the user the session
# middleware touches.
AGENDA_QUERIES = 22
POLL_QUERIES = 19  # the version check, then only the live regions (no forms, no check-in rows)
SLIDE_QUERIES = 22  # the agenda's plus the slide's check-ins for the chart, its latest notes and open actions


def _meeting(org, size: int):
    _grow(org, size)
    previous = services.meeting_start(
        team=org.team, user=org.member, now=timezone.now() - dt.timedelta(days=7)
    )
    services.meeting_action_add(
        meeting=previous,
        key_result=org.key_result,
        title="Forrige",
        owner=org.member,
        due_date=timezone.localdate(),
    )
    services.meeting_end(meeting=previous, user=org.member, now=timezone.now() - dt.timedelta(days=7))
    meeting = services.meeting_start(team=org.team, user=org.member)
    services.meeting_decision_add(meeting=meeting, author=org.member, body="B")
    services.meeting_note_add(meeting=meeting, key_result=org.key_result, author=org.member, body="N")
    return meeting


@pytest.mark.parametrize("size", [2, 12])
def test_the_agenda_runs_a_fixed_number_of_queries(org, login, django_assert_num_queries, size):
    meeting = _meeting(org, size)
    client = login(org.member)
    url = reverse("meetings:detail", args=[org.team.slug, meeting.pk])
    with django_assert_num_queries(AGENDA_QUERIES):
        response = client.get(url)
    assert response.content.decode().count('class="kr-row') == size // 2 + 1  # not checked in this week
    with django_assert_num_queries(POLL_QUERIES):
        assert client.get(url, {"since": "stale"}).status_code == 200
    present = reverse("meetings:present", args=[org.team.slug, meeting.pk])
    with django_assert_num_queries(SLIDE_QUERIES):
        assert client.get(present, {"n": 2}).status_code == 200
