"""Reads for check-ins: My week, the key result page and its history, sized for each page."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from checkins.models import CheckIn, Feedback
from objectives import progress as rules
from objectives.figures import FiguresMixin, KeyResultFigures, Moment, figures_of, moment_now
from objectives.models import Cycle, Initiative, KeyResult, Objective
from objectives.permissions import (
    access_for,
    can_change_checkin,
    can_check_in,
    can_give_feedback,
    can_reply_to_feedback,
    can_update_initiative,
    iso_week_of,
    visible_objectives_q,
)
from objectives.selectors import key_result_get_for_user
from objectives.writability import checkin_refusal, is_writable
from okrhub.numbers import format_number

HISTORY_PAGE_SIZE = 10


@dataclass
class KeyResultRow(FiguresMixin):
    """A key result as My week and the key result page show it; its figures from ``objectives.figures``."""

    key_result: KeyResult
    figures: KeyResultFigures
    checked_in_this_week: bool
    can_check_in: bool
    checkin_closed_reason: str | None  # why it takes no check-ins (retired, archived, closed), if it does not
    current_display: str
    target_display: str
    form: object = None  # the check-in form, bound when it came back with errors


@dataclass
class InitiativeRow:
    initiative: Initiative
    can_update: bool
    form: object = None  # the status form, set by the view


@dataclass
class ObjectiveGroup:
    objective: Objective
    key_results: list[KeyResultRow] = field(default_factory=list)
    initiatives: list[InitiativeRow] = field(default_factory=list)


@dataclass
class TeamGroup:
    team: object
    objectives: list[ObjectiveGroup] = field(default_factory=list)


@dataclass(frozen=True)
class WeekCounter:
    checked_in: int
    total: int


def value_display(value: Decimal, unit: str = "") -> str:
    number = format_number(value)
    return f"{number} {unit}".strip()


def achieve_display(value: Decimal) -> str:
    return _("done") if value >= 1 else _("not done")


def _current_display(key_result: KeyResult) -> str:
    if key_result.kind == rules.ACHIEVE:
        return achieve_display(key_result.current_value)
    return value_display(key_result.current_value, key_result.unit)


def target_display(key_result: KeyResult) -> str:
    if key_result.kind == rules.ACHIEVE:
        return _("done")
    return value_display(key_result.target_value, key_result.unit)


def key_result_displays(key_result: KeyResult) -> tuple[str, str]:
    """The current and the target value as a reader sees them: "1 268,5 timer", "done"."""
    return _current_display(key_result), target_display(key_result)


def is_this_week(moment: datetime | None, *, now: datetime | None = None) -> bool:
    """Whether ``moment`` falls in the current ISO week in local (Oslo) time."""
    return moment is not None and iso_week_of(moment) == iso_week_of(now or timezone.now())


def key_result_row(
    key_result: KeyResult, *, access, moment: Moment | None = None, now: datetime | None = None
) -> KeyResultRow:
    """Needs ``objective__cycle`` loaded (select_related) to stay free of queries."""
    current, target = key_result_displays(key_result)
    refusal = checkin_refusal(key_result)
    return KeyResultRow(
        key_result=key_result,
        figures=figures_of(key_result, moment=moment),
        checked_in_this_week=is_this_week(key_result.last_checkin_at, now=now),
        # Retired, archived or closed: it keeps its check-ins, takes no new ones (objectives/writability.py).
        can_check_in=refusal is None and can_check_in(access, key_result),
        checkin_closed_reason=refusal,
        current_display=current,
        target_display=target,
    )


def _my_week_key_results(*, user, access, include_team: bool) -> QuerySet[KeyResult]:
    mine = Q(owner=user)
    if include_team and access.member_team_ids:
        mine |= Q(objective__team_id__in=access.member_team_ids)
    return (
        KeyResult.objects.in_progress()
        .filter(mine, objective__cycle__status=Cycle.Status.ACTIVE, objective__status=Objective.Status.ACTIVE)
        .select_related("objective__team", "objective__cycle", "owner")
        .prefetch_related("milestones")  # the plans that expected progress follows
        .order_by("objective__team__name", "objective__position", "objective_id", "position", "id")
    )


def _my_week_initiatives(*, user, access, include_team: bool) -> QuerySet[Initiative]:
    mine = Q(owner=user)
    if include_team and access.member_team_ids:
        mine |= Q(objective__team_id__in=access.member_team_ids)
    return (
        Initiative.objects.filter(
            mine, objective__cycle__status=Cycle.Status.ACTIVE, objective__status=Objective.Status.ACTIVE
        )
        .select_related("objective__team", "objective__cycle", "owner")
        .order_by("objective__team__name", "objective__position", "objective_id", "position", "id")
    )


@dataclass
class MyWeek:
    teams: list[TeamGroup]
    counter: WeekCounter
    rows: dict[int, KeyResultRow]

    @property
    def is_empty(self) -> bool:
        return not self.teams


def my_week(*, user, include_team: bool = False, now: datetime | None = None) -> MyWeek:
    """The user's key results and initiatives in active cycles, grouped by team and objective.

    Queries: the user's roles (access_for, cached per request), key results, initiatives: the same number
    whether the user owns 3 key results or 30.
    """
    access = access_for(user)
    now = now or timezone.now()
    moment = moment_now(today=timezone.localdate(now))
    teams: OrderedDict[int, TeamGroup] = OrderedDict()
    objectives: dict[int, ObjectiveGroup] = {}

    def group_for(objective: Objective) -> ObjectiveGroup:
        team_group = teams.setdefault(objective.team_id, TeamGroup(team=objective.team))
        if objective.pk not in objectives:
            objectives[objective.pk] = ObjectiveGroup(objective=objective)
            team_group.objectives.append(objectives[objective.pk])
        return objectives[objective.pk]

    rows: dict[int, KeyResultRow] = {}
    owned = checked = 0
    for key_result in _my_week_key_results(user=user, access=access, include_team=include_team):
        row = key_result_row(key_result, access=access, moment=moment, now=now)
        rows[key_result.pk] = row
        group_for(key_result.objective).key_results.append(row)
        if key_result.owner_id == user.pk:
            owned += 1
            checked += row.checked_in_this_week
    for initiative in _my_week_initiatives(user=user, access=access, include_team=include_team):
        group_for(initiative.objective).initiatives.append(
            InitiativeRow(initiative=initiative, can_update=can_update_initiative(access, initiative))
        )
    return MyWeek(teams=list(teams.values()), counter=WeekCounter(checked_in=checked, total=owned), rows=rows)


def my_week_counter(*, user, now: datetime | None = None) -> WeekCounter:
    """The counter alone, after a check-in: one query over the user's own key results."""
    last_checkins = (
        KeyResult.objects.in_progress()
        .filter(
            owner=user,
            objective__cycle__status=Cycle.Status.ACTIVE,
            objective__status=Objective.Status.ACTIVE,
        )
        .values_list("last_checkin_at", flat=True)
    )
    moments = list(last_checkins)
    return WeekCounter(checked_in=sum(is_this_week(m, now=now) for m in moments), total=len(moments))


