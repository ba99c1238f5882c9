"""Reads for goal workshops: who may run one, the board's objectives, the change token for polling."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from objectives.models import Cycle, Initiative, KeyResult, Kpi, Objective, Retrospective
from objectives.permissions import access_for, can_run_workshop, visible_objectives_q
from objectives.writability import writable_cycles_q
from teams.models import Membership, Team
from teams.selectors import team_ancestor_ids, user_display_name

User = get_user_model()

WORKSHOP_CYCLE_STATUSES = (Cycle.Status.PLANNING, Cycle.Status.ACTIVE)
BOARD_OBJECTIVE_STATUSES = (Objective.Status.DRAFT, Objective.Status.PUBLISHED, Objective.Status.ACTIVE)


@dataclass(frozen=True)
class WorkshopRow:
    team: Team
    cycles: list[Cycle]


def workshop_index_for_user(*, user) -> list[WorkshopRow]:
    """Teams the user may run workshops for, each with the cycles in planning or active (two queries).
    Archived teams plan no new work, so they are left out."""
    access = access_for(user)
    cycles = list(Cycle.objects.filter(status__in=WORKSHOP_CYCLE_STATUSES).order_by("start_date"))
    teams = Team.objects.filter(archived_at__isnull=True).order_by("name")
    if not (access.is_staff or access.is_ambassador):
        teams = teams.filter(pk__in=access.team_ids)
    return [WorkshopRow(team=team, cycles=cycles) for team in teams]


def _team_and_cycle(*, team_slug: str, cycle_id: int) -> tuple[Team, Cycle]:
    team = Team.objects.filter(slug=team_slug).first()
    cycle = Cycle.objects.filter(pk=cycle_id).first()
    if team is None or cycle is None:
        raise Http404(_("No such team or cycle."))
    return team, cycle


def workshop_get_for_user(*, user, team_slug: str, cycle_id: int) -> tuple[Team, Cycle]:
    """The board's team and cycle: 404 when unknown or not open for workshops, 403 for outsiders."""
    team, cycle = _team_and_cycle(team_slug=team_slug, cycle_id=cycle_id)
    if not can_run_workshop(access_for(user), team_id=team.pk):
        raise PermissionDenied(
            _("Only the team's members, its leads and OKR ambassadors join its workshops.")
        )
    if cycle.status not in WORKSHOP_CYCLE_STATUSES:
        raise Http404(_("Workshops are open for cycles in planning or active."))
    return team, cycle


def team_cycle_get_for_user(*, user, team_slug: str, cycle_id: int) -> tuple[Team, Cycle]:
    """Team and cycle for closing and carrying over: any cycle status, same audience as the workshop."""
    team, cycle = _team_and_cycle(team_slug=team_slug, cycle_id=cycle_id)
    if not can_run_workshop(access_for(user), team_id=team.pk):
        raise PermissionDenied(_("Only the team's members, its leads and OKR ambassadors see this page."))
    return team, cycle


def board_objectives(*, team: Team, cycle: Cycle, statuses=BOARD_OBJECTIVE_STATUSES) -> list[Objective]:
    """The team's objectives in the cycle with key results (and their planned paths, for the coach) and
    initiatives (four queries, any size)."""
    return list(
        Objective.objects.filter(team=team, cycle=cycle, status__in=statuses)
        .select_related("owner", "parent__team", "cycle")
        .prefetch_related(
            Prefetch("key_results", queryset=KeyResult.objects.select_related("owner", "kpi")),
            "key_results__milestones",
            Prefetch("initiatives", queryset=Initiative.objects.select_related("owner", "key_result")),
        )
        .order_by("status", "position", "id")
    )


def board_version(*, team: Team, cycle: Cycle) -> str:
    """A token that changes whenever anything on the board changes (adds, edits and deletes; one query)."""
    scope = Q(team=team, cycle=cycle)
    row = Objective.objects.filter(scope).aggregate(
        n_objectives=Count("id", distinct=True),
        objectives_at=Max("updated_at"),
        n_key_results=Count("key_results", distinct=True),
        key_results_at=Max("key_results__updated_at"),
        n_initiatives=Count("initiatives", distinct=True),
        initiatives_at=Max("initiatives__updated_at"),
    )
    parts = []
    for key in sorted(row):
        value = row[key]
        parts.append(f"{value.timestamp():.6f}" if hasattr(value, "timestamp") else str(value or 0))
    return "-".join(parts)


def parent_objectives(*, user, team: Team, cycle: Cycle) -> list[Objective]:
    """Objectives of the teams above that the user may read, in every cycle that overlaps this one (a team
    planning by quarter aligns to its section's tertial): the board's context."""
    ancestor_ids = team_ancestor_ids(team)
    if not ancestor_ids:
        return []
    depth = {team_id: index for index, team_id in enumerate(ancestor_ids)}
    objectives = list(
        Objective.objects.filter(
            visible_objectives_q(access_for(user)),
            Cycle.overlapping_q(cycle, prefix="cycle__"),
            team_id__in=ancestor_ids,
        )
        .exclude(status=Objective.Status.ARCHIVED)
        .select_related("team", "cycle")
        .prefetch_related(Prefetch("key_results", queryset=KeyResult.objects.in_progress()))
    )
    # Nearest team first, as the team reads "up" the tree.
    objectives.sort(key=lambda o: (depth[o.team_id], o.position, o.pk))
    return objectives


def team_owner_candidates(*, team: Team) -> QuerySet:
    """People who may own the team's key results and initiatives: its members and leads."""
    return (
        User.objects.filter(memberships__team=team).distinct().order_by("first_name", "last_name", "username")
    )


def team_member_names(*, team: Team) -> list[tuple[int, str]]:
    rows = Membership.objects.filter(team=team).select_related("user").order_by("user__first_name")
    return [(m.user_id, user_display_name(m.user)) for m in rows]


def retrospective_get(*, team: Team, cycle: Cycle) -> Retrospective | None:
    return Retrospective.objects.filter(team=team, cycle=cycle).first()


def next_cycles(*, cycle: Cycle) -> QuerySet[Cycle]:
    """Cycles objectives may be carried over into: later, and not closed."""
    return Cycle.objects.filter(writable_cycles_q(), start_date__gt=cycle.start_date).order_by("start_date")


def team_kpis(*, team_ids) -> QuerySet[Kpi]:
    """The KPIs of these teams (None: of every team, without a list of thousands of ids to send)."""
    kpis = Kpi.objects.all() if team_ids is None else Kpi.objects.filter(team_id__in=team_ids)
    return kpis.select_related("team", "source_key_result").order_by("team__name", "name")


def kpi_get_for_user(*, user, pk: int) -> Kpi:
    """KPIs are read organisation-wide, like published objectives."""
    kpi = Kpi.objects.select_related("team", "source_key_result__objective__cycle").filter(pk=pk).first()
    if kpi is None or not access_for(user).is_authenticated:
        raise Http404(_("No such KPI."))
    return kpi
