"""Reads for the cycle dashboard, the team page's OKRs and the export.

Each read runs a fixed handful of queries whatever the size of the scope (the whole organisation of 200
teams costs what one team costs) and aggregates in one pass in Python or in the database: never a query per
team or per key result. A key result's progress, pace, health and needs-attention reasons come from the one
read model, ``objectives.figures``; nothing is recomputed in templates.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import F, OuterRef, Q, Subquery, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from checkins import rollups
from checkins.models import AttentionSegment, CheckIn, CheckInWeek, Feedback, HealthStep, TeamRollup
from checkins.selectors import FeedbackThread, feedback_for_key_results, feedback_threads, key_result_displays
from objectives import progress as rules
from objectives.figures import (
    FiguresMixin,
    KeyResultFigures,
    Moment,
    figures_of,
    moment_now,
    plan_exists,
    plans_prefetch,
)
from objectives.labels import health_label
from objectives.models import Cycle, KeyResult, Objective
from objectives.permissions import (
    Access,
    access_for,
    can_give_feedback,
    can_reply_to_feedback,
    can_view_drafts,
    can_view_objective,
    sees_every_draft,
    visible_objectives_q,
)
from objectives.validators import clamp_to_sensible
from okrhub.lib import cache_read, cache_write
from teams.models import Membership, Team
from teams.search import (  # noqa: F401 (the dashboard's names for them)
    TEAM_QUERY_MAX,
    TEAM_SEARCH_LIMIT,
    TeamMatch,
    TeamSearch,
    team_query_clean,
    team_search,
)
from teams.tree import TeamTree, TreeNode

SPARKLINE_CHECKINS = 8  # the team page's confidence sparkline shows this many of the latest check-ins


def user_name(first_name: str, last_name: str, username: str) -> str:
    return f"{first_name} {last_name}".strip() or username


# --- The team tree and the scope --------------------------------------------------------------------------


def team_tree_nodes(tree: TeamTree | None = None) -> list[TreeNode]:
    """Every team depth-first in name order, with its depth (one query)."""
    return (tree or TeamTree.load()).nodes()


@dataclass(frozen=True)
class Scope:
    """The whole organisation (``team`` is None), or one team with every team below it."""

    team: Team | None
    nodes: list[TreeNode]  # the teams in scope, in tree order, depth relative to the scope
    ancestors: list[Team] = field(default_factory=list)  # above the scope's team, the top first
    tree_generation: uuid.UUID | None = None  # of the tree it was resolved in (``TeamTree.generation``)

    @property
    def team_ids(self) -> set[int]:
        return {node.team.pk for node in self.nodes}

    @property
    def slug(self) -> str:
        return self.team.slug if self.team else ""


def scope_resolve(*, slug: str | None, tree: TeamTree) -> Scope:
    """The scope for a team slug ("" or None: the organisation); 404 for an unknown team."""
    if not slug:
        return Scope(team=None, nodes=tree.nodes(), tree_generation=tree.generation)
    team = tree.by_slug(slug)
    if team is None:
        raise Http404(_("No such team."))
    return Scope(
        team=team,
        nodes=tree.nodes([team.pk]),
        ancestors=tree.ancestors(team.pk),
        tree_generation=tree.generation,
    )


def cycle_list() -> list[Cycle]:
    return list(Cycle.objects.order_by("-start_date"))


def cycle_default(cycles: Iterable[Cycle]) -> Cycle | None:
    """The active cycle that started last, else the latest cycle."""
    cycles = list(cycles)
    active = [c for c in cycles if c.status == Cycle.Status.ACTIVE]
    pool = active or cycles
    return max(pool, key=lambda c: c.start_date) if pool else None


# --- Key results with their rules applied -----------------------------------------------------------------


@dataclass
class KeyResultLine(FiguresMixin):
    """A key result with its figures (``objectives.figures``), for every page that lists it."""

    key_result: KeyResult
    figures: KeyResultFigures

    @property
    def owner_name(self) -> str:
        owner = self.key_result.owner
        return user_name(owner.first_name, owner.last_name, owner.username) if owner else ""


def key_result_line(key_result: KeyResult, *, cycle: Cycle, moment: Moment) -> KeyResultLine:
    return KeyResultLine(key_result=key_result, figures=figures_of(key_result, moment=moment, cycle=cycle))


# The dashboard reads every key result of the scope as plain tuples (model instances for 1,500 rows cost more
# than the query): model objects are built only for the needs-attention lines a page shows.
_ROW_FIELDS = (
    "id",
    "title",
    "kind",
    "unit",
    "start_value",
    "target_value",
    "current_value",
    "confidence",
    "weight",
    "position",
    "last_checkin_at",
    "owner_id",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "owner__is_active",
    "objective_id",
    "objective__title",
    "objective__status",
    "objective__team_id",
    "objective__owner_id",
    "objective__position",
)
_ROW = {name: index for index, name in enumerate(_ROW_FIELDS)}


def _key_results(*, cycle: Cycle, team_ids: set[int] | None, objective_q: Q) -> list[KeyResult]:
    queryset = (
        KeyResult.objects.in_progress()
        .filter(objective_q, objective__cycle=cycle)
        .select_related("objective", "owner")
        .only(*_ROW_FIELDS)  # the same columns the dashboard reads as tuples
        .annotate(has_plan=plan_exists())
        .order_by("objective__position", "objective_id", "position", "id")
    )
    if team_ids is not None:
        queryset = queryset.filter(objective__team_id__in=team_ids)
    key_results = list(queryset)
    plans_prefetch(key_results)  # one query, and only when some key result has a plan
    return key_results


# --- The dashboard ----------------------------------------------------------------------------------------


@dataclass
class TeamRow:
    team: Team
    depth: int
    has_children: bool
    expected: float
    objectives: int = 0
    drafts: int = 0  # only the drafts the viewer may see
    key_results: int = 0
    on_track: int = 0
    at_risk: int = 0
    off_track: int = 0
    checked_this_week: int = 0
    checked_last_week: int = 0
    weekly: list[int] = field(default_factory=list)  # key results checked in, per week of the cycle
    idle_members: list[str] = field(default_factory=list)  # members who own nothing in the cycle
    progress_sum: float = 0.0  # the progress of its published objectives, summed

    @property
    def progress(self) -> float | None:
        """The mean progress of its published objectives (None without any)."""
        if not self.objectives:
            return None
        return self.progress_sum / self.objectives

    @property
    def progress_percent(self) -> int | None:
        value = self.progress
        return None if value is None else round(value * 100)

    @property
    def expected_percent(self) -> int:
        return round(self.expected * 100)

    @property
    def pace_health(self) -> str | None:
        """Mean progress against the expected pace, by the same thresholds as a key result's health."""
        value = self.progress
        return (
            None if value is None else rules.health(progress=value, expected=self.expected, confidence=None)
        )

    @property
    def pace_health_label(self) -> str:
        return health_label(self.pace_health) if self.pace_health else ""

    def _rate(self, checked: int) -> int | None:
        return round(100 * checked / self.key_results) if self.key_results else None

    @property
    def rate_this_week(self) -> int | None:
        return self._rate(self.checked_this_week)

    @property
    def rate_last_week(self) -> int | None:
        return self._rate(self.checked_last_week)

    @property
    def weekly_rates(self) -> list[int | None]:
        return [self._rate(checked) for checked in self.weekly]

    @property
    def mean_weekly_rate(self) -> int | None:
        rates = [rate for rate in self.weekly_rates if rate is not None]
        return round(sum(rates) / len(rates)) if rates else None


