"""Rollups: a team's dashboard figures per cycle, marked dirty by every write that changes them and
recomputed by the worker right after (or by the next read), so the organisation dashboard reads a few rows
per team instead of judging every key result.

What is stored per cycle × team (``checkins.models``), all computed here through the one read model
(``objectives.figures``) from the rows a write leaves behind:

- ``TeamRollup``: published objectives, draft objectives, counted key results, the sum of the objectives'
  progress, and who owns something (for "members who own nothing");
- ``HealthStep``: health depends on the day (the expected pace grows with the cycle), but only through the
  stored dates, so each key result's health is stored as the days it changes: +1 "at risk or worse" from the
  day it falls behind, and so on. A day's counts are sums of the steps up to that day (one ``SUM`` over the
  scope), so nothing goes stale at midnight;
- ``CheckInWeek``: key results checked in per week (what ``COUNT(DISTINCT …)`` over every check-in of the
  cycle used to count on every request);
- ``AttentionSpan``: the days a key result needs attention for each reason that depends on its values and
  dates (off track, low confidence, stale, back-loaded). "No owner" and "owner deactivated" are read from the
  owner column at read time: deactivating or deleting a user is not a write of this layer.

Writes announce what they touched with ``objectives.signals.figures_touched`` (model signals do it for
saves and deletes); ``mark_dirty`` marks those teams' ``TeamRollup`` rows dirty in the write's transaction
(two statements: a check-in stays cheap however large the team), and queues ``checkins.refresh_rollups``
for after the commit (the beat runs it every minute too). ``refresh_dirty`` recomputes the dirty teams,
each under a row lock on its ``TeamRollup``, so a write and a recomputation of the same team take turns
and no change is lost. A reader of the figures (``dashboards.selectors.dashboard_get``) recomputes what is
still dirty in its scope first, so a page never shows figures older than the last committed write; with
the worker keeping up, that costs the reader one query.

Why not recompute in the write's transaction: every save would pay the team's recomputation (about twenty
statements a check-in, and the whole test suite 2.5× slower, ``bench/README.md``); with marks, a burst of
check-ins in one team is recomputed once. ``verify`` compares every clean rollup with a fresh
recomputation (``manage.py verify_rollups [--fix]``); a dirty one is pending by design.

Each recomputation gives the cycle a new ``RollupState.generation`` in its transaction: readers keep what
they derive from the rollups alone in the cache under it (``dashboards.selectors``), so a dashboard that
nothing changed since reads no rollup row at all.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DateField, Exists, OuterRef, Q, Subquery
from django.db.models.functions import TruncWeek
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver
from django.utils import timezone

from checkins.models import (
    AttentionSegment,
    AttentionSpan,
    CheckIn,
    CheckInWeek,
    HealthStep,
    RollupState,
    TeamRollup,
)
from objectives import progress as rules
from objectives.figures import Moment, figures_from_values, plan_exists, plans_by_key_result
from objectives.models import Cycle, Initiative, KeyResult, Objective
from objectives.signals import figures_changed, figures_touched
from okrhub.lib import bulk_insert, bulk_set
from teams.models import Team
from teams.tree import tree_reordered

logger = logging.getLogger(__name__)

EVER = date(1, 1, 1)  # the day a state that holds from the start of time is stored on
PLAN_SCAN_DAYS = 3660
CHUNK = 400  # teams recomputed per round (bounded memory and query parameters, SQLite's too)
# The reasons stored as spans; the owner reasons are read at read time (see the module's docstring).
STORED_REASONS = (rules.OFF_TRACK, rules.LOW_CONFIDENCE, rules.STALE, rules.BACK_LOADED, rules.NO_OWNER)

Span = tuple[date, date | None]


@dataclass
class TeamFigures:
    """Everything stored for one team in one cycle, as ``compute`` finds it."""

    objectives: int = 0
    drafts: int = 0
    key_results: int = 0
    progress_sum: float = 0.0
    owners: set[int] = field(default_factory=set)
    # day → [at risk or worse, off track, needing attention for a stored reason]
    steps: dict[date, list[int]] = field(default_factory=dict)
    weeks: dict[date, int] = field(default_factory=dict)
    spans: set[tuple[int, str, date, date | None]] = field(default_factory=set)  # (key result, reason, …)
    places: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # key result → its list order

    segments: set[tuple[int, date, date | None, int]] = field(default_factory=set)  # (key result, …, reasons)

    def step(self, day: date, index: int, delta: int) -> None:
        self.steps.setdefault(day, [0, 0, 0])[index] += delta

    def clean_steps(self) -> dict[date, tuple[int, int, int]]:
        return {day: (a, b, c) for day, (a, b, c) in self.steps.items() if a or b or c}


# --- One key result over the days of its cycle ----------------------------------------------------------


def _runs(test: Callable[[int], bool], last: int, *, monotone: bool, first_day: date) -> list[Span]:
    """The days (as spans) on which ``test(offset)`` holds, for offsets 0..last of the cycle. Offset 0 stands
    for every day up to the cycle's start, ``last`` for every day after its end (nothing changes there)."""

    def day(offset: int) -> date:
        if offset == 0:
            return EVER
        try:
            return first_day + timedelta(days=offset)
        except OverflowError:  # a cycle stored up to the last representable day
            return date.max

    if monotone:  # false, then true for good: find where it turns
        if not test(last):
            return []
        lo, hi = 0, last
        while lo < hi:
            mid = (lo + hi) // 2
            if test(mid):
                hi = mid
            else:
                lo = mid + 1
        return [(day(lo), None)]
    spans: list[Span] = []
    begun: int | None = None
    for offset in range(last + 1):
        if test(offset):
            if begun is None:
                begun = offset
        elif begun is not None:
            spans.append((day(begun), day(offset)))
            begun = None
    if begun is not None:
        spans.append((day(begun), None))
    return spans


