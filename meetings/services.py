"""Writes for the team meeting: start, note, decide, act (an initiative through the objectives service), end.

Who may is ``meetings.permissions`` (asked by the views and the API); whether the key result or objective may
change at all is ``objectives.writability`` (a closed cycle refuses with its message, for everyone).
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings import selectors
from meetings.models import (
    ONE_OPEN_MEETING_PER_WEEK,
    CheckpointAssessment,
    Meeting,
    MeetingAction,
    MeetingItem,
)
from meetings.signals import meeting_ended
from objectives.models import KeyResult
from objectives.services import initiative_create
from objectives.writability import ObjectLocked, require_writable
from teams.selectors import team_descendant_ids

MEETING_ENDED = _("The meeting has ended; its minutes are read-only.")
KEY_RESULT_NOT_ON_AGENDA = _("Choose a key result of this team's active OKRs.")
OWNER_NOT_IN_TEAM = _("The owner must be a member of the team.")
ATTENDEE_NOT_IN_TEAM = _("Only members of the team can be marked present.")


def _require_open(meeting: Meeting) -> Meeting:
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.ended_at is not None:
        raise ObjectLocked(MEETING_ENDED)
    return locked


def _agenda_key_result(meeting: Meeting, key_result: KeyResult) -> KeyResult:
    if key_result.objective.team_id != meeting.team_id:
        raise ValidationError({"key_result": KEY_RESULT_NOT_ON_AGENDA})
    require_writable(key_result)  # a closed cycle, an archived objective: the project's own refusal
    ids = {kr.pk for kr in selectors.meeting_key_results(team=meeting.team)}
    if key_result.pk not in ids:
        raise ValidationError({"key_result": KEY_RESULT_NOT_ON_AGENDA})
    return key_result


@transaction.atomic
def meeting_start(*, team, user, now: dt.datetime | None = None) -> Meeting:
    """This ISO week's open meeting of the team: the existing one, or a new one (the constraint decides)."""
    now = now or timezone.now()
    existing = selectors.meeting_open_this_week(team=team, now=now)
    if existing is not None:
        return existing
    iso = timezone.localtime(now).isocalendar()
    meeting = Meeting(team=team, iso_year=iso.year, iso_week=iso.week, started_by=user, started_at=now)
    meeting.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            meeting.save()
    except IntegrityError:
        # Another participant pressed "Start" at the same moment: theirs is the meeting.
        existing = selectors.meeting_open_this_week(team=team, now=now)
        if existing is None:
            raise ValidationError(ONE_OPEN_MEETING_PER_WEEK) from None
        return existing
    if user is not None:
        meeting.attendees.add(user)
    return meeting


@transaction.atomic
def meeting_note_add(*, meeting: Meeting, key_result: KeyResult, author, body: str) -> MeetingItem:
    meeting = _require_open(meeting)
    _agenda_key_result(meeting, key_result)
    item = MeetingItem(
        meeting=meeting, kind=MeetingItem.Kind.NOTE, key_result=key_result, author=author, body=body
    )
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def meeting_decision_add(*, meeting: Meeting, author, body: str) -> MeetingItem:
    meeting = _require_open(meeting)
    item = MeetingItem(meeting=meeting, kind=MeetingItem.Kind.DECISION, author=author, body=body)
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def meeting_action_add(
    *, meeting: Meeting, key_result: KeyResult, title: str, owner, due_date: dt.date
) -> MeetingAction:
    """An oppfølgingspunkt: a new initiative on the key result it came from, with owner and due date."""
    meeting = _require_open(meeting)
    _agenda_key_result(meeting, key_result)
    if owner is not None and not meeting.team.memberships.filter(user=owner).exists():
        raise ValidationError({"owner": OWNER_NOT_IN_TEAM})
    initiative = initiative_create(
        objective=key_result.objective, key_result=key_result, title=title, owner=owner, due_date=due_date
    )
    action = MeetingAction(meeting=meeting, initiative=initiative)
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def meeting_attend(*, meeting: Meeting, user) -> Meeting:
    meeting = _require_open(meeting)
    meeting.attendees.add(user)
    return meeting


@transaction.atomic
def meeting_attendance_set(*, meeting: Meeting, users) -> Meeting:
    """Who is present, as whoever runs the meeting ticks it: members of the team only (the minutes list
    them)."""
    meeting = _require_open(meeting)
    users = list(users)
    members = set(meeting.team.memberships.filter(user__in=users).values_list("user_id", flat=True))
    if any(user.pk not in members for user in users):
        raise ValidationError({"attendees": ATTENDEE_NOT_IN_TEAM})
    meeting.attendees.set(users)
    return meeting


def _after_end(meeting_id: int) -> None:
    from meetings import tasks  # the task module imports this one

    tasks.send_meeting_minutes.delay(meeting_id)
    meeting = Meeting.objects.select_related("team").get(pk=meeting_id)
    meeting_ended.send(sender=Meeting, meeting=meeting)


@transaction.atomic
def meeting_end(
    *, meeting: Meeting, user, now: dt.datetime | None = None, send_minutes: bool = True
) -> Meeting:
    """Freeze the minutes, then (after the commit) email them to the team's members once and announce it.
    ``send_minutes=False`` records a meeting of the past (the demo data) without emailing anyone."""
    now = now or timezone.now()
    meeting = _require_open(meeting)
    meeting.team = meeting.team  # loaded by the lock's get(); the agenda reads it
    agenda = selectors.agenda_get(user=user, meeting=meeting, now=now)
    meeting.minutes = selectors.minutes_snapshot(agenda=agenda)
    meeting.ended_at = now
    meeting.ended_by = user
    meeting.save(update_fields=["minutes", "ended_at", "ended_by"])
    if send_minutes:
        transaction.on_commit(partial(_after_end, meeting.pk))
    return meeting


ASSESS_TEAM_OUTSIDE_SECTION = _("Choose a team in this section.")


@transaction.atomic
def checkpoint_assess(*, section, team, author, body: str) -> CheckpointAssessment:
    """The section leader's short written assessment of one of its teams at a checkpoint."""
    if team.pk == section.pk or team.pk not in team_descendant_ids({section.pk}):
        raise ValidationError({"team": ASSESS_TEAM_OUTSIDE_SECTION})
    assessment = CheckpointAssessment(team=team, section=section, author=author, body=body)
    assessment.full_clean()
    assessment.save()
    return assessment