@dataclass
class Dashboard:
    cycle: Cycle
    scope: Scope
    today: date
    reference: date  # today, or the cycle's last day once it is over
    weeks: list[date]  # Mondays of the cycle's weeks up to the reference date
    rows: list[TeamRow]
    attention: Sequence[KeyResultLine]
    totals: TeamRow

    @property
    def is_current(self) -> bool:
        return self.reference == self.today

    @property
    def this_week(self) -> date | None:
        return self.weeks[-1] if self.weeks else None


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def cycle_weeks(cycle: Cycle, *, reference: date) -> list[date]:
    """Mondays of the ISO weeks from the cycle's start up to ``reference`` (none before the start).

    A start stored outside the accepted years (objectives/validators.py) counts from their first day, so a
    cycle "from year 1" neither overflows nor lists two thousand years of weeks.
    """
    if reference < cycle.start_date:
        return []
    reference = clamp_to_sensible(reference)
    weeks, monday = [], _monday(clamp_to_sensible(cycle.start_date))
    while monday <= reference:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _in_scope(queryset, team_ids: Iterable[int] | None, field: str = "team_id"):
    return queryset if team_ids is None else queryset.filter(**{f"{field}__in": list(team_ids)})


ROLLUPS_CACHE_SECONDS = 3600  # a bound on memory only: a new rollups generation is a new key


