"""Reads about OKRs. Every object lookup knows the user: 404 when they may not see it."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.utils.translation import gettext as _

from objectives import periods
from objectives.history import key_result_timeline
from objectives.models import Cycle, Initiative, KeyResult, Kpi, Objective
from objectives.permissions import (
    access_for,
    can_adjust_key_result,
    can_manage_cycles,
    can_promote_key_result,
    can_view_objective,
)
from objectives.validators import MAX_YEAR
from objectives.writability import PUBLISHED_STATUSES
from teams.models import Team


def cycle_current() -> Cycle | None:
    """The active cycle (the latest-starting one if several are active)."""
    return Cycle.objects.filter(status=Cycle.Status.ACTIVE).order_by("-start_date").first()


def objective_get_for_user(*, user, pk: int) -> Objective:
    objective = Objective.objects.select_related("team", "cycle", "owner", "parent").filter(pk=pk).first()
    if objective is None or not can_view_objective(access_for(user), objective):
        raise Http404(_("No such objective."))
    return objective


def key_result_get_for_user(*, user, pk: int) -> KeyResult:
    key_result = (
        KeyResult.objects.select_related("objective__team", "objective__cycle", "owner").filter(pk=pk).first()
    )
    if key_result is None or not can_view_objective(access_for(user), key_result.objective):
        raise Http404(_("No such key result."))
    return key_result


def initiative_get_for_user(*, user, pk: int) -> Initiative:
    initiative = (
        Initiative.objects.select_related("objective__team", "objective__cycle", "owner", "key_result")
        .filter(pk=pk)
        .first()
    )
    if initiative is None or not can_view_objective(access_for(user), initiative.objective):
        raise Http404(_("No such initiative."))
    return initiative


def key_result_history_panel(*, user, key_result: KeyResult) -> dict:
    """What ``objectives/_kr_history.html`` shows on the key result page: the timeline of changes, the KPI
    it became, and the adjust and promote links where the user may use them (two queries)."""
    access = access_for(user)
    return {
        "timeline": key_result_timeline(key_result=key_result),
        "kpi": Kpi.objects.filter(source_key_result=key_result).first(),
        "can_adjust": can_adjust_key_result(access, key_result),
        "can_promote": can_promote_key_result(access, key_result),
    }


# --- The cycles page ---------------------------------------------------------------------------------------


def _status_count(status: str) -> Count:
    return Count("objectives", filter=Q(objectives__status=status))


def cycle_rows() -> list[Cycle]:
    """Every cycle, newest first, with its objectives counted by status (one query)."""
    return list(
        Cycle.objects.annotate(
            drafts=_status_count(Objective.Status.DRAFT),
            published=_status_count(Objective.Status.PUBLISHED),
            active=_status_count(Objective.Status.ACTIVE),
            archived=_status_count(Objective.Status.ARCHIVED),
        ).order_by("-start_date", "id")
    )


@dataclass(frozen=True)
class LifecyclePreview:
    """What a lifecycle action will do, in numbers, for its confirmation page."""

    drafts: int
    published: int
    active: int
    ungraded_key_results: int
    teams: int

    @property
    def to_archive(self) -> int:
        return self.published + self.active


def cycle_lifecycle_preview(*, cycle: Cycle) -> LifecyclePreview:
    counts = dict(
        Objective.objects.filter(cycle=cycle)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    ungraded = (
        KeyResult.objects.in_progress()
        .filter(objective__cycle=cycle, objective__status__in=PUBLISHED_STATUSES, final_score__isnull=True)
        .count()
    )
    return LifecyclePreview(
        drafts=counts.get(Objective.Status.DRAFT, 0),
        published=counts.get(Objective.Status.PUBLISHED, 0),
        active=counts.get(Objective.Status.ACTIVE, 0),
        ungraded_key_results=ungraded,
        teams=Team.objects.filter(archived_at__isnull=True).count(),
    )


def cycle_next_suggestion(cycles: list[Cycle]) -> periods.Period | None:
    """The period after the latest-ending cycle (the next tertial or quarter), unless it exists already."""
    if not cycles:
        return None
    latest = max(cycles, key=lambda cycle: (cycle.end_date, cycle.pk))
    suggestion = periods.next_period(name=latest.name, start=latest.start_date, end=latest.end_date)
    names = {cycle.name for cycle in cycles}
    if suggestion.name in names or suggestion.end.year > MAX_YEAR:
        return None
    return suggestion


def cycle_get_for_manager(*, user, pk: int) -> Cycle:
    """A cycle for its lifecycle pages: 403 for anyone who does not manage cycles, 404 when unknown."""
    if not can_manage_cycles(access_for(user)):
        raise PermissionDenied(_("Only organisation admins manage cycles."))
    cycle = Cycle.objects.filter(pk=pk).first()
    if cycle is None:
        raise Http404(_("No such cycle."))
    return cycle
