"""Who may do what in a team's meeting (meetings/permissions.py), across teams: the team's members run it,
leads above see it and comment, everyone else reads the minutes of ended meetings, which never hold drafts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Meeting, MeetingItem
from objectives.models import Objective
from tests.factories import KeyResultFactory, ObjectiveFactory, UserFactory

pytestmark = pytest.mark.django_db

RUN = ["member", "teammate", "lead"]  # members of Kurs, any role
COMMENT = ["section_leader"]  # leads Kompetansesenteret, above Kurs
OTHERS = ["outsider", "ambassador"]  # Karriere's member, an ambassador with no team


def _url(name, meeting):
    return reverse(f"meetings:{name}", args=[meeting.team.slug, meeting.pk])


@pytest.fixture
def meeting(org):
    return services.meeting_start(team=org.team, user=org.member)


@pytest.mark.parametrize("who", RUN + COMMENT + OTHERS)
def test_the_open_meeting_is_for_the_team_and_the_leads_above(org, login, meeting, who):
    response = login(getattr(org, who)).get(_url("detail", meeting))
    assert response.status_code == (200 if who in RUN + COMMENT else 403)
    response = login(getattr(org, who)).get(_url("present", meeting))
    assert response.status_code == (200 if who in RUN + COMMENT else 403)


@pytest.mark.parametrize("who", RUN + COMMENT + OTHERS)
def test_notes_are_for_the_team_and_the_leads_above(org, login, meeting, who):
    response = login(getattr(org, who)).post(
        _url("note_add", meeting), {"note-key_result": org.key_result.pk, "note-body": "Kommentar"}
    )
    allowed = who in RUN + COMMENT
    assert response.status_code == (302 if allowed else 403)
    assert MeetingItem.objects.filter(kind="note").exists() is allowed


@pytest.mark.parametrize("who", RUN + COMMENT + OTHERS)
def test_only_members_decide_act_start_and_end(org, login, meeting, who):
    client = login(getattr(org, who))
    allowed = who in RUN
    response = client.post(_url("decision_add", meeting), {"decision-body": "Beslutning"})
    assert response.status_code == (302 if allowed else 403)
    response = client.post(
        _url("action_add", meeting),
        {
            "action-key_result": org.key_result.pk,
            "action-title": "Noe",
            "action-owner": org.member.pk,
            "action-due_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == (302 if allowed else 403)
    response = client.post(_url("end", meeting))
    assert response.status_code == (302 if allowed else 403)
    meeting.refresh_from_db()
    assert (meeting.ended_at is not None) is allowed


@pytest.mark.parametrize("who", RUN + COMMENT + OTHERS)
def test_starting_is_for_members(org, login, who):
    response = login(getattr(org, who)).post(reverse("meetings:start", args=[org.team.slug]))
    assert response.status_code == (302 if who in RUN else 403)
    assert Meeting.objects.exists() is (who in RUN)


def test_a_member_of_one_team_does_not_run_another_teams_meeting(org, login):
    theirs = services.meeting_start(team=org.other_team, user=org.outsider)
    client = login(org.member)
    assert client.get(_url("detail", theirs)).status_code == 403
    assert client.post(_url("decision_add", theirs), {"decision-body": "x"}).status_code == 403
    # A meeting id under another team's slug is not found.
    wrong = reverse("meetings:detail", args=[org.team.slug, theirs.pk])
    assert client.get(wrong).status_code == 404


@pytest.mark.parametrize("who", RUN + COMMENT + OTHERS)
def test_everyone_reads_the_minutes_and_never_drafts(org, login, meeting, who):
    draft = ObjectiveFactory(team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT, title="Utkast")
    KeyResultFactory(objective=draft, title="Hemmelig nøkkelresultat")
    services.meeting_decision_add(meeting=meeting, author=org.member, body="Offentlig beslutning")
    services.meeting_end(meeting=meeting, user=org.member)
    response = login(getattr(org, who)).get(_url("detail", meeting))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Offentlig beslutning" in body and org.key_result.title in body
    assert "Hemmelig nøkkelresultat" not in body and "Utkast" not in body


def test_the_list_hides_open_meetings_from_others(org, login, meeting):
    assert (
        f'id="meeting-{meeting.pk}"'
        not in login(org.outsider).get(reverse("meetings:list", args=[org.team.slug])).content.decode()
    )
    assert (
        f'id="meeting-{meeting.pk}"'
        in login(org.section_leader).get(reverse("meetings:list", args=[org.team.slug])).content.decode()
    )


def test_anonymous_visitors_are_sent_to_log_in(org, client, meeting):
    for url in (_url("detail", meeting), reverse("meetings:list", args=[org.team.slug])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_may_run_any_meeting(org, login, meeting):
    staff = UserFactory(username="staff2", is_staff=True)
    assert login(staff).post(_url("decision_add", meeting), {"decision-body": "x"}).status_code == 302