@dataclass(frozen=True)
class Derived:
    """What a request derives from the rollups alone, kept in the cache under ``key``: the cycle with its
    dates, its rollups generation (``checkins.rollups.generation``), the tree's generation, the scope and the
    day. Any recomputation of the cycle's rollups, any change of the tree and midnight make another key, so
    what is read from the cache is what the query would return. None: read each time (rollups never
    recomputed, or a tree not read through ``TeamTree.load``)."""

    key: tuple | None

    @classmethod
    def of(cls, *, cycle: Cycle, scope: Scope, today: date, generation: uuid.UUID | None) -> Derived:
        if generation is None or scope.tree_generation is None:
            return cls(None)
        scope_key = scope.team.pk if scope.team else None
        return cls(
            (cycle.pk, cycle.start_date, cycle.end_date, generation, scope.tree_generation, scope_key, today)
        )

    def get(self, name: str, compute: Callable[[], object], *parts) -> object:
        if self.key is None:
            return compute()
        digest = hashlib.blake2b(repr((self.key, name, parts)).encode(), digest_size=16).hexdigest()
        key = f"dashboard:{name}:{digest}"
        value = cache_read([key]).get(key)
        if value is None:
            value = compute()
            cache_write({key: value}, ROLLUPS_CACHE_SECONDS)
        return value


def _rollup_figures(*, cycle: Cycle, today: date, weeks: list[date], team_ids: list[int]) -> dict[int, tuple]:
    """Team id → (objectives, drafts, key results, progress sum, owner ids, at risk or worse, off track, key
    results checked in per week of ``weeks``): what the rows show of the rollups, in three queries."""
    figures = {team_id: (0, 0, 0, 0.0, [], 0, 0) for team_id in team_ids}
    for team_id, objectives, drafts, key_results, progress_sum, owner_ids in TeamRollup.objects.filter(
        cycle=cycle, team_id__in=team_ids
    ).values_list("team_id", "objectives", "drafts", "key_results", "progress_sum", "owners"):
        figures[team_id] = (objectives, drafts, key_results, progress_sum, list(owner_ids), 0, 0)
    for team_id, at_risk_or_worse, off_track in (
        HealthStep.objects.filter(cycle=cycle, team_id__in=team_ids, day__lte=today)
        .values("team_id")
        .annotate(a=Sum("at_risk_or_worse"), b=Sum("off_track"))
        .values_list("team_id", "a", "b")
        .order_by()
    ):
        figures[team_id] = (*figures[team_id][:5], at_risk_or_worse, off_track)
    weekly: dict[tuple[int, date], int] = {}
    if weeks:
        weekly = {
            (team_id, week): checked
            for team_id, week, checked in CheckInWeek.objects.filter(
                cycle=cycle, team_id__in=team_ids, week__gte=weeks[0], week__lte=weeks[-1]
            ).values_list("team_id", "week", "checked")
        }
    return {
        team_id: (*values, [weekly.get((team_id, monday), 0) for monday in weeks])
        for team_id, values in figures.items()
    }


def _load_rows(
    *,
    access: Access,
    cycle: Cycle,
    today: date,
    weeks: list[date],
    nodes: list[TreeNode],
    expected: float,
    derived: Derived,
) -> list[TeamRow]:
    """The rows of these teams: their rollups (``checkins.rollups``; three queries, or none while the
    cached copy is current), of which the drafts the viewer may see, and the members who own nothing (one
    query)."""
    team_ids = [node.team.pk for node in nodes]
    rows = {
        node.team.pk: TeamRow(
            team=node.team, depth=node.depth, has_children=node.has_children, expected=expected
        )
        for node in nodes
    }
    figures = derived.get(
        "rows",
        lambda: _rollup_figures(cycle=cycle, today=today, weeks=weeks, team_ids=team_ids),
        team_ids,
        weeks,
    )
    owners: dict[int, set[int]] = {}
    for team_id, (objectives, drafts, key_results, progress_sum, owner_ids, a, b, weekly) in figures.items():
        row = rows[team_id]
        row.objectives, row.key_results, row.progress_sum = objectives, key_results, progress_sum
        row.drafts = drafts if can_view_drafts(access, team_id) else 0
        owners[team_id] = set(owner_ids)
        row.off_track, row.at_risk = b, a - b
        row.on_track = row.key_results - row.at_risk - row.off_track
        row.weekly = weekly
        row.checked_this_week = row.weekly[-1] if weeks else 0
        row.checked_last_week = row.weekly[-2] if len(weeks) > 1 else 0
    for team_id, user_id, first, last, username in (
        Membership.objects.filter(team_id__in=team_ids)
        .order_by("user__first_name", "user__username")
        .values_list("team_id", "user_id", "user__first_name", "user__last_name", "user__username")
    ):
        if user_id not in owners[team_id]:
            rows[team_id].idle_members.append(user_name(first, last, username))
    return [rows[team_id] for team_id in team_ids]


