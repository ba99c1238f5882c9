"""Writes for OKRs: typed, keyword-only, validated with full_clean() inside a transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from objectives.models import Cycle, Initiative, KeyResult, Objective
from teams.models import Team


@transaction.atomic
def cycle_create(*, name: str, start_date: date, end_date: date, status: str = Cycle.Status.PLANNING) -> Cycle:
    cycle = Cycle(name=name, start_date=start_date, end_date=end_date, status=status)
    cycle.full_clean()
    cycle.save()
    return cycle


@transaction.atomic
def objective_create(
    *,
    team: Team,
    cycle: Cycle,
    title: str,
    owner=None,
    description: str = "",
    parent: Objective | None = None,
    status: str = Objective.Status.DRAFT,
    position: int = 0,
) -> Objective:
    objective = Objective(
        team=team,
        cycle=cycle,
        title=title,
        owner=owner,
        description=description,
        parent=parent,
        status=status,
        position=position,
    )
    objective.full_clean()
    objective.save()
    return objective


@transaction.atomic
def key_result_create(
    *,
    objective: Objective,
    title: str,
    owner=None,
    kind: str = KeyResult.Kind.INCREASE_TO,
    unit: str = "",
    start_value: Decimal | int = 0,
    target_value: Decimal | int = 1,
    weight: Decimal | int = 1,
    position: int = 0,
) -> KeyResult:
    key_result = KeyResult(
        objective=objective,
        title=title,
        owner=owner,
        kind=kind,
        unit=unit,
        start_value=Decimal(start_value),
        target_value=Decimal(target_value),
        current_value=Decimal(start_value),
        weight=Decimal(weight),
        position=position,
    )
    key_result.full_clean()
    key_result.save()
    return key_result


@transaction.atomic
def initiative_create(
    *,
    objective: Objective,
    title: str,
    owner=None,
    key_result: KeyResult | None = None,
    status: str = Initiative.Status.PLANNED,
    due_date: date | None = None,
    position: int = 0,
) -> Initiative:
    initiative = Initiative(
        objective=objective,
        key_result=key_result,
        title=title,
        owner=owner,
        status=status,
        due_date=due_date,
        position=position,
    )
    initiative.full_clean()
    initiative.save()
    return initiative


@transaction.atomic
def initiative_set_status(*, initiative: Initiative, status: str) -> Initiative:
    initiative.status = status
    initiative.full_clean()
    initiative.save(update_fields=["status", "updated_at"])
    return initiative
