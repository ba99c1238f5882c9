"""Writes for OKRs: typed, keyword-only, validated with full_clean() inside a transaction."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from objectives.models import Cycle, Initiative, KeyResult, Milestone, Objective
from okrhub.lib import assign_fields
from teams.models import Team

# Changing any of these on a published key result is an adjustment: it needs a reason and is kept in history.
ADJUSTED_FIELDS = ("title", "kind", "start_value", "target_value", "unit")
REASON_MAX_LENGTH = 300


@transaction.atomic
def cycle_create(
    *, name: str, start_date: date, end_date: date, status: str = Cycle.Status.PLANNING
) -> Cycle:
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


# --- Updates and deletes (the API; forms may use them too) -------------------------------------------

CYCLE_FIELDS = ("name", "start_date", "end_date", "status")
OBJECTIVE_FIELDS = ("team", "cycle", "title", "description", "owner", "parent", "status", "position")
KEY_RESULT_FIELDS = (
    "objective",
    "title",
    "owner",
    "kind",
    "unit",
    "start_value",
    "target_value",
    "weight",
    "position",
)
INITIATIVE_FIELDS = ("objective", "key_result", "title", "owner", "status", "due_date", "position")


@transaction.atomic
def cycle_update(*, cycle: Cycle, data: dict[str, Any]) -> Cycle:
    assign_fields(cycle, data, CYCLE_FIELDS)
    cycle.full_clean()
    cycle.save()
    return cycle


@transaction.atomic
def cycle_delete(*, cycle: Cycle) -> None:
    # A cycle with objectives is protected (ProtectedError): close it instead.
    cycle.delete()


@transaction.atomic
def objective_update(*, objective: Objective, data: dict[str, Any]) -> Objective:
    assign_fields(objective, data, OBJECTIVE_FIELDS)
    objective.full_clean()
    objective.save()
    return objective


@transaction.atomic
def objective_delete(*, objective: Objective) -> None:
    objective.delete()


@transaction.atomic
def key_result_update(*, key_result: KeyResult, data: dict[str, Any]) -> KeyResult:
    assign_fields(key_result, data, KEY_RESULT_FIELDS)
    if key_result.last_checkin_at is None:
        # Before the first check-in the current value is the start value (as key_result_create sets it).
        key_result.current_value = key_result.start_value
    key_result.full_clean()
    key_result.save()
    return key_result


def key_result_changed_fields(key_result: KeyResult, data: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in data.items():
        current = getattr(key_result, f"{name}_id" if name in ("owner", "objective") else name)
        new = value.pk if name in ("owner", "objective") and value is not None else value
        if isinstance(current, Decimal) and new is not None:
            new = Decimal(new)
        if current != new:
            changed.append(name)
    return changed


@transaction.atomic
def key_result_adjust(*, key_result: KeyResult, actor, data: dict[str, Any], reason: str = "") -> KeyResult:
    """Change a key result. Once published, changing its title, kind, start, target or unit needs a reason.

    The change, who made it, when, and why are kept in the key result's history. Every edit path (the
    workshop pages, the REST API) goes through here so the rule cannot be skipped.
    """
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("Keep the reason short (at most 300 characters).")})
    changed = key_result_changed_fields(key_result, data)
    if (
        key_result.objective.status != Objective.Status.DRAFT
        and any(name in ADJUSTED_FIELDS for name in changed)
        and not reason
    ):
        errors = {"reason": [_("Give a short reason for adjusting a published key result.")]}
        # Report what else is wrong with the change too, so a client can fix everything in one round.
        probe = copy.copy(key_result)
        assign_fields(probe, data, KEY_RESULT_FIELDS)
        try:
            probe.full_clean()
        except ValidationError as error:
            errors.update(error.message_dict)
        raise ValidationError(errors)
    if not changed:
        return key_result
    key_result._change_reason = reason or None
    key_result._history_user = actor
    return key_result_update(key_result=key_result, data=data)


@transaction.atomic
def key_result_delete(*, key_result: KeyResult) -> None:
    key_result.delete()


@transaction.atomic
def initiative_update(*, initiative: Initiative, data: dict[str, Any]) -> Initiative:
    assign_fields(initiative, data, INITIATIVE_FIELDS)
    initiative.full_clean()
    initiative.save()
    return initiative


@transaction.atomic
def initiative_delete(*, initiative: Initiative) -> None:
    initiative.delete()


# --- A key result's planned path ------------------------------------------------------------------------


@transaction.atomic
def key_result_plan_set(
    *, key_result: KeyResult, actor, milestones: Sequence[tuple[date, Decimal | int]]
) -> list[Milestone]:
    """Make ``milestones`` (date, planned value) the key result's whole planned path; an empty list removes
    the plan. Unchanged milestones are kept, so the history records only what changed. Every milestone is
    checked (``Milestone.clean`` and its constraints); on any error nothing changes and every error is
    reported, each with its date."""
    existing = {milestone.date: milestone for milestone in key_result.milestones.all()}
    plan, errors = [], []
    for day, value in sorted(milestones, key=lambda row: row[0]):
        milestone = existing.pop(day, None) or Milestone(key_result=key_result, date=day)
        if milestone.pk is not None and milestone.planned_value == Decimal(value):
            plan.append(milestone)
            continue
        milestone.planned_value = Decimal(value)
        milestone._history_user = actor
        try:
            milestone.full_clean()
        except ValidationError as error:
            errors += [
                _("%(date)s: %(error)s") % {"date": date_format(day, "SHORT_DATE_FORMAT"), "error": m}
                for m in error.messages
            ]
            continue
        milestone.save()
        plan.append(milestone)
    if errors:
        raise ValidationError({"milestones": errors})
    for milestone in existing.values():
        milestone._history_user = actor
        milestone.delete()
    return plan