class LazyRows(Sequence[TeamRow]):
    """The scope's team rows in tree order, read from the rollups when first read: a page of 25 rows costs
    what 25 rows cost, at 20 teams or 5,000 (reading one row by index, or iterating, reads them all)."""

    def __init__(self, nodes: list[TreeNode], load: Callable[[list[TreeNode]], list[TeamRow]]) -> None:
        self._nodes = nodes
        self._load = load
        self._rows: dict[int, TeamRow] = {}

    def __len__(self) -> int:
        return len(self._nodes)

    def _ensure(self, indices: list[int]) -> None:
        missing = [i for i in indices if i not in self._rows]
        if missing:
            self._rows.update(zip(missing, self._load([self._nodes[i] for i in missing]), strict=True))

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            indices = list(range(*index.indices(len(self))))
            self._ensure(indices)
            return [self._rows[i] for i in indices]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        self._ensure(list(range(len(self))))
        return self._rows[index]

    def __iter__(self):
        self._ensure(list(range(len(self))))
        return (self._rows[i] for i in range(len(self)))


class LazyLines(Sequence[KeyResultLine]):
    """The key results needing attention, in order (most reasons first, then the tree's order and the
    objectives' and key results' order), counted and paged by the database (``_attention``): ``len``
    is one query and a page of lines one more (its model objects and figures, from the one read model, in
    one query more), whatever the size of the scope; iterating reads them all."""

    def __init__(
        self,
        *,
        count: Callable[[], int],
        page: Callable[[int, int], list[tuple[int, int]]],
        build: Callable[[list[tuple[int, int]]], list],
    ) -> None:
        self._count = count
        self._page = page  # (offset, limit) → (key result id, team id) in order
        self._build = build
        self._length: int | None = None
        self._built: dict[int, KeyResultLine] = {}

    def __len__(self) -> int:
        if self._length is None:
            self._length = self._count()
        return self._length

    def _ensure(self, start: int, stop: int) -> None:
        if stop > start and any(i not in self._built for i in range(start, stop)):
            items = self._page(start, stop - start)
            self._built.update(zip(range(start, start + len(items)), self._build(items), strict=True))

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            self._ensure(start, stop)
            return [self._built[i] for i in range(start, stop, step) if self._built.get(i) is not None]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        self._ensure(index, index + 1)
        return self._built[index]

    def __iter__(self):
        return iter(self[0 : len(self)])


def _attention(
    *, cycle: Cycle, team_ids: set[int] | None, today: date, stored: int, derived: Derived
) -> tuple[Callable[[], int], Callable[[int, int], list[tuple[int, int]]]]:
    """How many key results need attention today, and a page of them (key result id, team id) in order:
    most reasons first, then the team's place in the tree, the objective's and the key result's.

    The stored reasons come from the rollups (``checkins.rollups``): ``stored`` is the scope's count from
    the health steps, and the rows of a page are read in their order from the segments' index, however
    many teams there are. "Owner deactivated" is read now, from the few deactivated users: those key
    results have one reason more, and are merged into the page. One query for the count, one for a page."""
    active = Q(start__lte=today) & (Q(end__isnull=True) | Q(end__gt=today))
    segments = _in_scope(AttentionSegment.objects.filter(active, cycle=cycle), team_ids)

    @functools.cache
    def deactivated() -> list:  # (order, key result id, team id, stored reasons or None), read once
        rows = KeyResult.objects.in_progress().filter(  # rules.OWNER_DEACTIVATED
            owner_id__in=get_user_model().objects.filter(is_active=False).values("pk"),
            objective__cycle=cycle,
            objective__status=Objective.Status.ACTIVE,
        )
        rows = _in_scope(rows, team_ids, "objective__team_id").annotate(
            stored=Subquery(segments.filter(key_result_id=OuterRef("pk")).values("reasons")[:1])
        )
        return [
            ((-(reasons or 0) - 1, place, op, oid, krp, pk), pk, team_id, reasons)
            for pk, team_id, place, op, oid, krp, reasons in rows.values_list(
                "pk",
                "objective__team_id",
                "objective__team__tree_position",
                "objective__position",
                "objective_id",
                "position",
                "stored",
            )
        ]

    def count() -> int:
        return stored + sum(1 for *_, reasons in deactivated() if not reasons)

    def page(offset: int, limit: int) -> list[tuple[int, int]]:
        extra = deactivated()
        excluded = [pk for _, pk, _, _ in extra]

        def ordered() -> list[tuple]:
            return list(
                segments.exclude(key_result_id__in=excluded)
                .order_by(
                    "-reasons",
                    "team_place",
                    "objective_position",
                    "objective_id_order",
                    "key_result_position",
                    "key_result_id",
                )
                .values_list(
                    "reasons",
                    "team_place",
                    "objective_position",
                    "objective_id_order",
                    "key_result_position",
                    "key_result_id",
                    "team_id",
                )[: offset + limit]
            )

        merged = sorted(
            [
                ((-n, place, op, oid, krp, pk), pk, team_id)
                for n, place, op, oid, krp, pk, team_id in derived.get(
                    "attention", ordered, offset + limit, excluded
                )
            ]
            + [(order, pk, team_id) for order, pk, team_id, _ in extra]
        )
        return [(pk, team_id) for _, pk, team_id in merged[offset : offset + limit]]

    return count, page