def segments_of(spans: Iterable[Span]) -> list[tuple[date, date | None, int]]:
    """The days a key result needs attention for how many of its reasons at once, from each reason's
    spans: (start, end or None, reasons), consecutive and never zero."""
    changes: dict[date, int] = {}
    for begin, end in spans:
        changes[begin] = changes.get(begin, 0) + 1
        if end is not None:
            changes[end] = changes.get(end, 0) - 1
    result: list[tuple[date, date | None, int]] = []
    level, since = 0, EVER
    for day in sorted(changes):
        if not changes[day]:
            continue
        if level:
            result.append((since, day, level))
        level, since = level + changes[day], day
    if level:
        result.append((since, None, level))
    return result


def key_result_timeline(
    *,
    kind: str,
    start,
    target,
    current,
    confidence: int | None,
    last_checkin_at: datetime | None,
    milestones: Iterable,
    cycle: Cycle,
    tz,
) -> tuple[float, list[Span], list[Span], dict[str, list[Span]]]:
    """Progress, the spans of days at risk or worse and off track, and the spans of each stored reason.

    Each day is judged by the read model itself (``figures_from_values`` with that day as today); without a
    plan, health and back-loading only get worse as the cycle goes on, so a binary search finds the day they
    turn, and with a plan every day of the cycle is judged.
    """
    milestones = tuple(milestones)
    cycle_start = cycle.start_date
    last = max((cycle.end_date - cycle_start).days + 1, 1)
    judged: dict[int, object] = {}

    def judge(offset: int):
        if offset not in judged:
            try:
                today = cycle_start + timedelta(days=offset)
            except OverflowError:
                today = date.max
            judged[offset] = figures_from_values(
                kind=kind,
                start=start,
                target=target,
                current=current,
                confidence=confidence,
                has_owner=True,
                last_checkin_at=last_checkin_at,
                cycle=cycle,
                moment=Moment(today=today, tz=tz),
                milestones=milestones,
            )
        return judged[offset]

    # Judging each day of a plan is bounded: a cycle longer than ten years (only stored data outside the
    # validators can say so) is searched as if its plan were a straight line.
    monotone = not (milestones and kind in rules.PACED_KINDS) or last > PLAN_SCAN_DAYS
    runs = {"monotone": monotone, "first_day": cycle_start}
    at_risk = _runs(lambda o: rules.HEALTH_SEVERITY[judge(o).health] >= 1, last, **runs)
    off_track = _runs(lambda o: rules.HEALTH_SEVERITY[judge(o).health] >= 2, last, **runs)
    reasons: dict[str, list[Span]] = {
        rules.OFF_TRACK: off_track,
        rules.BACK_LOADED: _runs(lambda o: rules.BACK_LOADED in judge(o).reasons, last, **runs),
        rules.LOW_CONFIDENCE: [(EVER, None)] if rules.LOW_CONFIDENCE in judge(0).reasons else [],
        rules.STALE: [],
    }
    if cycle.status == Cycle.Status.ACTIVE:  # rules.is_stale: STALE_DAYS after the later of both days
        last_day = last_checkin_at.astimezone(tz).date() if last_checkin_at else None
        since = cycle_start if last_day is None else max(last_day, cycle_start)
        if since <= date.max - timedelta(days=rules.STALE_DAYS):
            reasons[rules.STALE] = [(since + timedelta(days=rules.STALE_DAYS), None)]
    return judge(0).progress, at_risk, off_track, reasons


