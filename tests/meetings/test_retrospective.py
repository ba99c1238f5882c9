"""The retrospective on cycle close starts from the cycle's meetings and their decisions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services

pytestmark = pytest.mark.django_db


def test_the_closing_page_lists_the_cycles_meetings_and_decisions(org, login):
    ended = services.meeting_start(team=org.team, user=org.member, now=timezone.now() - dt.timedelta(days=7))
    services.meeting_decision_add(meeting=ended, author=org.member, body="Vi satser på Bergen")
    services.meeting_action_add(
        meeting=ended,
        key_result=org.key_result,
        title="Ring hotellet",
        owner=org.member,
        due_date=timezone.localdate(),
    )
    services.meeting_end(meeting=ended, user=org.member)
    open_ = services.meeting_start(team=org.team, user=org.member)
    services.meeting_decision_add(meeting=open_, author=org.member, body="Ikke ferdig")
    theirs = services.meeting_start(team=org.other_team, user=org.outsider)
    services.meeting_decision_add(meeting=theirs, author=org.outsider, body="Et annet team")
    services.meeting_end(meeting=theirs, user=org.outsider)

    response = login(org.lead).get(reverse("workshops:close", args=[org.team.slug, org.cycle.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    section = body.split('id="retro-meetings"')[1].split("</section>")[0]
    assert f'id="retro-meeting-{ended.pk}"' in section
    assert "Vi satser på Bergen" in section and "Ring hotellet" in section
    assert "Ikke ferdig" not in section  # an open meeting has no minutes yet
    assert "Et annet team" not in section
    assert body.index('id="retro-meetings"') < body.index('id="retro-heading"')


def test_a_cycle_without_meetings_says_so(org, login):
    response = login(org.lead).get(reverse("workshops:close", args=[org.team.slug, org.cycle.pk]))
    assert "Ingen møter i denne perioden." in response.content.decode()