def _rollup_totals(*, cycle: Cycle, team_ids: set[int] | None, today: date, weeks: list[date]) -> dict:
    """The scope's totals: SQL sums over its rollups (three queries)."""
    sums = _in_scope(TeamRollup.objects.filter(cycle=cycle), team_ids).aggregate(
        objectives=Sum("objectives"),
        drafts=Sum("drafts"),
        key_results=Sum("key_results"),
        progress=Sum("progress_sum"),
    )
    health = _in_scope(HealthStep.objects.filter(cycle=cycle, day__lte=today), team_ids).aggregate(
        a=Sum("at_risk_or_worse"), b=Sum("off_track"), c=Sum("attention")
    )
    weekly: dict[date, int] = {}
    if weeks:
        weekly = dict(
            _in_scope(
                CheckInWeek.objects.filter(cycle=cycle, week__gte=weeks[0], week__lte=weeks[-1]), team_ids
            )
            .values("week")
            .annotate(n=Sum("checked"))
            .values_list("week", "n")
            .order_by()
        )
    return {
        "objectives": sums["objectives"] or 0,
        "drafts": sums["drafts"] or 0,
        "key_results": sums["key_results"] or 0,
        "progress": sums["progress"] or 0.0,
        "at_risk_or_worse": health["a"] or 0,
        "off_track": health["b"] or 0,
        "attention": health["c"] or 0,
        "weekly": [weekly.get(monday, 0) for monday in weeks],
    }


# What a needs-attention line reads (figures, title, places, owner): every column of the key result, of the
# rest only what a line shows.
LINE_FIELDS = (
    *(field.name for field in KeyResult._meta.concrete_fields),
    *(f"objective__{name}" for name in ("title", "team_id", "cycle_id", "status", "position", "owner_id")),
    *(f"objective__team__{name}" for name in ("name", "slug", "parent_id")),
    *(f"owner__{name}" for name in ("username", "first_name", "last_name", "is_active")),
)


def _visible_drafts(
    *, access: Access, cycle: Cycle, team_ids: set[int] | None, every: int, derived: Derived
) -> int:
    """The drafts in scope the viewer may see (``can_view_drafts``): all of them (``every``, from the
    totals) for those who see every draft, else those of the viewer's own teams in scope (cached for that
    set of teams: most people are in one or two)."""
    if sees_every_draft(access):
        return every
    mine = sorted(access.team_ids if team_ids is None else set(access.team_ids) & team_ids)
    if not mine:
        return 0
    return derived.get(
        "drafts",
        lambda: TeamRollup.objects.filter(cycle=cycle, team_id__in=mine).aggregate(n=Sum("drafts"))["n"] or 0,
        mine,
    )