# --- A team in a cycle ----------------------------------------------------------------------------------


def _counted_key_results(cycle: Cycle, team_ids: list[int]):
    """The key results the figures count: not retired, of the cycle's active objectives of these teams."""
    return (
        KeyResult.objects.in_progress()
        .filter(
            objective__cycle=cycle, objective__status=Objective.Status.ACTIVE, objective__team_id__in=team_ids
        )
        .annotate(has_plan=plan_exists())
    )


def compute(cycle: Cycle, team_ids: Iterable[int]) -> dict[int, TeamFigures]:
    """What the rollups of these teams in this cycle should hold, from the objectives, key results and
    check-ins (five queries for any number of teams, one more when some key result has a plan)."""
    team_ids = list(team_ids)
    result: dict[int, TeamFigures] = {team_id: TeamFigures() for team_id in team_ids}
    tz = timezone.get_current_timezone()
    progress_of: dict[int, list[tuple[float, object]]] = {}
    team_of: dict[int, int] = {}
    for objective_id, team_id, owner_id, status in (
        Objective.objects.filter(cycle=cycle, team_id__in=team_ids)
        .exclude(status=Objective.Status.ARCHIVED)
        .values_list("id", "team_id", "owner_id", "status")
    ):
        figures = result[team_id]
        if status == Objective.Status.DRAFT:
            figures.drafts += 1
            continue
        figures.objectives += 1
        progress_of[objective_id] = []
        team_of[objective_id] = team_id
        if owner_id:
            figures.owners.add(owner_id)
    rows = list(
        _counted_key_results(cycle, team_ids).values_list(
            "id",
            "objective_id",
            "kind",
            "start_value",
            "target_value",
            "current_value",
            "confidence",
            "weight",
            "last_checkin_at",
            "owner_id",
            "objective__position",
            "position",
            "has_plan",
        )
    )
    plans = plans_by_key_result(row[0] for row in rows if row[-1])
    for row in rows:
        key_result_id, objective_id, kind, start, target, current, confidence, weight, last, owner = row[:10]
        figures = result[team_of[objective_id]]
        value, at_risk, off_track, reasons = key_result_timeline(
            kind=kind,
            start=start,
            target=target,
            current=current,
            confidence=confidence,
            last_checkin_at=last,
            milestones=plans.get(key_result_id, ()),
            cycle=cycle,
            tz=tz,
        )
        progress_of[objective_id].append((value, weight))
        figures.key_results += 1
        if owner:
            figures.owners.add(owner)
        for index, spans in enumerate((at_risk, off_track)):
            for begin, end in spans:
                figures.step(begin, index, 1)
                if end is not None:
                    figures.step(end, index, -1)
        if owner is None:
            reasons[rules.NO_OWNER] = [(EVER, None)]
        for reason, spans in reasons.items():
            figures.spans.update((key_result_id, reason, begin, end) for begin, end in spans)
        for begin, end, count in segments_of(span for spans in reasons.values() for span in spans):
            figures.segments.add((key_result_id, begin, end, count))
            figures.step(begin, 2, 1)
            if end is not None:
                figures.step(end, 2, -1)
        figures.places[key_result_id] = (row[10], objective_id, row[11])
    for objective_id, items in progress_of.items():
        result[team_of[objective_id]].progress_sum += rules.objective_progress(items)
    for team_id, owner_id in (
        Initiative.objects.filter(
            objective__cycle=cycle,
            objective__status=Objective.Status.ACTIVE,
            objective__team_id__in=team_ids,
            owner__isnull=False,
        )
        .values_list("objective__team_id", "owner_id")
        .distinct()
    ):
        result[team_id].owners.add(owner_id)
    for team_id, week, checked in (
        CheckIn.objects.filter(
            key_result__objective__cycle=cycle,
            key_result__objective__status=Objective.Status.ACTIVE,
            key_result__retired_at__isnull=True,
            key_result__objective__team_id__in=team_ids,
        )
        .annotate(week=TruncWeek("created_at", output_field=DateField()))
        .values_list("key_result__objective__team_id", "week")
        .annotate(checked=Count("key_result_id", distinct=True))
        .order_by()
    ):
        result[team_id].weeks[week.date() if isinstance(week, datetime) else week] = checked
    return result


