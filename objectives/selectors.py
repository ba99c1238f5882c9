"""Reads about OKRs. Every object lookup knows the user: 404 when they may not see it."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from objectives.history import key_result_timeline
from objectives.models import Cycle, Initiative, KeyResult, Kpi, Objective
from objectives.permissions import (
    access_for,
    can_adjust_key_result,
    can_promote_key_result,
    can_view_objective,
)


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