def dashboard_get(*, user, cycle: Cycle, scope: Scope, today: date | None = None) -> Dashboard:
    """The scope's teams with their figures, and the key results needing attention, from the rollups kept
    with every write (``checkins.rollups``; see ``bench/README.md``). Nothing here grows with the number of
    key results or check-ins: the totals are three SQL aggregates over the scope's rollups, the
    needs-attention list two indexed queries of ids, and only the rows and lines of the page shown are read
    in full (five queries for the rows, one or two for the lines) when the page reads them. What comes from
    the rollups alone (the totals, the rows' figures, the order of the needs-attention list) is cached under
    the cycle's rollups generation (``Derived``): while nothing changes, that is one query instead of seven.
    """
    access = access_for(user)
    today = today or timezone.localdate()
    reference = min(today, cycle.end_date)
    expected = cycle.expected_progress(on=today)
    weeks = cycle_weeks(cycle, reference=reference)
    team_ids = scope.team_ids if scope.team else None  # the organisation needs no team filter
    # What writes marked dirty since the worker last ran is recomputed first; then the generation of what
    # is read (one query for both when nothing is dirty).
    generation = rollups.fresh_generation(cycle_id=cycle.pk, team_ids=team_ids)
    derived = Derived.of(cycle=cycle, scope=scope, today=today, generation=generation)

    total = TeamRow(team=Team(name=_("Total")), depth=0, has_children=False, expected=expected)
    sums = derived.get(
        "totals", lambda: _rollup_totals(cycle=cycle, team_ids=team_ids, today=today, weeks=weeks), weeks
    )
    total.objectives, total.key_results = sums["objectives"], sums["key_results"]
    total.progress_sum = sums["progress"]
    total.off_track = sums["off_track"]
    total.at_risk = sums["at_risk_or_worse"] - total.off_track
    total.on_track = total.key_results - total.at_risk - total.off_track
    total.weekly = sums["weekly"]
    total.checked_this_week = total.weekly[-1] if weeks else 0
    total.checked_last_week = total.weekly[-2] if len(weeks) > 1 else 0
    total.drafts = _visible_drafts(
        access=access, cycle=cycle, team_ids=team_ids, every=sums["drafts"], derived=derived
    )

    attention_count, attention_page = _attention(
        cycle=cycle, team_ids=team_ids, today=today, stored=sums["attention"], derived=derived
    )
    moment = moment_now(today=today)

    def build(items: list[tuple[int, int]]) -> list[KeyResultLine]:
        by_id = {
            key_result.pk: key_result
            for key_result in KeyResult.objects.filter(pk__in=[pk for pk, _team in items])
            .select_related("objective__team", "owner")
            .only(*LINE_FIELDS)
            .annotate(has_plan=plan_exists())
        }
        plans_prefetch(by_id.values())
        # None: deleted since its place was read (the next recomputation drops it from the list).
        return [
            key_result_line(by_id[pk], cycle=cycle, moment=moment) if pk in by_id else None
            for pk, _team in items
        ]

    def load(nodes: list[TreeNode]) -> list[TeamRow]:
        return _load_rows(
            access=access,
            cycle=cycle,
            today=today,
            weeks=weeks,
            nodes=nodes,
            expected=expected,
            derived=derived,
        )

    return Dashboard(
        cycle=cycle,
        scope=scope,
        today=today,
        reference=reference,
        weeks=weeks,
        rows=LazyRows(scope.nodes, load),
        attention=LazyLines(count=attention_count, page=attention_page, build=build),
        totals=total,
    )


# --- The team page ----------------------------------------------------------------------------------------


@dataclass
class TeamKeyResult:
    line: KeyResultLine
    latest_checkins: list[CheckIn]  # the latest check-ins (id, confidence, time), oldest first
    feedback: list[Feedback]
    can_give_feedback: bool
    can_reply: bool = False
    viewer_id: int | None = None

    @property
    def threads(self) -> list[FeedbackThread]:
        return feedback_threads(self.feedback)

    @property
    def unread_for_viewer(self) -> int:
        """Unread items for the one looking (the owner: comments; a lead: the owner's replies)."""
        return sum(
            1 for item in self.feedback if item.read_at is None and item.recipient_id == self.viewer_id
        )

    @property
    def confidences(self) -> list[int]:
        return [checkin.confidence for checkin in self.latest_checkins]

    @property
    def key_result(self) -> KeyResult:
        return self.line.key_result

    @property
    def unread_feedback(self) -> int:
        return sum(1 for item in self.feedback if item.read_at is None)


@dataclass
class TeamObjective:
    objective: Objective
    key_results: list[TeamKeyResult]
    progress: float
    expected: float

    @property
    def progress_percent(self) -> int:
        return round(self.progress * 100)

    @property
    def expected_percent(self) -> int:
        return round(self.expected * 100)


def team_okrs_for_user(*, user, team: Team, cycle: Cycle, today: date | None = None) -> list[TeamObjective]:
    """The team's objectives in the cycle as ``user`` may see them, with key results, the latest confidences
    and feedback. Four queries: objectives, key results, the latest check-ins (a window function keeps
    ``SPARKLINE_CHECKINS`` per key result), feedback."""
    access = access_for(user)
    today = today or timezone.localdate()
    objectives = list(
        Objective.objects.filter(visible_objectives_q(access), team=team, cycle=cycle)
        .select_related("owner")
        .order_by("position", "id")
    )
    if not objectives:
        return []
    by_id = {objective.pk: objective for objective in objectives}
    key_results = _key_results(cycle=cycle, team_ids={team.pk}, objective_q=Q(objective_id__in=by_id))
    key_result_ids = [key_result.pk for key_result in key_results]
    latest_checkins: dict[int, list[CheckIn]] = defaultdict(list)
    latest = (
        CheckIn.objects.filter(key_result_id__in=key_result_ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("key_result_id")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=SPARKLINE_CHECKINS)
        .order_by("key_result_id", "created_at", "id")
        .only("id", "key_result_id", "confidence", "created_at")
    )
    for checkin in latest:
        latest_checkins[checkin.key_result_id].append(checkin)
    feedback: dict[int, list[Feedback]] = defaultdict(list)
    for item in feedback_for_key_results(key_result_ids=key_result_ids):
        feedback[item.key_result_id].append(item)

    grouped: dict[int, list[TeamKeyResult]] = defaultdict(list)
    expected, moment = cycle.expected_progress(on=today), moment_now(today=today)
    for key_result in key_results:
        key_result.objective = by_id[key_result.objective_id]
        key_result.objective.team = team
        grouped[key_result.objective_id].append(
            TeamKeyResult(
                line=key_result_line(key_result, cycle=cycle, moment=moment),
                latest_checkins=latest_checkins.get(key_result.pk, []),
                feedback=feedback.get(key_result.pk, []),
                can_give_feedback=can_give_feedback(access, key_result),
                can_reply=can_reply_to_feedback(access, key_result),
                viewer_id=access.user_id,
            )
        )
    result = []
    for objective in objectives:
        items = grouped.get(objective.pk, [])
        value = rules.objective_progress((item.line.progress, item.key_result.weight) for item in items)
        result.append(
            TeamObjective(objective=objective, key_results=items, progress=value, expected=expected)
        )
    return result