def _teams_of_cycle(cycle: Cycle) -> set[int]:
    return set(Objective.objects.filter(cycle=cycle).values_list("team_id", flat=True).distinct()) | set(
        TeamRollup.objects.filter(cycle=cycle).values_list("team_id", flat=True)
    )


def _chunks(items: list[int]) -> Iterable[list[int]]:
    for index in range(0, len(items), CHUNK):
        yield items[index : index + CHUNK]


@transaction.atomic
def refresh(*, cycle_id: int, team_ids: Iterable[int] | None = None, dirty_only: bool = False) -> int:
    """Recompute the rollups of these teams in the cycle (every team of the cycle: None). Returns how many.

    The ``TeamRollup`` rows are locked first, in team order (no deadlock between two refreshes), and a write
    marks them dirty with an ``UPDATE`` of the same rows (``mark_dirty``): a refresh that locked a row first
    finishes before the write's mark lands (and the mark then asks for another refresh); a write that marked
    first is committed before the refresh reads anything. Either way no change is lost. ``dirty_only``: of
    those, only the rows still dirty once locked (another refresh may have done them meanwhile)."""
    cycle = Cycle.objects.filter(pk=cycle_id).first()
    if cycle is None:  # deleted with everything in it
        return 0
    wanted = _teams_of_cycle(cycle) if team_ids is None else set(team_ids)
    places = dict(Team.objects.filter(pk__in=wanted).values_list("pk", "tree_position")) if wanted else {}
    done = 0
    for chunk in _chunks(sorted(places)):
        if not dirty_only:
            TeamRollup.objects.bulk_create(
                [TeamRollup(cycle=cycle, team_id=team_id) for team_id in chunk], ignore_conflicts=True
            )
        locked = list(
            TeamRollup.objects.select_for_update().filter(cycle=cycle, team_id__in=chunk).order_by("team_id")
        )
        if dirty_only:
            locked = [rollup for rollup in locked if rollup.dirty]
            chunk = [rollup.team_id for rollup in locked]
            if not chunk:
                continue
        computed = compute(cycle, chunk)
        for model in (HealthStep, CheckInWeek, AttentionSpan, AttentionSegment):
            model.objects.filter(cycle=cycle, team_id__in=chunk).delete()
        _store(cycle, computed, locked, places)
        done += len(chunk)
    if done:
        _new_generation(cycle.pk)
    return done