def key_result_for_checkin(*, user, pk: int) -> KeyResult:
    """The key result, with what a row needs (its plan too); 404 when the user may not see it."""
    key_result = key_result_get_for_user(user=user, pk=pk)
    prefetch_related_objects([key_result], "milestones")
    return key_result


def checkin_get_for_user(*, user, pk: int) -> CheckIn:
    checkin = (
        CheckIn.objects.select_related(
            "key_result__objective__team", "key_result__objective__cycle", "author"
        )
        .filter(pk=pk)
        .first()
    )
    if checkin is None:
        raise Http404(_("No such check-in."))
    # Visibility follows the key result; 404 rather than revealing that it exists.
    key_result_get_for_user(user=user, pk=checkin.key_result_id)
    return checkin


@dataclass(frozen=True)
class HistoryEntry:
    checkin: CheckIn
    value_display: str
    confidence_band: str | None
    can_change: bool


def checkin_history(
    *, key_result: KeyResult, user, page_number: str | int | None
) -> tuple[Page, list[HistoryEntry]]:
    """One page of check-ins, newest first, with the author (two queries: count and page)."""
    queryset = (
        CheckIn.objects.filter(key_result=key_result).select_related("author").order_by("-created_at", "-id")
    )
    page = Paginator(queryset, HISTORY_PAGE_SIZE).get_page(page_number)
    access = access_for(user)
    now = timezone.now()
    entries = [
        HistoryEntry(
            checkin=checkin,
            value_display=(
                achieve_display(checkin.value)
                if key_result.kind == rules.ACHIEVE
                else value_display(checkin.value, key_result.unit)
            ),
            confidence_band=rules.confidence_band(checkin.confidence),
            can_change=can_change_checkin(access, checkin, now=now),
        )
        for checkin in page.object_list
    ]
    return page, entries


def weekly_values(*, key_result: KeyResult) -> list[tuple[date, Decimal]]:
    """The last value checked in each ISO week of the cycle, dated by its check-in (burn-up chart)."""
    cycle = key_result.objective.cycle
    by_week: OrderedDict[tuple[int, int], tuple[date, Decimal]] = OrderedDict()
    for created_at, value in (
        CheckIn.objects.filter(key_result=key_result)
        .order_by("created_at", "id")
        .values_list("created_at", "value")
    ):
        local = timezone.localtime(created_at).date()
        if cycle.start_date <= local <= cycle.end_date:
            by_week[iso_week_of(created_at)] = (local, value)
    return list(by_week.values())


