"""The leader's checkpoint: a section lead reviews the section's teams, writes an assessment per team that the
team sees on its page and in its next meeting; the cadence per section says when one is due, and the leader
digest says so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import CheckpointAssessment
from meetings.selectors import checkpoint_due, checkpoints_due_for
from notifications.digest import leader_digest_build
from teams.models import CheckpointCadence, Team
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

URL = "/dashboards/checkpoints/"
CHECKPOINT_QUERIES = 15  # per section led, read again; listed in the test below


def _assess_url(org, team):
    return reverse("checkpoints:assess", args=[org.section.pk, team.pk])


def test_the_section_lead_sees_each_team_with_progress_meetings_and_attention(org, login):
    meeting = services.meeting_start(team=org.team, user=org.member)
    response = login(org.section_leader).get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="checkpoint-section-{org.section.pk}"' in body
    assert (
        f'id="checkpoint-team-{org.team.pk}"' in body and f'id="checkpoint-team-{org.other_team.pk}"' in body
    )
    assert reverse("meetings:detail", args=[org.team.slug, meeting.pk]) in body
    assert org.key_result.title in body  # never checked in: needs attention, from the dashboard's read model


def test_an_assessment_is_shown_on_the_team_page_and_in_the_next_meeting(org, login):
    response = login(org.section_leader).post(
        _assess_url(org, org.team), {"body": "Godt driv, men følg opp kursene"}
    )
    assert response.status_code == 302
    assert CheckpointAssessment.objects.get().team == org.team
    client = login(org.member)
    assert (
        "Godt driv, men følg opp kursene"
        in client.get(reverse("teams:detail", args=[org.team.slug])).content.decode()
    )
    meeting = services.meeting_start(team=org.team, user=org.member)
    page = client.get(reverse("meetings:detail", args=[org.team.slug, meeting.pk])).content.decode()
    assert 'id="checkpoint-assessment"' in page and "Godt driv" in page
    # Once a meeting has ended after it, the following meeting no longer repeats it.
    services.meeting_end(meeting=meeting, user=org.member)
    later = services.meeting_start(team=org.team, user=org.member, now=timezone.now() + dt.timedelta(days=7))
    page = client.get(reverse("meetings:detail", args=[org.team.slug, later.pk])).content.decode()
    assert 'id="checkpoint-assessment"' not in page


@pytest.mark.parametrize("who", ["member", "lead", "outsider", "ambassador"])
def test_only_the_sections_leads_assess(org, login, who):
    response = login(getattr(org, who)).post(_assess_url(org, org.team), {"body": "Nei"})
    assert response.status_code == 403
    assert not CheckpointAssessment.objects.exists()


def test_a_team_outside_the_section_is_refused(org, login):
    elsewhere = TeamFactory(name="Annen seksjon", slug="annen")
    response = login(org.section_leader).post(_assess_url(org, elsewhere), {"body": "Nei"})
    assert response.status_code == 400
    assert not CheckpointAssessment.objects.exists()


@pytest.mark.parametrize("body", ["", "x" * 2001])
def test_bad_input_changes_nothing(org, login, body):
    response = login(org.section_leader).post(_assess_url(org, org.team), {"body": body})
    assert response.status_code == 400 and 'class="errorlist"' in response.content.decode()
    assert not CheckpointAssessment.objects.exists()


def test_others_lead_no_section(org, login):
    assert 'id="checkpoints-empty"' in login(org.member).get(URL).content.decode()


def test_a_checkpoint_is_due_by_the_sections_cadence(org):
    today = timezone.localdate()
    section = org.section
    assert checkpoint_due(section=section, last_at=None, today=today) == (None, None)
    section.checkpoint_weeks = CheckpointCadence.MONTHLY
    assert checkpoint_due(section=section, last_at=None, today=today) == (True, today)
    recent = timezone.now() - dt.timedelta(days=10)
    assert checkpoint_due(section=section, last_at=recent, today=today)[0] is False
    old = timezone.now() - dt.timedelta(days=29)
    assert checkpoint_due(section=section, last_at=old, today=today)[0] is True


def test_the_leader_digest_mentions_a_due_checkpoint(org):
    Team.objects.filter(pk=org.section.pk).update(checkpoint_weeks=CheckpointCadence.MONTHLY)
    digest = leader_digest_build(user=org.section_leader)
    assert [item.section for item in digest.checkpoints_due] == [org.section]
    assert digest.checkpoint_sections == org.section.name
    services.checkpoint_assess(section=org.section, team=org.team, author=org.section_leader, body="Bra")
    assert checkpoints_due_for(user=org.section_leader) == []
    assert leader_digest_build(user=org.lead).checkpoints_due == []  # leads Kurs, not a section


def test_the_cadence_is_edited_where_sections_are_renamed(org, login):
    client = login(org.section_leader)
    url = reverse("organisation:team_rename", args=[org.section.pk])
    response = client.post(
        url,
        {"rename-name": org.section.name, "rename-slug": org.section.slug, "rename-checkpoint_weeks": "4"},
    )
    assert response.status_code in (200, 302)
    org.section.refresh_from_db()
    assert org.section.checkpoint_weeks == 4
    response = client.post(
        url,
        {"rename-name": org.section.name, "rename-slug": org.section.slug, "rename-checkpoint_weeks": "5"},
    )
    org.section.refresh_from_db()
    assert org.section.checkpoint_weeks == 4  # not one of the choices: refused, nothing changed


@pytest.mark.parametrize("extra", [0, 5])
def test_the_checkpoint_page_runs_the_same_queries_at_two_sizes(org, login, django_assert_num_queries, extra):
    from tests.factories import KeyResultFactory, ObjectiveFactory

    for n in range(extra):
        team = TeamFactory(name=f"Team {n}", slug=f"team-{n}", parent=org.section)
        KeyResultFactory(objective=ObjectiveFactory(team=team, cycle=org.cycle))
        services.meeting_start(team=team, user=org.section_leader)
        services.checkpoint_assess(section=org.section, team=team, author=org.section_leader, body=f"V{n}")
    client = login(org.section_leader)
    client.get(URL)
    # session, user, access (memberships, profile, team tree), the sections led, the cycles, the team tree,
    # the last checkpoints, the dashboard's read model (its own fixed set), the teams' last meetings and
    # latest assessments: 15 for one section read again, whatever its number of teams (one checks for dirty
    # rollups and reads their generation; what the dashboard part derives from the rollups comes from the
    # cache since the first read: dashboards.selectors.Derived, tests/dashboards/test_dashboard.py lists it)
    with django_assert_num_queries(CHECKPOINT_QUERIES):
        response = client.get(URL)
    assert response.content.decode().count('class="checkpoint-team"') == 2 + extra