def _new_generation(cycle_id: int) -> None:
    """The cycle's rollups changed: readers stop using what they cached from them. The state row is locked
    last, after every ``TeamRollup`` row of the recomputation (and held only until its commit), so two
    recomputations never wait for each other in a circle."""
    if not RollupState.objects.filter(cycle_id=cycle_id).update(generation=uuid.uuid4()):
        RollupState.objects.bulk_create(
            [RollupState(cycle_id=cycle_id, generation=uuid.uuid4())],
            update_conflicts=True,
            unique_fields=["cycle"],
            update_fields=["generation"],
        )


def fresh_generation(*, cycle_id: int, team_ids: Iterable[int] | None = None) -> uuid.UUID | None:
    """Recompute what is dirty in the cycle (of these teams; all: None), then return the cycle's generation
    (``generation``): one query when nothing is dirty, the common case with the worker keeping up."""
    team_ids = None if team_ids is None else list(team_ids)
    dirty = TeamRollup.objects.filter(cycle_id=cycle_id, dirty=True)
    if team_ids is not None:
        dirty = dirty.filter(team_id__in=team_ids)
    state = (
        RollupState.objects.filter(cycle_id=cycle_id)
        .annotate(any_dirty=Exists(dirty))
        .values_list("generation", "any_dirty")
        .first()
    )
    if state is not None and not state[1]:
        return state[0]
    refresh_dirty(cycle_id=cycle_id, team_ids=team_ids)
    return generation(cycle_id)


def generation(cycle_id: int) -> uuid.UUID | None:
    """The cycle's rollups generation (None before their first recomputation): a cache key of what is derived
    from them. Read it after ``refresh_dirty``, then the rollups: what is read is never older than it."""
    return RollupState.objects.filter(cycle_id=cycle_id).values_list("generation", flat=True).first()


def _store(
    cycle: Cycle, computed: dict[int, TeamFigures], locked: list[TeamRollup], places: dict[int, int]
) -> None:
    for rollup in locked:
        figures = computed[rollup.team_id]
        rollup.objectives, rollup.key_results = figures.objectives, figures.key_results
        rollup.drafts = figures.drafts
        rollup.progress_sum, rollup.owners = figures.progress_sum, sorted(figures.owners)
        rollup.dirty = False
    bulk_set(TeamRollup, locked, ["objectives", "drafts", "key_results", "progress_sum", "owners", "dirty"])
    bulk_insert(
        HealthStep,
        [
            HealthStep(cycle=cycle, team_id=team_id, day=day, at_risk_or_worse=a, off_track=b, attention=c)
            for team_id, figures in computed.items()
            for day, (a, b, c) in figures.clean_steps().items()
        ],
    )
    bulk_insert(
        CheckInWeek,
        [
            CheckInWeek(cycle=cycle, team_id=team_id, week=week, checked=checked)
            for team_id, figures in computed.items()
            for week, checked in figures.weeks.items()
        ],
    )
    bulk_insert(
        AttentionSpan,
        [
            AttentionSpan(
                cycle=cycle,
                team_id=team_id,
                key_result_id=key_result_id,
                reason=reason,
                start=start,
                end=end,
                objective_position=figures.places[key_result_id][0],
                objective_id_order=figures.places[key_result_id][1],
                key_result_position=figures.places[key_result_id][2],
            )
            for team_id, figures in computed.items()
            for key_result_id, reason, start, end in figures.spans
        ],
    )
    bulk_insert(
        AttentionSegment,
        [
            AttentionSegment(
                cycle=cycle,
                team_id=team_id,
                key_result_id=key_result_id,
                start=start,
                end=end,
                reasons=count,
                team_place=places.get(team_id, 0),
                objective_position=figures.places[key_result_id][0],
                objective_id_order=figures.places[key_result_id][1],
                key_result_position=figures.places[key_result_id][2],
            )
            for team_id, figures in computed.items()
            for key_result_id, start, end, count in figures.segments
        ],
    )


