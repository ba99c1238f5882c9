"""Writes for goal workshops: drafting, publishing, mid-cycle adjustments, closing, carrying over, KPIs.

Each service validates with full_clean() inside a transaction; the views check permissions first.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from objectives import services as objective_services
from objectives.models import Cycle, KeyResult, Kpi, KpiMeasurement, Objective, Retrospective
from objectives.signals import figures_batch, figures_touched
from objectives.writability import require_writable
from okrhub.versioning import bump
from teams.models import Team

# Adjusting a key result (the reason rule) is objectives.services.key_result_adjust, for the API too.
REASON_MAX_LENGTH = objective_services.REASON_MAX_LENGTH


# --- Publishing ---------------------------------------------------------------------------------------------


@transaction.atomic
def objectives_publish(*, objectives: QuerySet[Objective], cycle: Cycle) -> int:
    """Publish the drafts among these objectives in one go: *published* in a cycle in planning (active with
    the cycle), *active* in an active cycle. Returns how many."""
    require_writable(cycle)
    drafts = objectives.filter(cycle=cycle, status=Objective.Status.DRAFT)
    team_ids = set(drafts.values_list("team_id", flat=True).distinct())
    count = drafts.update(status=cycle.published_objective_status, updated_at=timezone.now(), **bump())
    # The update sends no model signals: the teams' rollups are recomputed here, in this transaction.
    figures_touched((cycle.pk, team_id) for team_id in team_ids)
    return count


@transaction.atomic
def team_cycle_publish(*, team: Team, cycle: Cycle) -> int:
    """Publish every draft of the team in the cycle in one go; returns how many."""
    return objectives_publish(objectives=Objective.objects.filter(team=team), cycle=cycle)


# --- Retiring mid-cycle -------------------------------------------------------------------------------------


@transaction.atomic
def key_result_retire(*, key_result: KeyResult, actor, reason: str) -> KeyResult:
    """Stop counting a key result mid-cycle. It stays, with its history and check-ins, but out of progress."""
    require_writable(key_result)  # a retired key result is read-only, so it is not retired twice
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a short reason for retiring the key result.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("Keep the reason short (at most 300 characters).")})
    key_result.retired_at = timezone.now()
    key_result._change_reason = reason
    key_result._history_user = actor
    key_result.full_clean()
    key_result.save()
    return key_result


# --- Closing a cycle ----------------------------------------------------------------------------------------


@transaction.atomic
def key_result_grade(*, key_result: KeyResult, actor, score: Decimal | str | float) -> KeyResult:
    require_writable(key_result)
    try:
        value = Decimal(str(score)).quantize(Decimal("0.01"))
    except ArithmeticError as error:
        raise ValidationError({"final_score": _("Enter a score between 0.0 and 1.0.")}) from error
    if not (Decimal(0) <= value <= Decimal(1)):
        raise ValidationError({"final_score": _("Enter a score between 0.0 and 1.0.")})
    key_result.final_score = value
    key_result._change_reason = _("Final score")
    key_result._history_user = actor
    key_result.full_clean()
    key_result.save()
    return key_result


@transaction.atomic
def retrospective_save(
    *, team: Team, cycle: Cycle, actor, what_worked: str, what_to_change: str
) -> Retrospective:
    require_writable(cycle)
    retrospective = Retrospective.objects.select_for_update().filter(team=team, cycle=cycle).first()
    if retrospective is None:
        retrospective = Retrospective(team=team, cycle=cycle)
    retrospective.what_worked = what_worked.strip()
    retrospective.what_to_change = what_to_change.strip()
    retrospective.updated_by = actor
    retrospective.full_clean()
    retrospective.save()
    return retrospective


@transaction.atomic
@figures_batch()
def team_cycle_close(*, team: Team, cycle: Cycle, actor) -> int:
    """Close the team's part of the cycle: ungraded key results get their progress as score, objectives are
    archived (read-only). Returns the number of objectives archived."""
    require_writable(cycle)
    objectives = Objective.objects.filter(team=team, cycle=cycle, status=Objective.Status.ACTIVE)
    objective_services.fill_missing_scores(
        KeyResult.objects.in_progress().filter(objective__in=objectives).select_related("objective"), actor
    )
    count = objectives.update(status=Objective.Status.ARCHIVED, updated_at=timezone.now(), **bump())
    figures_touched([(cycle.pk, team.pk)])  # the update sends no model signals
    return count


# The whole cycle closes through the lifecycle service, the same one the cycles page and the API use.
cycle_close = objective_services.cycle_close


def is_unfinished(key_result: KeyResult) -> bool:
    score = key_result.final_score
    return (score if score is not None else Decimal(str(key_result.progress))) < 1


@transaction.atomic
def carry_over(*, team: Team, source: Cycle, target: Cycle, key_result_ids: Iterable[int]) -> list[Objective]:
    """Copy the chosen unfinished key results, with their objectives, into ``target`` as drafts.

    A copied key result starts where the old one ended (its current value) and keeps its target.
    """
    require_writable(target)
    if target.pk == source.pk or target.start_date <= source.start_date:
        raise ValidationError(_("Carry over into a later cycle."))
    chosen = list(
        KeyResult.objects.in_progress()
        .filter(pk__in=list(key_result_ids), objective__team=team, objective__cycle=source)
        .exclude(objective__status=Objective.Status.DRAFT)
        .select_related("objective")
        .order_by("objective__position", "objective_id", "position", "id")
    )
    if not chosen:
        raise ValidationError(_("Choose at least one unfinished key result."))
    copies: dict[int, Objective] = {}
    for key_result in chosen:
        if not is_unfinished(key_result):
            raise ValidationError(
                _("“%(title)s” is finished; only unfinished key results are carried over.")
                % {"title": key_result.title}
            )
        old = key_result.objective
        if old.pk not in copies:
            copies[old.pk] = objective_services.objective_create(
                team=team,
                cycle=target,
                title=old.title,
                description=old.description,
                owner=old.owner,
                position=old.position,
            )
        start = key_result.current_value
        target_value = key_result.target_value
        if key_result.kind in (KeyResult.Kind.INCREASE_TO, KeyResult.Kind.DECREASE_TO):
            # Start where we ended; the check constraints keep the direction valid.
            if key_result.kind == KeyResult.Kind.INCREASE_TO:
                start = min(start, target_value)
            else:
                start = max(start, target_value)
        if key_result.kind == KeyResult.Kind.ACHIEVE:
            start, target_value = Decimal(0), Decimal(1)
        objective_services.key_result_create(
            objective=copies[old.pk],
            title=key_result.title,
            owner=key_result.owner,
            kind=key_result.kind,
            unit=key_result.unit,
            start_value=start,
            target_value=target_value,
            weight=key_result.weight,
            position=key_result.position,
        )
    return list(copies.values())


# --- KPIs ---------------------------------------------------------------------------------------------------


@transaction.atomic
def kpi_promote(
    *,
    key_result: KeyResult,
    actor,
    name: str,
    unit: str,
    kind: str,
    target_value: Decimal,
) -> Kpi:
    """Turn a key result that proved its worth into a lasting team KPI; the key result keeps the link."""
    if Kpi.objects.filter(source_key_result=key_result).exists():
        raise ValidationError(_("This key result is already a KPI."))
    if key_result.objective.status == Objective.Status.DRAFT:
        raise ValidationError(_("Publish the key result before promoting it to a KPI."))
    kpi = Kpi(
        team_id=key_result.objective.team_id,
        name=name.strip(),
        unit=unit.strip(),
        kind=kind,
        start_value=key_result.start_value,
        target_value=target_value,
        current_value=key_result.current_value,
        last_measured_at=key_result.last_checkin_at,
        source_key_result=key_result,
        created_by=actor,
    )
    kpi.full_clean()
    kpi.save()
    return kpi


@transaction.atomic
def kpi_checkin_submit(
    *, kpi: Kpi, author, value: Decimal | int | str, note: str = "", created_at=None
) -> KpiMeasurement:
    """Check in on a KPI; like a key result, its current value follows the latest check-in."""
    locked = Kpi.objects.select_for_update().get(pk=kpi.pk)
    require_writable(locked)
    measurement = KpiMeasurement(
        kpi=locked, author=author, value=value, note=note.strip(), created_at=created_at or timezone.now()
    )
    measurement.full_clean()
    measurement.save()
    latest = KpiMeasurement.objects.filter(kpi=locked).order_by("-created_at", "-id").first()
    locked.current_value = latest.value
    locked.last_measured_at = latest.created_at
    locked.save(update_fields=["current_value", "last_measured_at", "updated_at"])
    kpi.current_value, kpi.last_measured_at = locked.current_value, locked.last_measured_at
    return measurement
