"""Workshop demo data: a draft set on the planning board, a KPI with check-ins, a mid-cycle adjustment.

Called from ``okrhub.demo.seed_demo``; running it again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model

from objectives.models import Cycle, KeyResult, Kpi, Objective
from objectives.services import initiative_create, key_result_adjust, key_result_create, objective_create
from teams.models import Team
from workshops.services import kpi_checkin_submit, kpi_promote

User = get_user_model()

CAREER_SLUG = "karriere-og-radgivning"
COURSES_SLUG = "kurs-og-arrangementer"
DRAFT_TITLE = "Medlemmene finner riktig karrierevei"
ADJUST_REASON = "Budsjettet for høsten ble kuttet; målet er justert etter det vi realistisk rekker."


def seed_workshops(*, active: Cycle, planning: Cycle, now: dt.datetime) -> None:
    users = {
        u.username: u for u in User.objects.filter(username__in=["silje", "thea", "magnus", "kari", "leader"])
    }
    if len(users) < 5:
        return
    career = Team.objects.get(slug=CAREER_SLUG)
    courses = Team.objects.get(slug=COURSES_SLUG)
    _draft_set(team=career, cycle=planning, users=users)
    _adjustment(team=courses, cycle=active, actor=users["kari"])
    _kpi(team=career, cycle=active, actor=users["silje"], reporter=users["thea"], now=now)


def _draft_set(*, team: Team, cycle: Cycle, users) -> None:
    """What the career team wrote in its workshop: one good key result and two the coach has advice on."""
    if Objective.objects.filter(team=team, cycle=cycle, title=DRAFT_TITLE).exists():
        return
    objective = objective_create(team=team, cycle=cycle, title=DRAFT_TITLE, owner=users["silje"])
    key_result_create(
        objective=objective,
        title="Øke andelen som anbefaler karrieresamtalen fra 70 til 85 %",
        owner=users["thea"],
        kind=KeyResult.Kind.INCREASE_TO,
        unit="%",
        start_value=70,
        target_value=85,
        position=1,
    )
    # Reads like a task, and nobody owns it yet: the coach says so beside the draft.
    key_result_create(
        objective=objective,
        title="Arrangere jobbsøkerkurs for studenter",
        kind=KeyResult.Kind.ACHIEVE,
        start_value=0,
        target_value=1,
        position=2,
    )
    initiative_create(objective=objective, title="Ny CV-mal på nettsidene", owner=users["magnus"], position=1)


def _adjustment(*, team: Team, cycle: Cycle, actor) -> None:
    """A published key result whose target the lead adjusted mid-cycle, with the reason kept in history."""
    key_result = (
        KeyResult.objects.in_progress()
        .select_related("objective__cycle")
        .filter(
            objective__team=team,
            objective__cycle=cycle,
            objective__status=Objective.Status.ACTIVE,
            kind=KeyResult.Kind.INCREASE_TO,
        )
        .order_by("objective__position", "position", "id")
        .first()
    )
    if key_result is None or key_result.history.filter(history_change_reason=ADJUST_REASON).exists():
        return
    span = key_result.target_value - key_result.start_value
    lowered = (key_result.start_value + span * Decimal("0.8")).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if lowered == key_result.target_value or lowered <= key_result.start_value:
        return
    key_result_adjust(
        key_result=key_result, actor=actor, data={"target_value": lowered}, reason=ADJUST_REASON
    )


def _kpi(*, team: Team, cycle: Cycle, actor, reporter, now: dt.datetime) -> None:
    """A key result that proved its worth, promoted to a team KPI, with weekly check-ins since."""
    if Kpi.objects.filter(team=team).exists():
        return
    key_result = (
        KeyResult.objects.in_progress()
        .select_related("objective")
        .filter(objective__team=team, objective__cycle=cycle, objective__status=Objective.Status.ACTIVE)
        .exclude(kind=KeyResult.Kind.ACHIEVE)
        .order_by("objective__position", "position", "id")
        .first()
    )
    if key_result is None:
        return
    kind = Kpi.Kind.STAY_BELOW if key_result.kind == KeyResult.Kind.DECREASE_TO else Kpi.Kind.STAY_ABOVE
    kpi = kpi_promote(
        key_result=key_result,
        actor=actor,
        name=key_result.title,
        unit=key_result.unit,
        kind=kind,
        target_value=key_result.target_value,
    )
    target = key_result.target_value
    for weeks_ago, factor in [(5, "0.90"), (4, "0.95"), (3, "1.02"), (2, "0.98"), (1, "1.04"), (0, "1.05")]:
        kpi_checkin_submit(
            kpi=kpi,
            author=reporter,
            value=(target * Decimal(factor)).quantize(Decimal("0.1")),
            created_at=now - dt.timedelta(weeks=weeks_ago),
        )
