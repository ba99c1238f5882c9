"""One read model for a key result's figures: progress, expected progress, health, the needs-attention
reasons with their labels, and its latest check-in. My week, the key result page, team pages, the dashboard,
exports, reminders, digests and the API all read a key result through here; the rules themselves are the
pure functions of ``objectives.progress``, the words those of ``objectives.labels``.

Three entry points, one computation:

- ``figures_of(key_result)``: one key result (its ``objective.cycle`` loaded, so no query);
- ``figures_for(key_results)``: many, by id;
- ``figures_from_values(...)``: the fast path for pages that read thousands of key results as tuples
  (``values_list``) instead of model instances (the dashboard, see ``bench/README.md``).

The latest check-in is the one the check-in service keeps on the key result (``current_value``,
``confidence``, ``last_checkin_at``), so no figure needs a query of its own. A planned path (milestones)
costs at most one query for a whole list, and none when no key result in it has a plan: annotate the
query with ``has_plan=plan_exists()`` (or prefetch ``milestones``) and call ``plans_prefetch`` before
reading many.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal

from django.db.models import Exists, OuterRef, prefetch_related_objects
from django.utils import timezone

from objectives import progress as rules
from objectives.labels import HEALTH_LABELS, REASON_LABELS
from objectives.models import Cycle, KeyResult, Milestone


@dataclass(frozen=True, slots=True)
class Moment:
    """When the figures are computed: the day and the time zone that dates a check-in (once per request)."""

    today: date
    tz: tzinfo


def moment_now(*, today: date | None = None, tz: tzinfo | None = None) -> Moment:
    tz = tz or timezone.get_current_timezone()
    return Moment(today=today or timezone.localdate(timezone=tz), tz=tz)


@dataclass(slots=True)
class KeyResultFigures:
    """What a key result's numbers mean today, computed once for every page that shows it."""

    progress: float
    expected: float | None  # None where a pace means nothing for the kind of key result
    health: str
    reasons: tuple[str, ...]  # needs-attention codes, in the order of ``rules.ATTENTION_REASONS``
    confidence: int | None  # of the latest check-in
    last_checkin_at: datetime | None
    last_checkin_date: date | None  # the latest check-in's day in the moment's time zone

    @property
    def progress_percent(self) -> int:
        return round(self.progress * 100)

    @property
    def expected_percent(self) -> int | None:
        return None if self.expected is None else round(self.expected * 100)

    @property
    def health_label(self) -> str:
        return str(HEALTH_LABELS[self.health])

    @property
    def confidence_band(self) -> str | None:
        return rules.confidence_band(self.confidence)

    @property
    def reason_labels(self) -> list[tuple[str, str]]:
        """(code, translated text) for each reason: the code names the badge's style."""
        return [(reason, str(REASON_LABELS[reason])) for reason in self.reasons]

    @property
    def reason_texts(self) -> tuple[str, ...]:
        return tuple(str(REASON_LABELS[reason]) for reason in self.reasons)


class FiguresMixin:
    """For the rows a page lists: the figures' values under the row's own name (``row.health_label``)."""

    figures: KeyResultFigures

    progress = property(lambda self: self.figures.progress)
    expected = property(lambda self: self.figures.expected)
    health = property(lambda self: self.figures.health)
    reasons = property(lambda self: self.figures.reasons)
    progress_percent = property(lambda self: self.figures.progress_percent)
    expected_percent = property(lambda self: self.figures.expected_percent)
    health_label = property(lambda self: self.figures.health_label)
    confidence_band = property(lambda self: self.figures.confidence_band)
    reason_labels = property(lambda self: self.figures.reason_labels)
    last_checkin_date = property(lambda self: self.figures.last_checkin_date)


def plan_exists() -> Exists:
    """Annotation ``has_plan``: whether a key result has milestones, so lists read plans only when some do."""
    return Exists(Milestone.objects.filter(key_result=OuterRef("pk")))


