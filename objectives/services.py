"""Writes for OKRs: typed, keyword-only, validated with full_clean() inside a transaction."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from objectives import periods, signals
from objectives.models import Cycle, Initiative, KeyResult, Milestone, Objective
from objectives.signals import figures_batch
from objectives.writability import PUBLISHED_STATUSES, is_published, require_writable
from okrhub.lib import assign_fields
from okrhub.versioning import bump, lock_at_version, update_fields_for
from teams.models import Team

# Changing any of these on a published key result is an adjustment: it needs a reason and is kept in history.
ADJUSTED_FIELDS = ("title", "kind", "start_value", "target_value", "unit")
REASON_MAX_LENGTH = 300


CYCLE_OVERLAPS = gettext_lazy(
    "“%(name)s” overlaps “%(other)s” (%(start)s – %(end)s), a cycle of the same kind. Check the dates."
)
# The refusal when an action cannot start from the cycle's status (the rule: Cycle.TRANSITIONS).
CYCLE_ACTION_REFUSALS = {
    "start_planning": gettext_lazy("Only an upcoming cycle can start planning; this one is %(status)s."),
    "activate": gettext_lazy("Only a cycle in planning can be activated; this one is %(status)s."),
    "close": gettext_lazy("Only an active cycle can be closed; this one is %(status)s."),
}
CYCLE_STATUS_UNREACHABLE = gettext_lazy("A cycle cannot go back to %(status)s.")


def cycle_overlapping(cycle: Cycle) -> Cycle | None:
    """Another cycle of the same kind (tertial, quarter or custom, from the name) whose dates overlap."""
    kind = periods.kind_of(cycle.name)
    candidates = Cycle.objects.filter(Cycle.overlapping_q(cycle))
    if cycle.pk:
        candidates = candidates.exclude(pk=cycle.pk)
    return next(
        (other for other in candidates.order_by("start_date") if periods.kind_of(other.name) == kind), None
    )


def _clean_cycle(cycle: Cycle) -> None:
    cycle.full_clean()
    other = cycle_overlapping(cycle)
    if other is not None:
        raise ValidationError(
            CYCLE_OVERLAPS
            % {"name": cycle.name, "other": other.name, "start": other.start_date, "end": other.end_date}
        )


@transaction.atomic
def cycle_create(
    *, name: str, start_date: date, end_date: date, status: str = Cycle.Status.PLANNING
) -> Cycle:
    cycle = Cycle(name=name.strip(), start_date=start_date, end_date=end_date, status=status)
    _clean_cycle(cycle)
    cycle.save()
    return cycle


def _cycle_transition(cycle: Cycle, action: str) -> Cycle:
    """Lock the cycle and check the action may start from its current status (one rule for the pages and
    the API); returns the locked row."""
    locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if not locked.may(action):
        raise ValidationError(CYCLE_ACTION_REFUSALS[action] % {"status": locked.get_status_display()})
    return locked


def _cycle_set_status(cycle: Cycle, locked: Cycle, action: str) -> Cycle:
    locked.status = Cycle.TRANSITIONS[action][1]
    locked.save(update_fields=["status"])
    cycle.status = locked.status
    return cycle


@transaction.atomic
def cycle_start_planning(*, cycle: Cycle) -> Cycle:
    """upcoming → planning: the goal workshops open for the cycle."""
    locked = _cycle_transition(cycle, "start_planning")
    return _cycle_set_status(cycle, locked, "start_planning")


@transaction.atomic
@figures_batch()
def cycle_activate(*, cycle: Cycle) -> int:
    """planning → active: the published objectives become active (check-ins, reminders, dashboards);
    drafts stay drafts. Returns how many objectives became active."""
    locked = _cycle_transition(cycle, "activate")
    count = Objective.objects.filter(cycle=locked, status=Objective.Status.PUBLISHED).update(
        status=Objective.Status.ACTIVE, updated_at=timezone.now(), **bump()
    )
    _cycle_set_status(cycle, locked, "activate")
    return count


def fill_missing_scores(key_results, actor) -> int:
    """Ungraded key results get their progress as final score when their part of the cycle closes."""
    count = 0
    for key_result in key_results:
        if key_result.final_score is None:
            key_result.final_score = Decimal(str(round(key_result.progress, 2)))
            key_result._change_reason = _("Final score (from progress)")
            key_result._history_user = actor
            key_result.save()
            count += 1
    return count


@transaction.atomic
@figures_batch()
def cycle_close(*, cycle: Cycle, actor) -> Cycle:
    """Close the whole cycle (organisation-wide): every published key result gets a score, published and
    active objectives are archived; everything is read-only from now on."""
    locked = _cycle_transition(cycle, "close")
    fill_missing_scores(
        KeyResult.objects.in_progress()
        .filter(objective__cycle=locked, objective__status__in=PUBLISHED_STATUSES)
        .select_related("objective__cycle"),
        actor,
    )
    Objective.objects.filter(cycle=locked, status__in=PUBLISHED_STATUSES).update(
        status=Objective.Status.ARCHIVED, updated_at=timezone.now(), **bump()
    )
    closed = _cycle_set_status(cycle, locked, "close")
    transaction.on_commit(lambda: signals.cycle_closed.send_robust(sender=Cycle, cycle=closed, actor=actor))
    return closed


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
    require_writable(cycle)
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
    if objective.status in PUBLISHED_STATUSES:
        _announce_published(objective)
    return objective


def _announce_published(objective: Objective) -> None:
    transaction.on_commit(
        lambda: signals.objective_published.send_robust(sender=Objective, objective=objective)
    )


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
    require_writable(objective)
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
    require_writable(objective)
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
    require_writable(initiative)
    initiative.status = status
    initiative.full_clean()
    initiative.save(update_fields=["status", "updated_at"])
    return initiative


# --- Updates and deletes (the API; forms may use them too) -------------------------------------------

CYCLE_FIELDS = ("name", "start_date", "end_date")  # the status moves only through the lifecycle services
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
def cycle_move_to(*, cycle: Cycle, status: str, actor) -> Cycle:
    """Reach ``status`` through its lifecycle action (the API's PATCH of ``status`` comes here)."""
    if status == cycle.status:
        return cycle
    action = next((name for name, (_s, target) in Cycle.TRANSITIONS.items() if target == status), None)
    if action is None:
        raise ValidationError({"status": CYCLE_STATUS_UNREACHABLE % {"status": Cycle.Status(status).label}})
    if action == "close":
        return cycle_close(cycle=cycle, actor=actor)
    if action == "activate":
        cycle_activate(cycle=cycle)
        return cycle
    return cycle_start_planning(cycle=cycle)


@transaction.atomic
def cycle_update(*, cycle: Cycle, data: dict[str, Any]) -> Cycle:
    """Name and dates; the status changes only through the lifecycle services above."""
    assign_fields(cycle, data, CYCLE_FIELDS)
    _clean_cycle(cycle)
    cycle.save(update_fields=update_fields_for(cycle, data))
    return cycle


@transaction.atomic
def cycle_delete(*, cycle: Cycle) -> None:
    # A cycle with objectives is protected (ProtectedError): close it instead.
    cycle.delete()


@transaction.atomic
def objective_update(*, objective: Objective, data: dict[str, Any], version: int | None = None) -> Objective:
    """``version``: the one the edit was based on (an HTML form); a newer row raises ``StaleVersion``."""
    current = lock_at_version(objective, expected=version)
    require_writable(objective)
    if "cycle" in data:
        require_writable(data["cycle"])
    assign_fields(objective, data, OBJECTIVE_FIELDS)
    objective.full_clean()
    # Only what the request changed: a concurrent edit of another field keeps its change.
    objective.save(update_fields=update_fields_for(objective, data))
    if current.status not in PUBLISHED_STATUSES and objective.status in PUBLISHED_STATUSES:
        _announce_published(objective)
    return objective


@transaction.atomic
def objective_delete(*, objective: Objective) -> None:
    require_writable(objective)
    objective.delete()


@transaction.atomic
def key_result_update(
    *, key_result: KeyResult, data: dict[str, Any], version: int | None = None
) -> KeyResult:
    lock_at_version(key_result, expected=version)
    require_writable(key_result)
    if "objective" in data:
        require_writable(data["objective"])
    assign_fields(key_result, data, KEY_RESULT_FIELDS)
    fields = set(data)
    if key_result.last_checkin_at is None and "start_value" in data:
        # Before the first check-in the current value is the start value (as key_result_create sets it).
        key_result.current_value = key_result.start_value
        fields.add("current_value")
    key_result.full_clean()
    key_result.save(update_fields=update_fields_for(key_result, fields))
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
@figures_batch()
def key_result_adjust(
    *, key_result: KeyResult, actor, data: dict[str, Any], reason: str = "", version: int | None = None
) -> KeyResult:
    """Change a key result. Once published, changing its title, kind, start, target or unit needs a reason.

    The change, who made it, when, and why are kept in the key result's history. Every edit path (the
    workshop pages, the REST API) goes through here so the rule cannot be skipped.
    """
    lock_at_version(key_result, expected=version)
    require_writable(key_result)
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("Keep the reason short (at most 300 characters).")})
    changed = key_result_changed_fields(key_result, data)
    if is_published(key_result.objective) and any(name in ADJUSTED_FIELDS for name in changed) and not reason:
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
    require_writable(key_result)
    key_result.delete()


@transaction.atomic
def initiative_update(
    *, initiative: Initiative, data: dict[str, Any], version: int | None = None
) -> Initiative:
    lock_at_version(initiative, expected=version)
    require_writable(initiative)
    if "objective" in data:
        require_writable(data["objective"])
    assign_fields(initiative, data, INITIATIVE_FIELDS)
    initiative.full_clean()
    initiative.save(update_fields=update_fields_for(initiative, data))
    return initiative


@transaction.atomic
def initiative_delete(*, initiative: Initiative) -> None:
    require_writable(initiative)
    initiative.delete()


# --- A key result's planned path ------------------------------------------------------------------------


@transaction.atomic
@figures_batch()
def key_result_plan_set(
    *, key_result: KeyResult, actor, milestones: Sequence[tuple[date, Decimal | int]]
) -> list[Milestone]:
    """Make ``milestones`` (date, planned value) the key result's whole planned path; an empty list removes
    the plan. Unchanged milestones are kept, so the history records only what changed. Every milestone is
    checked (``Milestone.clean`` and its constraints); on any error nothing changes and every error is
    reported, each with its date."""
    require_writable(key_result)
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