def refresh_all() -> int:
    """Every team of every cycle (the backfill, and the bulk seed's last step)."""
    return sum(refresh(cycle_id=cycle_id) for cycle_id in Cycle.objects.values_list("pk", flat=True))


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL)
def _owner_leaving(sender, instance, **kwargs) -> None:
    # Deleting a user sets their key results' owner to NULL without a save: "no owner" must follow.
    instance._figures_pairs = set(
        KeyResult.objects.filter(owner=instance).values_list("objective__cycle_id", "objective__team_id")
    )


@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def _owner_left(sender, instance, **kwargs) -> None:
    figures_touched(getattr(instance, "_figures_pairs", ()))


def mark_dirty(pairs: Iterable[tuple[int, int | None]]) -> None:
    """These (cycle id, team id or None for every team of the cycle) pairs changed: mark their rollups dirty,
    in the write's transaction, in two statements whatever the write: an ``UPDATE`` of the rows there are
    (unconditional: it waits for a refresh holding the row, so its mark lands after that refresh), then an
    ``INSERT … SELECT`` of a dirty row for each pair with an objective and no row yet (a first objective).
    A team being deleted gets no new row (its rows go with it)."""
    whole: set[int] = set()
    teams: dict[int, set[int]] = {}
    for cycle_id, team_id in pairs:
        if team_id is None:
            whole.add(cycle_id)
        else:
            teams.setdefault(cycle_id, set()).add(team_id)
    if not whole and not teams:
        return
    condition = Q(cycle_id__in=sorted(whole)) if whole else Q()
    for cycle_id, team_ids in teams.items():
        if cycle_id not in whole:
            pair = Q(cycle_id=cycle_id, team_id__in=sorted(team_ids))
            condition = condition | pair if condition else pair
    TeamRollup.objects.filter(condition).update(dirty=True)
    _insert_missing(Objective.objects.filter(condition).exclude(team_id__in=_teams_being_deleted()))
    _refresh_soon()


_local = threading.local()


def _teams_being_deleted() -> set[int]:
    return getattr(_local, "teams", set())


@receiver(pre_delete, sender=Team)
def _team_deletion_begins(sender, instance: Team, **kwargs) -> None:
    # Its objectives are deleted before it, and their deletions mark the team: no new row for it then (a
    # cycle cannot be deleted while it has objectives).
    _local.teams = _teams_being_deleted() | {instance.pk}


@receiver(post_delete, sender=Team)
def _team_deletion_ends(sender, instance: Team, **kwargs) -> None:
    _local.teams = _teams_being_deleted() - {instance.pk}


def _insert_missing(objectives) -> None:
    meta = TeamRollup._meta
    select, params = objectives.values("cycle_id", "team_id").distinct().order_by().query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(meta.get_field(name).column)
        for name in (
            "cycle",
            "team",
            "objectives",
            "drafts",
            "key_results",
            "progress_sum",
            "owners",
            "dirty",
        )
    )
    # ``WHERE true``: SQLite's parser needs a WHERE before ON CONFLICT in an INSERT … SELECT.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "
        f"SELECT pairs.cycle_id, pairs.team_id, 0, 0, 0, 0, '[]', %s FROM ({select}) pairs WHERE true "
        "ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (True, *params))


def _refresh_soon() -> None:
    """Once the write commits, ask the worker to recompute what is dirty (``checkins.tasks``), once per
    transaction. A broker that does not answer costs the write nothing: the beat's run every minute and the
    next read of the figures recompute them as well."""
    if any(entry[1] is _enqueue_refresh for entry in connection.run_on_commit):
        return
    transaction.on_commit(_enqueue_refresh)