def key_result_kind_text(key_result: KeyResult) -> str:
    """The kind in words: "Increase from 10 to 40 courses"."""
    unit = key_result.unit
    start = value_display(key_result.start_value, unit)
    target = value_display(key_result.target_value, unit)
    kind = key_result.kind
    if kind == rules.INCREASE_TO:
        return _("Increase from %(start)s to %(target)s") % {
            "start": format_number(key_result.start_value),
            "target": target,
        }
    if kind == rules.DECREASE_TO:
        return _("Decrease from %(start)s to %(target)s") % {
            "start": format_number(key_result.start_value),
            "target": target,
        }
    if kind == rules.STAY_ABOVE:
        return _("Stay above %(target)s (started at %(start)s)") % {"start": start, "target": target}
    if kind == rules.STAY_BELOW:
        return _("Stay below %(target)s (started at %(start)s)") % {"start": start, "target": target}
    return _("Achieve: done or not done")


# --- Feedback ----------------------------------------------------------------------------------------------

FEEDBACK_CHECKIN_CHOICES = 10  # a lead may comment on one of this many latest check-ins


def feedback_for_key_results(*, key_result_ids) -> list[Feedback]:
    """Feedback on these key results, with author, check-in and thread, newest first (one query)."""
    key_result_ids = list(key_result_ids)
    if not key_result_ids:
        return []
    return list(
        Feedback.objects.filter(key_result_id__in=key_result_ids)
        .select_related("author", "checkin", "key_result", "parent")
        .order_by("-created_at", "-id")
    )


def feedback_for_user_q(user) -> Q:
    """Feedback that is for ``user`` (the rule of ``Feedback.recipient_id`` as a filter): what others write
    on the key results they own, and what an owner replies in a thread ``user`` started."""
    for_owner = Q(key_result__owner=user) & ~Q(author=user)
    reply_to_starter = Q(parent__author=user, author=F("key_result__owner")) & ~Q(key_result__owner=user)
    return for_owner | reply_to_starter


def feedback_unread_for_user(*, user) -> list[Feedback]:
    """Unread feedback for ``user`` on key results they may see, newest first: comments from leads for an
    owner, owners' replies for the lead who asked. My week and the leader digest show it (one query)."""
    visible = visible_objectives_q(access_for(user), prefix="key_result__objective__")
    return list(
        Feedback.objects.filter(visible, feedback_for_user_q(user), read_at__isnull=True)
        .select_related("author", "checkin", "parent", "key_result__objective__team")
        .order_by("-created_at", "-id")
    )


@dataclass
class FeedbackThread:
    """A comment and its replies, oldest reply first."""

    root: Feedback
    replies: list[Feedback] = field(default_factory=list)

    @property
    def items(self) -> list[Feedback]:
        return [self.root, *self.replies]


def feedback_threads(items: list[Feedback]) -> list[FeedbackThread]:
    """Group feedback (any order) into threads, the newest started first; no queries."""
    threads: dict[int, FeedbackThread] = {}
    for item in sorted(items, key=lambda item: (item.created_at, item.pk)):
        if item.parent_id is None:
            threads[item.pk] = FeedbackThread(root=item)
    for item in sorted(items, key=lambda item: (item.created_at, item.pk)):
        if item.parent_id is not None and item.parent_id in threads:
            threads[item.parent_id].replies.append(item)
    return sorted(threads.values(), key=lambda thread: (thread.root.created_at, thread.root.pk), reverse=True)


def feedback_get_for_user(*, user, pk: int) -> Feedback:
    """A feedback item; 404 unless its key result is visible to ``user``."""
    related = ("key_result", "checkin", "author", "parent")
    feedback = Feedback.objects.select_related(*related).filter(pk=pk).first()
    if feedback is None:
        raise Http404(_("No such feedback."))
    feedback.key_result = key_result_get_for_user(user=user, pk=feedback.key_result_id)
    return feedback


@dataclass
class FeedbackPanel:
    key_result: KeyResult
    feedback: list[Feedback]
    can_give_feedback: bool
    checkins: list[CheckIn]  # the latest ones, to choose from when commenting on one check-in
    can_reply: bool = False

    @property
    def unread(self) -> int:
        return sum(1 for item in self.feedback if item.read_at is None)

    @property
    def threads(self) -> list[FeedbackThread]:
        return feedback_threads(self.feedback)


def feedback_panel(*, user, key_result: KeyResult) -> FeedbackPanel:
    """What the feedback partial shows for one key result (at most two queries)."""
    access = access_for(user)
    may_give = can_give_feedback(access, key_result) and is_writable(key_result)
    checkins = []
    if may_give:
        latest = CheckIn.objects.filter(key_result=key_result).order_by("-created_at", "-id")
        checkins = list(latest[:FEEDBACK_CHECKIN_CHOICES])
    return FeedbackPanel(
        key_result=key_result,
        feedback=feedback_for_key_results(key_result_ids=[key_result.pk]),
        can_give_feedback=may_give,
        checkins=checkins,
        can_reply=can_reply_to_feedback(access, key_result),
    )
