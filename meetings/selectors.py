"""Reads for the team meeting: the agenda built from the data, the live version token, the presenter's slides
and the minutes. Figures and needs-attention reasons come from the one read model (``objectives.figures``);
the inline check-in rows are My week's (``checkins.selectors.key_result_row``)."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Max, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from checkins.forms import CheckInForm
from checkins.models import CheckIn
from checkins.selectors import is_this_week, key_result_displays, key_result_row, value_display, weekly_values
from dashboards.charts import rate_bars
from dashboards.selectors import cycle_default, cycle_list, dashboard_get, scope_resolve
from meetings.models import CheckpointAssessment, Meeting, MeetingAction, MeetingItem
from meetings.permissions import can_comment_meeting, can_run_meeting, can_view_meeting, visible_meetings_q
from objectives import progress as rules
from objectives.charts import BurnupLabels, burnup_chart
from objectives.figures import KeyResultFigures, figures_for, moment_now, plan_exists
from objectives.labels import HEALTH_LABELS, REASON_LABELS
from objectives.models import Cycle, Initiative, KeyResult
from objectives.permissions import access_for
from objectives.writability import PUBLISHED_STATUSES
from teams.models import Membership, Team
from teams.tree import TeamTree

TREND_WEEKS = 6  # the confidence trend's bars
DUE_SOON_DAYS = 7  # initiatives due within a week are on the agenda
OPEN_INITIATIVE_STATUSES = (Initiative.Status.PLANNED, Initiative.Status.IN_PROGRESS)

MEETING_NOT_VISIBLE = _(
    "Only the team and the leads above it follow an open meeting; its minutes are shown when it has ended."
)


# --- Getters ------------------------------------------------------------------------------------------------


def team_get(*, slug: str) -> Team:
    return get_object_or_404(Team, slug=slug)


def meeting_get_for_user(*, user, team: Team, pk: int) -> Meeting:
    meeting = get_object_or_404(Meeting.objects.select_related("team"), pk=pk, team=team)
    if not can_view_meeting(access_for(user), meeting):
        raise PermissionDenied(MEETING_NOT_VISIBLE)
    return meeting


def meetings_for_team(*, team: Team) -> QuerySet[Meeting]:
    return (
        Meeting.objects.filter(team=team)
        .select_related("started_by", "ended_by")
        .order_by("-started_at", "-id")
    )


def meeting_open_this_week(*, team: Team, now: dt.datetime | None = None) -> Meeting | None:
    iso = timezone.localtime(now or timezone.now()).isocalendar()
    return Meeting.objects.filter(team=team, iso_year=iso.year, iso_week=iso.week, ended_at=None).first()


def meeting_previous(*, meeting: Meeting) -> Meeting | None:
    """The team's last ended meeting before this one: where the deltas start and whose actions come back."""
    return (
        Meeting.objects.filter(
            team_id=meeting.team_id, ended_at__isnull=False, started_at__lt=meeting.started_at
        )
        .exclude(pk=meeting.pk)
        .order_by("-started_at", "-id")
        .first()
    )


def meeting_key_results(*, team: Team) -> list[KeyResult]:
    """The key results a meeting talks about: the team's published objectives in active cycles, no drafts."""
    return list(
        KeyResult.objects.in_progress()
        .filter(
            objective__team=team,
            objective__cycle__status=Cycle.Status.ACTIVE,
            objective__status__in=PUBLISHED_STATUSES,
        )
        .select_related("objective__cycle", "owner")
        .annotate(has_plan=plan_exists())
        .order_by("objective__position", "objective_id", "position", "id")
    )