def _enqueue_refresh() -> None:
    from checkins.tasks import refresh_rollups

    try:
        refresh_rollups.delay()
    except Exception:  # the broker is down: the beat and the readers recompute
        logger.warning("rollups: could not queue checkins.refresh_rollups", exc_info=True)


def refresh_dirty(*, cycle_id: int | None = None, team_ids: Iterable[int] | None = None) -> int:
    """Recompute the dirty rollups (of this cycle and these teams; all: None). One query when none is dirty.
    Returns how many teams were recomputed."""
    dirty = TeamRollup.objects.filter(dirty=True)
    if cycle_id is not None:
        dirty = dirty.filter(cycle_id=cycle_id)
    if team_ids is not None:
        dirty = dirty.filter(team_id__in=list(team_ids))
    by_cycle: dict[int, list[int]] = {}
    for cycle, team in dirty.values_list("cycle_id", "team_id").order_by("cycle_id", "team_id"):
        by_cycle.setdefault(cycle, []).append(team)
    return sum(refresh(cycle_id=cycle, team_ids=teams, dirty_only=True) for cycle, teams in by_cycle.items())


@receiver(figures_changed)
def _figures_changed(sender, pairs, **kwargs) -> None:
    mark_dirty(pairs)


@receiver(tree_reordered)
def _tree_reordered(sender, **kwargs) -> None:
    # The needs-attention list is sorted by the team's place in the tree, copied into each segment: one
    # statement over the segments (a change of the tree is rare).
    AttentionSegment.objects.update(
        team_place=Subquery(Team.objects.filter(pk=OuterRef("team_id")).values("tree_position")[:1])
    )
    RollupState.objects.update(generation=uuid.uuid4())  # the order readers cached is another now


# --- Verification -----------------------------------------------------------------------------------------


def stored(cycle: Cycle, team_ids: list[int]) -> dict[int, TeamFigures]:
    """What the rollups of these teams hold now (missing rows read as zeros, as the dashboard reads them)."""
    result: dict[int, TeamFigures] = {team_id: TeamFigures() for team_id in team_ids}
    for rollup in TeamRollup.objects.filter(cycle=cycle, team_id__in=team_ids):
        figures = result[rollup.team_id]
        figures.objectives, figures.key_results = rollup.objectives, rollup.key_results
        figures.drafts = rollup.drafts
        figures.progress_sum, figures.owners = rollup.progress_sum, set(rollup.owners)
    for step in HealthStep.objects.filter(cycle=cycle, team_id__in=team_ids):
        result[step.team_id].step(step.day, 0, step.at_risk_or_worse)
        result[step.team_id].step(step.day, 1, step.off_track)
        result[step.team_id].step(step.day, 2, step.attention)
    for week in CheckInWeek.objects.filter(cycle=cycle, team_id__in=team_ids):
        result[week.team_id].weeks[week.week] = week.checked
    for segment in AttentionSegment.objects.filter(cycle=cycle, team_id__in=team_ids):
        result[segment.team_id].segments.add(
            (segment.key_result_id, segment.start, segment.end, segment.reasons)
        )
    for span in AttentionSpan.objects.filter(cycle=cycle, team_id__in=team_ids):
        result[span.team_id].spans.add((span.key_result_id, span.reason, span.start, span.end))
        place = (span.objective_position, span.objective_id_order, span.key_result_position)
        result[span.team_id].places[span.key_result_id] = place
    return result


def _differences(expected: TeamFigures, found: TeamFigures) -> list[str]:
    out = []
    for name in ("objectives", "drafts", "key_results", "owners"):
        if getattr(expected, name) != getattr(found, name):
            out.append(f"{name}: {getattr(found, name)!r}, expected {getattr(expected, name)!r}")
    if abs(expected.progress_sum - found.progress_sum) > 1e-9:
        out.append(f"progress_sum: {found.progress_sum!r}, expected {expected.progress_sum!r}")
    if expected.clean_steps() != found.clean_steps():
        out.append("health steps differ")
    if {w: c for w, c in expected.weeks.items() if c} != {w: c for w, c in found.weeks.items() if c}:
        out.append("weekly check-ins differ")
    if expected.segments != found.segments:
        out.append("needs-attention segments differ")
    if expected.spans != found.spans:
        out.append(
            f"needs-attention spans differ ({len(found.spans)} stored, {len(expected.spans)} expected)"
        )
    return out