# --- Export -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRow:
    team: str
    objective: str
    objective_status: str
    key_result: str
    owner: str
    kind: str
    unit: str
    start: Decimal | None
    target: Decimal | None
    current: Decimal | None
    progress: float | None
    expected: float | None
    health: str
    confidence: int | None
    last_checkin: date | None
    # Last, so the columns people already use keep their places; it makes an export a valid import file.
    owner_username: str = ""


EXPORT_CHUNK = 500  # objectives read, judged and written per round of an export: memory does not grow with N


def export_rows(*, user, cycle: Cycle, scope: Scope, today: date | None = None) -> Iterator[ExportRow]:
    """Every objective in scope the user may see (drafts only for its team, leads and ambassadors): one row
    per key result, or one row for an objective without key results, in the tree's order of the teams
    (``Team.tree_position``). Read as it is written: objectives a chunk at a time, with their key results
    (a query or two a chunk), so a whole municipality streams in bounded memory."""
    access: Access = access_for(user)
    today = today or timezone.localdate()
    team_ids = scope.team_ids if scope.team else None
    objectives = Objective.objects.filter(visible_objectives_q(access), cycle=cycle)
    if team_ids is not None:
        objectives = objectives.filter(team_id__in=team_ids)
    objectives = objectives.select_related("owner", "team").order_by("team__tree_position", "position", "id")
    # The same visibility filter, reached from the key result.
    visible = visible_objectives_q(access, prefix="objective__")
    moment = moment_now(today=today)
    chunk: list[Objective] = []
    for objective in objectives.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(objective)
        if len(chunk) == EXPORT_CHUNK:
            yield from _export_chunk(chunk, cycle=cycle, visible=visible, moment=moment)
            chunk = []
    yield from _export_chunk(chunk, cycle=cycle, visible=visible, moment=moment)


def _export_chunk(objectives: list[Objective], *, cycle: Cycle, visible: Q, moment) -> Iterator[ExportRow]:
    if not objectives:
        return
    by_id = {objective.pk: objective for objective in objectives}
    key_results: dict[int, list[KeyResult]] = defaultdict(list)
    in_chunk = visible & Q(objective_id__in=list(by_id))
    for key_result in _key_results(cycle=cycle, team_ids=None, objective_q=in_chunk):
        key_results[key_result.objective_id].append(key_result)
    for objective in objectives:
        team_name = objective.team.name
        status = str(objective.get_status_display())
        if not key_results[objective.pk]:
            empty = ("", "", "", "", None, None, None, None, None, "", None, None)
            yield ExportRow(team_name, objective.title, status, *empty)
        for key_result in key_results[objective.pk]:
            key_result.objective = objective
            line = key_result_line(key_result, cycle=cycle, moment=moment)
            yield ExportRow(
                team=team_name,
                objective=objective.title,
                objective_status=status,
                key_result=key_result.title,
                owner=line.owner_name,
                kind=str(key_result.get_kind_display()),
                unit=key_result.unit,
                start=key_result.start_value,
                target=key_result.target_value,
                current=key_result.current_value,
                progress=line.progress,
                expected=line.expected,
                health=line.health_label,
                confidence=key_result.confidence,
                last_checkin=line.last_checkin_date,
                owner_username=key_result.owner.username if key_result.owner else "",
            )


# --- The objective page -----------------------------------------------------------------------------------

ALIGNMENT_MAX_DEPTH = 10  # the team tree is a handful of levels deep; this only stops a corrupt loop


@dataclass
class ObjectiveKeyResult:
    line: KeyResultLine
    current_display: str
    target_display: str

    @property
    def key_result(self) -> KeyResult:
        return self.line.key_result