def user_label(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- The agenda ---------------------------------------------------------------------------------------------


@dataclass
class AgendaKeyResult:
    key_result: KeyResult
    figures: KeyResultFigures
    current_display: str
    target_display: str
    value_delta: Decimal | None  # since the previous meeting's minutes; None at the first meeting
    confidence_delta: int | None
    checkins: list[CheckIn] = field(default_factory=list)  # new since the previous meeting
    notes: list[MeetingItem] = field(default_factory=list)  # this meeting's
    actions: list[MeetingAction] = field(default_factory=list)  # this meeting's

    @property
    def value_delta_display(self) -> str:
        if self.value_delta is None:
            return ""
        sign = "+" if self.value_delta > 0 else ""
        return f"{sign}{value_display(self.value_delta, self.key_result.unit)}"

    @property
    def confidence_delta_display(self) -> str:
        if self.confidence_delta is None:
            return ""
        return f"{'+' if self.confidence_delta > 0 else ''}{self.confidence_delta}"

    @property
    def changed(self) -> bool:
        return bool(self.checkins) or bool(self.value_delta) or bool(self.confidence_delta)


@dataclass
class Agenda:
    meeting: Meeting
    previous: Meeting | None
    key_results: list[AgendaKeyResult]
    needs_attention: list[AgendaKeyResult]
    changed: list[AgendaKeyResult]
    unchecked_rows: list  # checkins.selectors.KeyResultRow, with My week's form where the viewer may check in
    due_initiatives: list[Initiative]
    previous_actions: list[MeetingAction]
    decisions: list[MeetingItem]
    actions: list[MeetingAction]
    trend_chart: str
    trend_label: str
    can_run: bool
    can_comment: bool
    assessment: CheckpointAssessment | None = None  # the leader's, since the previous meeting

    @functools.cached_property
    def attendees(self) -> list:
        """Who is marked present, in name order (one query, when asked)."""
        return list(self.meeting.attendees.order_by("first_name", "last_name", "username"))

    def position_of(self, key_result_id: int) -> int:
        for index, item in enumerate(self.key_results):
            if item.key_result.pk == key_result_id:
                return index
        return 0


def _trend(checkins: list[tuple[dt.datetime, int]], *, today: dt.date) -> list[int | None]:
    """Average confidence per ISO week, oldest first, as a percentage of 10 (the bars' fixed scale)."""
    monday = today - dt.timedelta(days=today.weekday())
    weeks = [monday - dt.timedelta(weeks=n) for n in range(TREND_WEEKS - 1, -1, -1)]
    sums: dict[dt.date, list[int]] = defaultdict(list)
    for created_at, confidence in checkins:
        day = timezone.localtime(created_at).date()
        sums[day - dt.timedelta(days=day.weekday())].append(confidence)
    return [round(sum(sums[w]) * 10 / len(sums[w])) if sums[w] else None for w in weeks]


def _baseline(previous: Meeting | None) -> dict[int, dict]:
    if previous is None:
        return {}
    return {int(row["id"]): row for row in previous.minutes.get("key_results", [])}


def agenda_get(*, user, meeting: Meeting, now: dt.datetime | None = None) -> Agenda:
    """Everything the meeting goes through, in a fixed number of queries whatever the team's size."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    access = access_for(user)
    team = meeting.team
    key_results = meeting_key_results(team=team)
    figures = figures_for(key_results, moment=moment_now(today=today))
    previous = meeting_previous(meeting=meeting)
    baseline = _baseline(previous)
    ids = [key_result.pk for key_result in key_results]
    since = previous.ended_at if previous else meeting.started_at - dt.timedelta(days=7)

    new_checkins: dict[int, list[CheckIn]] = defaultdict(list)
    for checkin in (
        CheckIn.objects.filter(key_result_id__in=ids, created_at__gte=since)
        .select_related("author")
        .order_by("created_at", "id")
    ):
        new_checkins[checkin.key_result_id].append(checkin)
    trend_from = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(weeks=TREND_WEEKS), dt.time()))
    trend = _trend(
        list(
            CheckIn.objects.filter(key_result_id__in=ids, created_at__gte=trend_from).values_list(
                "created_at", "confidence"
            )
        ),
        today=today,
    )
    notes: dict[int, list[MeetingItem]] = defaultdict(list)
    decisions: list[MeetingItem] = []
    for item in MeetingItem.objects.filter(meeting=meeting).select_related("author"):
        if item.kind == MeetingItem.Kind.DECISION:
            decisions.append(item)
        else:
            notes[item.key_result_id].append(item)
    actions = list(
        MeetingAction.objects.filter(meeting=meeting).select_related(
            "initiative__owner", "initiative__key_result"
        )
    )
    actions_by_kr: dict[int, list[MeetingAction]] = defaultdict(list)
    for action in actions:
        actions_by_kr[action.initiative.key_result_id].append(action)

    items = []
    for key_result in key_results:
        before = baseline.get(key_result.pk)
        current, target = key_result_displays(key_result)
        value_delta = confidence_delta = None
        if before is not None:
            value_delta = key_result.current_value - Decimal(before["value"])
            if before.get("confidence") is not None and key_result.confidence is not None:
                confidence_delta = key_result.confidence - int(before["confidence"])
        items.append(
            AgendaKeyResult(
                key_result=key_result,
                figures=figures[key_result.pk],
                current_display=current,
                target_display=target,
                value_delta=value_delta,
                confidence_delta=confidence_delta,
                checkins=new_checkins.get(key_result.pk, []),
                notes=notes.get(key_result.pk, []),
                actions=actions_by_kr.get(key_result.pk, []),
            )
        )

    unchecked_rows = []
    for key_result in key_results:
        if is_this_week(key_result.last_checkin_at, now=now):
            continue
        row = key_result_row(key_result, access=access, now=now)
        if row.can_check_in:
            row.form = CheckInForm(key_result=key_result)
        unchecked_rows.append(row)

    due_initiatives = list(
        Initiative.objects.filter(
            objective__team=team,
            objective__cycle__status=Cycle.Status.ACTIVE,
            objective__status__in=PUBLISHED_STATUSES,
            status__in=OPEN_INITIATIVE_STATUSES,
            due_date__lte=today + dt.timedelta(days=DUE_SOON_DAYS),
        )
        .select_related("owner", "key_result")
        .order_by("due_date", "id")
    )
    previous_actions = (
        list(
            MeetingAction.objects.filter(meeting=previous).select_related(
                "initiative__owner", "initiative__key_result"
            )
        )
        if previous
        else []
    )
    trend_label = _("Average confidence per week, the last %(weeks)d weeks") % {"weeks": TREND_WEEKS}
    return Agenda(
        meeting=meeting,
        previous=previous,
        key_results=items,
        needs_attention=[item for item in items if item.figures.reasons],
        changed=[item for item in items if item.changed],
        unchecked_rows=unchecked_rows,
        due_initiatives=due_initiatives,
        previous_actions=previous_actions,
        decisions=decisions,
        actions=actions,
        trend_chart=rate_bars(trend, label=trend_label),
        trend_label=trend_label,
        can_run=meeting.is_open and can_run_meeting(access, team),
        can_comment=meeting.is_open and can_comment_meeting(access, team),
        assessment=assessment_for_agenda(meeting=meeting, previous=previous),
    )


def meeting_version(*, meeting: Meeting) -> str:
    """Changes whenever anything the agenda shows changes: notes, decisions, actions and their initiatives,
    check-ins on the team's key results, the meeting ending (two queries)."""
    row = Meeting.objects.filter(pk=meeting.pk).aggregate(
        n_items=Count("items", distinct=True),
        items_at=Max("items__created_at"),
        n_actions=Count("actions", distinct=True),
        ended=Max("ended_at"),
    )
    team_row = KeyResult.objects.filter(objective__team_id=meeting.team_id).aggregate(
        checked_at=Max("last_checkin_at"),
        changed_at=Max("updated_at"),
        initiatives_at=Max("initiatives__updated_at"),
    )
    parts = []
    for _key, value in sorted({**row, **team_row}.items()):
        parts.append(f"{value.timestamp():.6f}" if hasattr(value, "timestamp") else str(value or 0))
    return "-".join(parts)


# --- The minutes (referat) ----------------------------------------------------------------------------------


def minutes_snapshot(*, agenda: Agenda) -> dict:
    """The referat frozen as plain data: codes, not translated words, so each reader gets their language."""
    return {
        "key_results": [
            {
                "id": item.key_result.pk,
                "title": item.key_result.title,
                "objective": item.key_result.objective.title,
                "owner": user_label(item.key_result.owner),
                "unit": item.key_result.unit,
                "value": str(item.key_result.current_value),
                "current": item.current_display,
                "target": item.target_display,
                "confidence": item.key_result.confidence,
                "value_delta": item.value_delta_display,
                "confidence_delta": item.confidence_delta_display,
                "progress_percent": item.figures.progress_percent,
                "health": item.figures.health,
                "reasons": list(item.figures.reasons),
                "checkins": [
                    {
                        "author": user_label(checkin.author),
                        "value": str(checkin.value),
                        "confidence": checkin.confidence,
                        "note": checkin.note,
                        "date": timezone.localtime(checkin.created_at).date().isoformat(),
                    }
                    for checkin in item.checkins
                ],
                "notes": [{"author": user_label(note.author), "body": note.body} for note in item.notes],
            }
            for item in agenda.key_results
        ],
        "decisions": [{"author": user_label(d.author), "body": d.body} for d in agenda.decisions],
        "actions": [
            {
                "initiative": action.initiative_id,
                "title": action.initiative.title,
                "owner": user_label(action.initiative.owner),
                "due_date": action.initiative.due_date.isoformat() if action.initiative.due_date else None,
                "key_result": action.initiative.key_result.title if action.initiative.key_result else "",
                "key_result_id": action.initiative.key_result_id,
            }
            for action in agenda.actions
        ],
        "attendees": sorted(user_label(user) for user in agenda.meeting.attendees.all()),
    }


def minutes_display(meeting: Meeting) -> dict:
    """The stored minutes with their codes put into words in the active language."""
    minutes = dict(meeting.minutes or {})
    key_results = []
    for row in minutes.get("key_results", []):
        row = dict(row)
        row["health_label"] = str(HEALTH_LABELS.get(row.get("health"), ""))
        row["reason_labels"] = [str(REASON_LABELS[r]) for r in row.get("reasons", []) if r in REASON_LABELS]
        key_results.append(row)
    minutes["key_results"] = key_results
    minutes["decisions"] = minutes.get("decisions", [])
    minutes["actions"] = [
        {**a, "due": dt.date.fromisoformat(a["due_date"]) if a.get("due_date") else None}
        for a in minutes.get("actions", [])
    ]
    minutes["attendees"] = minutes.get("attendees", [])
    return minutes


def meetings_visible_q(user) -> Q:
    """Meetings a user may list (the rule is ``meetings.permissions.visible_meetings_q``)."""
    return visible_meetings_q(access_for(user))


# --- The presenter's slide ----------------------------------------------------------------------------------


def slide_chart(item: AgendaKeyResult) -> str:
    """The key result page's burn-up chart (value, target, pace or planned path), larger for the screen."""
    key_result = item.key_result
    cycle = key_result.objective.cycle
    return burnup_chart(
        chart_id=f"present-burnup-{key_result.pk}",
        kind=key_result.kind,
        start=cycle.start_date,
        end=cycle.end_date,
        start_value=key_result.start_value,
        target_value=key_result.target_value,
        points=weekly_values(key_result=key_result),
        labels=BurnupLabels.for_key_result(),
        title=_("Burn-up: %(title)s") % {"title": key_result.title},
        description=_("Now %(current)s, target %(target)s")
        % {"current": item.current_display, "target": item.target_display},
        y_unit=key_result.unit,
        today=timezone.localdate(),
        milestones=key_result.plan,
    )


def slide_plan(item: AgendaKeyResult) -> list[tuple[dt.date, str]]:
    """The planned path in words beside the chart (only kinds with a pace have one)."""
    key_result = item.key_result
    if key_result.kind not in rules.PACED_KINDS:
        return []
    return [(day, value_display(value, key_result.unit)) for day, value in key_result.plan]


def slide_latest_checkins(item: AgendaKeyResult, *, limit: int = 3) -> list[CheckIn]:
    return list(
        CheckIn.objects.filter(key_result=item.key_result)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )


def open_actions_for(item: AgendaKeyResult) -> list[Initiative]:
    """The key result's initiatives still to do (planned or in progress), with their owners."""
    return list(
        Initiative.objects.filter(key_result=item.key_result, status__in=OPEN_INITIATIVE_STATUSES)
        .select_related("owner")
        .order_by("due_date", "id")
    )


# --- The retrospective's starting point ---------------------------------------------------------------------


@dataclass
class CycleMeeting:
    meeting: Meeting
    decisions: list[str]
    actions: list[dict]


def cycle_meetings(*, team: Team, cycle: Cycle) -> list[CycleMeeting]:
    """The team's ended meetings during the cycle, oldest first, with the decisions and actions of their
    frozen minutes (one query): what the retrospective on cycle close starts from."""
    start = timezone.make_aware(dt.datetime.combine(cycle.start_date, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(cycle.end_date + dt.timedelta(days=1), dt.time.min))
    meetings = Meeting.objects.filter(
        team=team, ended_at__isnull=False, started_at__gte=start, started_at__lt=end
    ).order_by("started_at", "id")
    return [
        CycleMeeting(
            meeting=meeting,
            decisions=[d["body"] for d in meeting.minutes.get("decisions", [])],
            actions=minutes_display(meeting)["actions"],
        )
        for meeting in meetings
    ]


# --- The leader's checkpoint (sjekkpunkt) -------------------------------------------------------------------


@dataclass
class TeamCheckpoint:
    row: object  # dashboards.selectors.TeamRow: progress against pace, health counts
    meetings: list[Meeting]
    assessment: CheckpointAssessment | None


@dataclass
class SectionCheckpoint:
    section: Team
    last_at: dt.datetime | None
    due: bool | None  # None: the section has no cadence
    next_due: dt.date | None
    teams: list[TeamCheckpoint]
    attention: Sequence  # dashboards' needs-attention lines across the section's teams
    cycle: Cycle | None


LAST_MEETINGS = 3  # per team on the checkpoint page


def checkpoint_due(
    *, section: Team, last_at: dt.datetime | None, today: dt.date
) -> tuple[bool | None, dt.date | None]:
    """Whether the section's checkpoint is due today, and when the next one is (its cadence from the last)."""
    if not section.checkpoint_weeks:
        return None, None
    if last_at is None:
        return True, today
    next_due = timezone.localtime(last_at).date() + dt.timedelta(weeks=section.checkpoint_weeks)
    return next_due <= today, next_due


def sections_led(*, user) -> list[Team]:
    """The sections (teams with teams below them) the user leads directly, by name."""
    ids = Membership.objects.filter(user=user, role=Membership.Role.LEAD).values("team_id")
    return list(
        Team.objects.filter(pk__in=ids, archived_at__isnull=True, children__isnull=False)
        .distinct()
        .order_by("name")
    )


def _last_checkpoints(section_ids: list[int]) -> dict[int, dt.datetime]:
    return dict(
        CheckpointAssessment.objects.filter(section_id__in=section_ids)
        .values("section_id")
        .annotate(last=Max("created_at"))
        .values_list("section_id", "last")
    )


def checkpoints_due_for(*, user, today: dt.date | None = None) -> list[SectionCheckpoint]:
    """The sections the user leads whose checkpoint is due (the leader digest mentions them; two queries)."""
    today = today or timezone.localdate()
    sections = [s for s in sections_led(user=user) if s.checkpoint_weeks]
    last = _last_checkpoints([s.pk for s in sections])
    due = []
    for section in sections:
        is_due, next_due = checkpoint_due(section=section, last_at=last.get(section.pk), today=today)
        if is_due:
            due.append(SectionCheckpoint(section, last.get(section.pk), True, next_due, [], [], None))
    return due


def latest_assessments(team_ids) -> dict[int, CheckpointAssessment]:
    """Each team's latest checkpoint assessment (one query)."""
    ranked = (
        CheckpointAssessment.objects.filter(team_id__in=list(team_ids))
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("team_id")], order_by=[F("created_at").desc(), F("id").desc()]
            )
        )
        .filter(rank=1)
        .select_related("author", "section")
    )
    return {assessment.team_id: assessment for assessment in ranked}