def _needs_plan(key_result: KeyResult) -> bool:
    return (
        key_result.kind in rules.PACED_KINDS
        and "milestones" not in getattr(key_result, "_prefetched_objects_cache", {})
        and getattr(key_result, "has_plan", True) is not False
    )


def plans_prefetch(key_results: Iterable[KeyResult]) -> None:
    """Load the milestones of those key results that may have a plan, in one query (none when no one does)."""
    wanted = [key_result for key_result in key_results if _needs_plan(key_result)]
    if wanted:
        prefetch_related_objects(wanted, "milestones")


def _plan(key_result: KeyResult) -> tuple:
    if key_result.kind not in rules.PACED_KINDS or getattr(key_result, "has_plan", True) is False:
        return ()
    return key_result.plan


def plans_by_key_result(key_result_ids: Iterable[int]) -> dict[int, list[tuple]]:
    """key result id → its milestones as (date, planned value) by date, in one query (the fast path)."""
    key_result_ids = list(key_result_ids)
    plans: dict[int, list[tuple]] = {}
    if key_result_ids:
        for key_result_id, day, value in (
            Milestone.objects.filter(key_result_id__in=key_result_ids)
            .order_by("key_result_id", "date")
            .values_list("key_result_id", "date", "planned_value")
        ):
            plans.setdefault(key_result_id, []).append((day, value))
    return plans


def figures_from_values(
    *,
    kind: str,
    start: Decimal,
    target: Decimal,
    current: Decimal,
    confidence: int | None,
    has_owner: bool,
    last_checkin_at: datetime | None,
    cycle: Cycle,
    moment: Moment,
    milestones=(),
    owner_active: bool = True,
) -> KeyResultFigures:
    """The figures from a key result's columns (the fast path: no model instance needed)."""
    last = last_checkin_at.astimezone(moment.tz).date() if last_checkin_at else None
    applied = rules.key_result_figures(
        kind=kind,
        start=start,
        target=target,
        current=current,
        confidence=confidence,
        has_owner=has_owner,
        last_checkin=last,
        cycle_start=cycle.start_date,
        cycle_end=cycle.end_date,
        cycle_active=cycle.status == Cycle.Status.ACTIVE,
        today=moment.today,
        milestones=milestones,
        owner_active=owner_active,
    )
    return KeyResultFigures(
        progress=applied.progress,
        expected=applied.expected,
        health=applied.health,
        reasons=applied.reasons,
        confidence=confidence,
        last_checkin_at=last_checkin_at,
        last_checkin_date=last,
    )


def figures_of(
    key_result: KeyResult, *, moment: Moment | None = None, cycle: Cycle | None = None
) -> KeyResultFigures:
    """One key result's figures; ``cycle`` defaults to ``key_result.objective.cycle`` (load it with
    ``select_related``, its ``owner`` too, to stay free of queries, and its plan: see ``plans_prefetch``)."""
    return figures_from_values(
        kind=key_result.kind,
        start=key_result.start_value,
        target=key_result.target_value,
        current=key_result.current_value,
        confidence=key_result.confidence,
        has_owner=key_result.owner_id is not None,
        owner_active=key_result.owner_id is None or key_result.owner.is_active,
        last_checkin_at=key_result.last_checkin_at,
        cycle=cycle or key_result.objective.cycle,
        moment=moment or moment_now(),
        milestones=_plan(key_result),
    )


def figures_for(
    key_results: Iterable[KeyResult], *, moment: Moment | None = None, cycle: Cycle | None = None
) -> dict[int, KeyResultFigures]:
    """Figures of many key results by id, with no query per key result (plans in at most one)."""
    key_results = list(key_results)
    plans_prefetch(key_results)
    moment = moment or moment_now()
    return {key_result.pk: figures_of(key_result, moment=moment, cycle=cycle) for key_result in key_results}