@dataclass
class AlignedObjective:
    """An objective in the alignment tree, with its progress and the objectives aligned to it."""

    objective: Objective
    progress: float
    children: list[AlignedObjective] = field(default_factory=list)

    @property
    def progress_percent(self) -> int:
        return round(self.progress * 100)


@dataclass
class ObjectivePage:
    objective: Objective
    progress: float
    expected: float
    key_results: list[ObjectiveKeyResult]
    parent: Objective | None  # None when not aligned, or aligned to a draft the viewer may not see
    aligned: list[AlignedObjective]  # the objectives aligned to this one, at any depth, as a tree
    siblings: list[AlignedObjective]  # the team's other objectives in the same cycle

    @property
    def progress_percent(self) -> int:
        return round(self.progress * 100)

    @property
    def expected_percent(self) -> int:
        return round(self.expected * 100)

    @property
    def aligned_count(self) -> int:
        def count(nodes: list[AlignedObjective]) -> int:
            return sum(1 + count(node.children) for node in nodes)

        return count(self.aligned)


def _objective_progress(objective_ids: Iterable[int]) -> dict[int, float]:
    """Progress of each objective from its counted key results, in one query of plain tuples."""
    by_objective: dict[int, list[tuple[float, Decimal]]] = defaultdict(list)
    rows = (
        KeyResult.objects.in_progress()
        .filter(objective_id__in=list(objective_ids))
        .values_list("objective_id", "kind", "start_value", "target_value", "current_value", "weight")
    )
    for objective_id, kind, start, target, current, weight in rows:
        value = rules.key_result_progress(kind=kind, start=start, target=target, current=current)
        by_objective[objective_id].append((value, weight))
    return {pk: rules.objective_progress(items) for pk, items in by_objective.items()}


def objective_page_for_user(*, user, objective: Objective, today: date | None = None) -> ObjectivePage:
    """Everything the objective page shows. ``objective`` comes from ``objective_get_for_user`` (visibility
    checked, team, cycle, owner and parent loaded). Queries: its key results; the team's other objectives;
    the aligned objectives, one query per level of alignment (not per objective); the progress of all of
    those, one query — the same count for 3 aligned objectives or 30."""

    access = access_for(user)
    today = today or timezone.localdate()
    cycle = objective.cycle
    expected, moment = cycle.expected_progress(on=today), moment_now(today=today)
    key_results = list(
        KeyResult.objects.in_progress()
        .filter(objective=objective)
        .select_related("owner")
        .annotate(has_plan=plan_exists())
        .order_by("position", "id")
    )
    plans_prefetch(key_results)  # one query, and only when some key result has a plan
    rows = []
    for key_result in key_results:
        key_result.objective = objective
        current, target = key_result_displays(key_result)
        rows.append(
            ObjectiveKeyResult(
                line=key_result_line(key_result, cycle=cycle, moment=moment),
                current_display=current,
                target_display=target,
            )
        )
    visible = visible_objectives_q(access)
    siblings = list(
        Objective.objects.filter(visible, team_id=objective.team_id, cycle_id=objective.cycle_id)
        .exclude(pk=objective.pk)
        .order_by("position", "id")
    )
    # The alignment tree, level by level: objectives aligned to the ones found on the level before.
    levels: list[list[Objective]] = []
    parent_ids = [objective.pk]
    seen = {objective.pk}
    while parent_ids and len(levels) < ALIGNMENT_MAX_DEPTH:
        level = [
            child
            for child in Objective.objects.filter(visible, parent_id__in=parent_ids)
            .select_related("team", "cycle")
            .order_by("team__name", "position", "id")
            if child.pk not in seen
        ]
        seen.update(child.pk for child in level)
        levels.append(level)
        parent_ids = [child.pk for child in level]
    progress_of = _objective_progress([*seen, *(o.pk for o in siblings)])
    nodes = {objective.pk: AlignedObjective(objective=objective, progress=progress_of.get(objective.pk, 0.0))}
    for level in levels:
        for child in level:
            nodes[child.pk] = AlignedObjective(objective=child, progress=progress_of.get(child.pk, 0.0))
            nodes[child.parent_id].children.append(nodes[child.pk])
    parent = objective.parent
    if parent is not None and not can_view_objective(access, parent):
        parent = None
    return ObjectivePage(
        objective=objective,
        progress=rules.objective_progress((row.line.progress, row.key_result.weight) for row in rows),
        expected=expected,
        key_results=rows,
        parent=parent,
        aligned=nodes[objective.pk].children,
        siblings=[AlignedObjective(objective=o, progress=progress_of.get(o.pk, 0.0)) for o in siblings],
    )
