"""The team meeting: start, agenda built from the data, notes, decisions, actions as initiatives, the end with
its frozen minutes and one email per member, the live poll, the presenter view and the writability rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Meeting, MeetingAction, MeetingItem
from meetings.services import KEY_RESULT_NOT_ON_AGENDA, MEETING_ENDED
from meetings.signals import meeting_ended
from notifications.models import EmailDelivery
from objectives.models import Cycle, Initiative, Objective
from objectives.writability import CYCLE_CLOSED
from tests.factories import CheckInFactory, InitiativeFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def _url(name, meeting, **kwargs):
    return reverse(f"meetings:{name}", args=[meeting.team.slug, meeting.pk])


@pytest.fixture
def meeting(org):
    return services.meeting_start(team=org.team, user=org.member)


def test_it_starts_one_meeting_per_team_and_week(org, login):
    client = login(org.member)
    response = client.post(reverse("meetings:start", args=[org.team.slug]))
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == _url("detail", meeting)
    client.post(reverse("meetings:start", args=[org.team.slug]))
    assert Meeting.objects.count() == 1
    assert list(meeting.attendees.all()) == [org.member]


def test_the_database_refuses_a_second_open_meeting_in_the_same_week(org, meeting):
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(team=org.team, iso_year=meeting.iso_year, iso_week=meeting.iso_week)


def test_the_list_shows_meetings_newest_first(org, login, meeting):
    services.meeting_end(meeting=meeting, user=org.member)
    later = services.meeting_start(team=org.team, user=org.member, now=timezone.now() + dt.timedelta(days=7))
    response = login(org.member).get(reverse("meetings:list", args=[org.team.slug]))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index(f'id="meeting-{later.pk}"') < body.index(f'id="meeting-{meeting.pk}"')


def test_the_agenda_is_built_from_the_data(org, login, meeting):
    stale = KeyResultFactory(objective=org.objective, owner=org.teammate, title="Stale one")
    CheckInFactory(key_result=org.key_result, author=org.member, value=Decimal(25), note="Godt kurs i Bergen")
    InitiativeFactory(
        objective=org.objective, key_result=org.key_result, title="Book rom", due_date=timezone.localdate()
    )
    draft = ObjectiveFactory(
        team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT, title="Hemmelig utkast"
    )
    KeyResultFactory(objective=draft, title="Utkastets nøkkelresultat")
    response = login(org.member).get(_url("detail", meeting))
    body = response.content.decode()
    assert response.status_code == 200
    # Needs attention, with the read model's reasons (the stale one has never been checked in on).
    assert f'id="attention-{stale.pk}"' in body
    # What changed: the new check-in with its note.
    assert "Godt kurs i Bergen" in body
    # No check-in this week: My week's own row and form, posting to My week's endpoint.
    assert f'id="kr-{stale.pk}-form"' in body
    assert reverse("checkins:checkin_create", args=[stale.pk]) in body
    assert f'id="kr-{org.key_result.pk}-form"' not in body  # checked in this week
    assert "Book rom" in body
    assert "Utkastets nøkkelresultat" not in body and "Hemmelig utkast" not in body


def test_deltas_are_measured_from_the_previous_meetings_minutes(org, meeting):
    CheckInFactory(key_result=org.key_result, author=org.member, value=Decimal(15), confidence=5)
    services.meeting_end(meeting=meeting, user=org.member)
    later = services.meeting_start(team=org.team, user=org.member, now=timezone.now() + dt.timedelta(days=7))
    CheckInFactory(key_result=org.key_result, author=org.member, value=Decimal(22), confidence=7)
    from meetings.selectors import agenda_get

    agenda = agenda_get(user=org.member, meeting=later)
    (item,) = [i for i in agenda.key_results if i.key_result.pk == org.key_result.pk]
    assert item.value_delta == Decimal(7)
    assert item.confidence_delta == 2
    assert agenda.previous == meeting


def test_a_note_a_decision_and_an_action_that_becomes_an_initiative(org, login, meeting):
    client = login(org.member)
    client.post(
        _url("note_add", meeting), {"note-key_result": org.key_result.pk, "note-body": "Trenger flere rom"}
    )
    client.post(_url("decision_add", meeting), {"decision-body": "Vi satser på Bergen"})
    due = timezone.localdate() + dt.timedelta(days=14)
    response = client.post(
        _url("action_add", meeting),
        {
            "action-key_result": org.key_result.pk,
            "action-title": "Ring hotellet",
            "action-owner": org.teammate.pk,
            "action-due_date": due.isoformat(),
        },
    )
    assert response.status_code == 302
    assert MeetingItem.objects.filter(
        kind="note", key_result=org.key_result, body="Trenger flere rom"
    ).exists()
    assert MeetingItem.objects.filter(kind="decision", body="Vi satser på Bergen").exists()
    initiative = Initiative.objects.get(title="Ring hotellet")
    assert (initiative.key_result, initiative.objective, initiative.owner, initiative.due_date) == (
        org.key_result,
        org.objective,
        org.teammate,
        due,
    )
    assert MeetingAction.objects.get().initiative == initiative


@pytest.mark.parametrize(
    "data",
    [
        {"action-title": "", "action-owner": "", "action-due_date": "tomorrow"},
        {"action-title": "<b>x</b>" * 100, "action-due_date": "2026-13-45"},
        {"action-title": "Ok", "action-due_date": "99999-01-01"},
    ],
)
def test_bad_input_gives_an_error_and_changes_nothing(org, login, meeting, data):
    data = {"action-key_result": org.key_result.pk, "action-owner": org.teammate.pk, **data}
    response = login(org.member).post(_url("action_add", meeting), data, HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert not Initiative.objects.exists() and not MeetingAction.objects.exists()


def test_a_key_result_of_another_team_is_refused(org, login, meeting):
    response = login(org.member).post(
        _url("note_add", meeting), {"note-key_result": org.other_key_result.pk, "note-body": "Nei"}
    )
    assert response.status_code == 400
    assert not MeetingItem.objects.exists()
    with pytest.raises(Exception) as error:
        services.meeting_note_add(
            meeting=meeting, key_result=org.other_key_result, author=org.member, body="x"
        )
    assert str(KEY_RESULT_NOT_ON_AGENDA) in str(error.value)


def test_an_owner_outside_the_team_is_refused(org, login, meeting):
    response = login(org.member).post(
        _url("action_add", meeting),
        {
            "action-key_result": org.key_result.pk,
            "action-title": "Noe",
            "action-owner": org.outsider.pk,
            "action-due_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400
    assert not Initiative.objects.exists()


def test_ending_freezes_the_minutes_and_emails_each_member_once(
    org, login, meeting, celery_eager, django_capture_on_commit_callbacks
):
    services.meeting_decision_add(meeting=meeting, author=org.member, body="Vi satser på Bergen")
    received = []
    meeting_ended.connect(
        lambda sender, meeting, **kw: received.append(meeting.pk), weak=False, dispatch_uid="t"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = login(org.member).post(_url("end", meeting))
    finally:
        meeting_ended.disconnect(dispatch_uid="t")
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.ended_at is not None
    assert meeting.minutes["decisions"][0]["body"] == "Vi satser på Bergen"
    assert received == [meeting.pk]
    members = {org.member.email, org.teammate.email, org.lead.email}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(members)
    assert all("Vi satser på Bergen" in m.body for m in mail.outbox)
    assert EmailDelivery.objects.filter(kind="meeting_minutes", sent_at__isnull=False).count() == 3
    # Ending again changes nothing and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        response = login(org.member).post(_url("end", meeting))
    from meetings import tasks

    tasks.send_meeting_minutes.delay(meeting.pk)
    assert len(mail.outbox) == 3
    # Later check-ins do not rewrite the minutes.
    CheckInFactory(key_result=org.key_result, author=org.member, value=Decimal(39))
    page = login(org.outsider).get(_url("detail", meeting)).content.decode()
    assert (
        "Vi satser på Bergen" in page
        and "39" not in page.split('id="minutes-key-results"')[1].split("</section>")[0]
    )


def test_an_ended_meeting_takes_no_more_notes(org, meeting):
    services.meeting_end(meeting=meeting, user=org.member)
    with pytest.raises(Exception) as error:
        services.meeting_decision_add(meeting=meeting, author=org.member, body="x")
    assert str(MEETING_ENDED) in str(error.value)


def test_a_closed_cycle_refuses_notes_and_actions_with_the_projects_message(org, login, meeting):
    Cycle.objects.filter(pk=org.cycle.pk).update(status=Cycle.Status.CLOSED)
    client = login(org.member)
    response = client.post(
        _url("action_add", meeting),
        {
            "action-key_result": org.key_result.pk,
            "action-title": "Noe",
            "action-owner": org.member.pk,
            "action-due_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400 and str(CYCLE_CLOSED) in response.content.decode()
    response = client.post(
        _url("note_add", meeting), {"note-key_result": org.key_result.pk, "note-body": "x"}
    )
    assert response.status_code == 400 and str(CYCLE_CLOSED) in response.content.decode()
    assert not Initiative.objects.exists() and not MeetingItem.objects.exists()


def test_the_poll_answers_204_until_something_changes(org, login, meeting):
    client = login(org.teammate)
    page = client.get(_url("detail", meeting)).content.decode()
    version = page.split('data-version="')[1].split('"')[0]
    assert client.get(_url("detail", meeting), {"since": version}).status_code == 204
    services.meeting_decision_add(meeting=meeting, author=org.member, body="Ny beslutning")
    response = client.get(_url("detail", meeting), {"since": version})
    body = response.content.decode()
    assert response.status_code == 200 and "Ny beslutning" in body
    assert 'id="meeting-forms"' not in body  # the forms are outside the swapped regions
    assert 'hx-swap-oob="true"' in body


def test_the_presenter_shows_one_key_result_at_a_time(org, login, meeting):
    second = KeyResultFactory(objective=org.objective, owner=org.teammate, title="Andre nøkkelresultat")
    client = login(org.member)
    first = client.get(_url("present", meeting)).content.decode()
    assert org.key_result.title in first and "Andre nøkkelresultat" not in first
    assert "1 av 2" in first and 'id="slide-next"' in first
    response = client.get(_url("present", meeting), {"n": 2}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert second.title in body and "2 av 2" in body and "<html" not in body
    assert client.get(_url("present", meeting), {"n": "x"}).status_code == 200
    assert client.get(_url("present", meeting), {"n": 99}).status_code == 200


def test_the_demo_has_an_ended_and_an_open_meeting(db):
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # twice: nothing changes
    ended, open_ = Meeting.objects.filter(team__slug="kurs-og-arrangementer").order_by("started_at")
    assert ended.ended_at is not None and open_.ended_at is None
    assert ended.minutes["decisions"] and ended.minutes["actions"]
    assert any(row["notes"] for row in ended.minutes["key_results"])
    assert not mail.outbox and not EmailDelivery.objects.exists()


def test_a_note_from_the_presenter_comes_back_to_its_slide(org, login, meeting):
    client = login(org.member)
    data = {"back": "present", "n": "1", "note-key_result": org.key_result.pk, "note-body": "Fra skjermen"}
    response = client.post(_url("note_add", meeting), data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and response["HX-Retarget"] == "#slide"
    assert 'id="slide"' in body and "Fra skjermen" in body
    response = client.post(_url("note_add", meeting), {**data, "n": "\\r\\nX"})
    assert response.status_code == 302 and response["Location"].endswith("?n=1")
    response = client.post(_url("note_add", meeting), {**data, "note-body": ""}, HTTP_HX_REQUEST="true")
    assert response["HX-Retarget"] == "#note-errors" and 'role="alert"' in response.content.decode()


def test_whoever_runs_the_meeting_ticks_who_is_present(org, login, meeting, settings):
    """People in the room need not open OKR Hub to be counted: the facilitator ticks them, from the team's
    members only, and the minutes list them."""
    settings.LANGUAGE_CODE = "en"
    client = login(org.member)
    page = client.get(_url("detail", meeting)).content.decode()
    assert 'name="attendance-attendees"' in page and "1 present" in page
    for person in (org.member, org.teammate, org.lead):
        assert f'value="{person.pk}"' in page
    assert f'value="{org.outsider.pk}"' not in page
    ticked = [org.teammate.pk, org.lead.pk]
    response = client.post(_url("attendance", meeting), {"attendance-attendees": ticked})
    assert response.status_code == 302
    assert sorted(meeting.attendees.values_list("pk", flat=True)) == sorted(ticked)
    assert "2 present" in client.get(_url("detail", meeting)).content.decode()
    # Somebody outside the team, or no number at all: refused, nothing changes.
    for bad in ([org.outsider.pk], ["x"], [10**12]):
        refused = client.post(_url("attendance", meeting), {"attendance-attendees": bad})
        assert refused.status_code == 400
        assert sorted(meeting.attendees.values_list("pk", flat=True)) == sorted(ticked)
    # Whoever may not run the meeting may not tick either.
    assert (
        login(org.outsider).post(_url("attendance", meeting), {"attendance-attendees": ticked}).status_code
        == 403
    )
    services.meeting_end(meeting=meeting, user=org.member)
    meeting.refresh_from_db()
    names = {"Tore Teamkamerat"} | {org.lead.get_full_name() or org.lead.username}
    assert set(meeting.minutes["attendees"]) == names
    # An ended meeting's attendance is its minutes': no more changes.
    ended = login(org.member).post(_url("attendance", meeting), {"attendance-attendees": [org.member.pk]})
    assert ended.status_code == 400
    assert sorted(meeting.attendees.values_list("pk", flat=True)) == sorted(ticked)


def test_the_service_marks_only_members_present(org, meeting):
    from django.core.exceptions import ValidationError

    from meetings.services import ATTENDEE_NOT_IN_TEAM

    with pytest.raises(ValidationError) as error:
        services.meeting_attendance_set(meeting=meeting, users=[org.member, org.outsider])
    assert str(ATTENDEE_NOT_IN_TEAM) in str(error.value)
    assert list(meeting.attendees.all()) == [org.member]
    services.meeting_attendance_set(meeting=meeting, users=[])
    assert not meeting.attendees.exists()