def judged_today(cycle: Cycle, team_ids: list[int], *, today: date) -> dict[int, tuple]:
    """team id → (at risk or worse, off track, {(key result, reason)}) on ``today``, judging every key result
    with the read model on that day: the day-by-day answer the stored steps and spans must give."""
    moment = Moment(today=today, tz=timezone.get_current_timezone())
    result: dict[int, tuple] = {team_id: [0, 0, set()] for team_id in team_ids}
    rows = list(
        _counted_key_results(cycle, team_ids).values_list(
            "id",
            "objective__team_id",
            "kind",
            "start_value",
            "target_value",
            "current_value",
            "confidence",
            "last_checkin_at",
            "owner_id",
            "has_plan",
        )
    )
    plans = plans_by_key_result(row[0] for row in rows if row[-1])
    for key_result_id, team_id, kind, start, target, current, confidence, last, owner, _ in rows:
        figures = figures_from_values(
            kind=kind,
            start=start,
            target=target,
            current=current,
            confidence=confidence,
            has_owner=owner is not None,
            last_checkin_at=last,
            cycle=cycle,
            moment=moment,
            milestones=plans.get(key_result_id, ()),
        )
        counts = result[team_id]
        counts[0] += rules.HEALTH_SEVERITY[figures.health] >= 1
        counts[1] += rules.HEALTH_SEVERITY[figures.health] >= 2
        counts[2].update((key_result_id, reason) for reason in figures.reasons if reason in STORED_REASONS)
    return {team_id: tuple(counts) for team_id, counts in result.items()}


def _on(figures: TeamFigures, today: date) -> tuple:
    steps = [value for day, value in figures.clean_steps().items() if day <= today]
    spans = {
        (key_result_id, reason)
        for key_result_id, reason, start, end in figures.spans
        if start <= today and (end is None or end > today)
    }
    if sum(c for _, _, c in steps) != len({key_result_id for key_result_id, _ in spans}):
        return ("the count of key results needing attention differs from the spans'",)
    return (sum(a for a, _, _ in steps), sum(b for _, b, _ in steps), spans)


def verify(*, fix: bool = False, today: date | None = None) -> list[str]:
    """Compare every stored rollup that is not dirty with a recomputation, and what they say of ``today``
    (default: today) with every key result judged on that day; with ``fix``, recompute the teams that
    differ. Returns one line per team that differed."""
    today = today or timezone.localdate()
    problems: list[str] = []
    for cycle in Cycle.objects.order_by("pk"):
        # A dirty rollup is waiting for its recomputation by design (``refresh_dirty``): not compared.
        pending = set(TeamRollup.objects.filter(cycle=cycle, dirty=True).values_list("team_id", flat=True))
        teams = sorted(_teams_of_cycle(cycle) & set(Team.objects.values_list("pk", flat=True)) - pending)
        for chunk in _chunks(teams):
            expected, found = compute(cycle, chunk), stored(cycle, chunk)
            judged = judged_today(cycle, chunk, today=today)
            wrong = []
            for team_id in chunk:
                differences = _differences(expected[team_id], found[team_id])
                if _on(found[team_id], today) != judged[team_id]:
                    differences.append(f"health or needs attention on {today} differ from the read model's")
                if differences:
                    wrong.append(team_id)
                    problems.append(f"cycle {cycle.pk} team {team_id}: " + "; ".join(differences))
            if fix and wrong:
                refresh(cycle_id=cycle.pk, team_ids=wrong)
    return problems