def last_meetings(team_ids) -> dict[int, list[Meeting]]:
    ranked = (
        Meeting.objects.filter(team_id__in=list(team_ids))
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("team_id")], order_by=[F("started_at").desc(), F("id").desc()]
            )
        )
        .filter(rank__lte=LAST_MEETINGS)
        .order_by("team_id", "-started_at")
    )
    grouped: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in ranked:
        grouped[meeting.team_id].append(meeting)
    return grouped


def checkpoint_page(*, user, today: dt.date | None = None) -> list[SectionCheckpoint]:
    """Per section the user leads: is a checkpoint due, the dashboard's rows (progress against pace) and
    needs-attention list across its teams (``dashboards.selectors.dashboard_get``, the read model), each
    team's last meetings and latest assessment."""
    today = today or timezone.localdate()
    sections = sections_led(user=user)
    if not sections:
        return []
    cycle = cycle_default(cycle_list())
    tree = TeamTree.load()
    last = _last_checkpoints([s.pk for s in sections])
    result = []
    for section in sections:
        scope = scope_resolve(slug=section.slug, tree=tree)
        dashboard = dashboard_get(user=user, cycle=cycle, scope=scope, today=today) if cycle else None
        rows = [row for row in dashboard.rows if row.team.pk != section.pk] if dashboard else []
        ids = [row.team.pk for row in rows]
        meetings = last_meetings(ids)
        assessments = latest_assessments(ids)
        due, next_due = checkpoint_due(section=section, last_at=last.get(section.pk), today=today)
        result.append(
            SectionCheckpoint(
                section=section,
                last_at=last.get(section.pk),
                due=due,
                next_due=next_due,
                teams=[
                    TeamCheckpoint(row, meetings.get(row.team.pk, []), assessments.get(row.team.pk))
                    for row in rows
                ],
                attention=dashboard.attention if dashboard else [],
                cycle=cycle,
            )
        )
    return result


def assessment_for_agenda(*, meeting: Meeting, previous: Meeting | None) -> CheckpointAssessment | None:
    """The leader's latest assessment of the team, when it came after the previous meeting: the next meeting
    opens with it."""
    assessments = CheckpointAssessment.objects.filter(team_id=meeting.team_id).select_related("author")
    if previous is not None and previous.ended_at:
        assessments = assessments.filter(created_at__gt=previous.ended_at)
    return assessments.order_by("-created_at", "-id").first()
