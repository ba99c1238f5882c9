"""One place that answers “may this user do X to Y”. The HTML views and the API both ask it.

Rules (see README, “Permissions”):
- Staff may do everything.
- A team lead leads the team and every team below it (a section leader is the lead of a section).
- Leads create and edit objectives, key results, initiatives and memberships of the teams they lead.
- Members and leads of a key result's team (and leads above it) may check in on it.
- Members update the initiatives they own.
- Everyone signed in reads active and archived objectives organisation-wide; drafts only the team,
  its leads and OKR ambassadors.
- OKR ambassadors may run workshops and edit drafts for any team.

Whether the object may change at all in its state (a closed cycle, an archived objective, a retired key
result) is not a question of who asks: ``objectives/writability.py`` answers it, for everyone.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from objectives.writability import is_published, is_writable
from teams.permissions import (  # noqa: F401 — re-exported: this module is the one views and the API ask
    ANONYMOUS,
    Access,
    access_for,
    can_create_team,
    can_lead_team,
    can_manage_cycles,
    can_manage_members,
    can_manage_organisation,
    can_rename_team,
    can_restructure_team,
    forget_access,
)

# --- Objectives, key results, initiatives ---------------------------------------------------------------


def sees_every_draft(access: Access) -> bool:
    """Staff and OKR ambassadors read every team's drafts; everyone else those of their own teams."""
    return access.is_staff or access.is_ambassador


def can_view_drafts(access: Access, team_id: int) -> bool:
    """The drafts of this team: its members and leads (``access.team_ids``), staff and ambassadors."""
    return access.is_authenticated and (sees_every_draft(access) or team_id in access.team_ids)


def visible_objectives_q(access: Access, *, prefix: str = "") -> Q:
    """Filter for objectives ``access`` may read; ``prefix`` reaches them from elsewhere ("objective__")."""
    if sees_every_draft(access):
        return Q()
    visible = ~Q(**{f"{prefix}status": "draft"})
    if access.team_ids:
        visible |= Q(**{f"{prefix}team_id__in": access.team_ids})
    return visible


def can_view_objective(access: Access, objective) -> bool:
    if not access.is_authenticated:
        return False
    return objective.status != "draft" or can_view_drafts(access, objective.team_id)


def can_edit_objective(access: Access, objective) -> bool:
    """Create or change an objective (and its key results and initiatives) of this team."""
    if can_lead_team(access, objective.team_id):
        return True
    return access.is_ambassador and objective.status == "draft"


def can_create_objective(access: Access, *, team_id: int) -> bool:
    return can_lead_team(access, team_id) or access.is_ambassador


def can_check_in(access: Access, key_result) -> bool:
    """Members and leads of the key result's team, and leads above it."""
    team_id = key_result.objective.team_id
    return access.is_staff or team_id in access.team_ids


def can_update_initiative(access: Access, initiative) -> bool:
    """Change an initiative's status: its owner, leads of its team, ambassadors on drafts."""
    if access.is_authenticated and initiative.owner_id == access.user_id:
        return True
    return can_edit_objective(access, initiative.objective)


def can_give_feedback(access: Access, key_result) -> bool:
    """Leads of the key result's team (and of the teams above it)."""
    return can_lead_team(access, key_result.objective.team_id)


def can_reply_to_feedback(access: Access, key_result) -> bool:
    """Reply in a feedback thread on the key result: the leads who comment, and its owner."""
    if access.is_authenticated and key_result.owner_id == access.user_id:
        return True
    return can_give_feedback(access, key_result)


def can_run_workshop(access: Access, *, team_id: int) -> bool:
    return access.is_staff or access.is_ambassador or team_id in access.team_ids


def can_publish(access: Access, *, team_id: int) -> bool:
    return can_lead_team(access, team_id) or access.is_ambassador


def can_draft(access: Access, objective) -> bool:
    """Everyone in the workshop (members, leads, ambassadors) writes and changes the team's drafts."""
    if objective.status != "draft":
        return False
    return can_run_workshop(access, team_id=objective.team_id)


def can_grade_key_result(access: Access, key_result) -> bool:
    """The final score when a cycle closes: the key result's owner or a lead of its team, while published
    and writable."""
    objective = key_result.objective
    if not is_published(objective) or not is_writable(key_result):
        return False
    if access.is_authenticated and key_result.owner_id == access.user_id:
        return True
    return can_lead_team(access, objective.team_id)


def can_adjust_key_result(access: Access, key_result) -> bool:
    """Adjust a published key result that still counts, with a reason: a lead of its team."""
    objective = key_result.objective
    return (
        is_published(objective)
        and is_writable(key_result)
        and can_lead_team(access, objective.team_id)
        and can_edit_objective(access, objective)
    )


def can_promote_key_result(access: Access, key_result) -> bool:
    """Offer to promote a published key result to a KPI: a lead of its team."""
    objective = key_result.objective
    return is_published(objective) and can_lead_team(access, objective.team_id)


def can_configure_data_source(access: Access, key_result) -> bool:
    """Link a key result to a data source, change or fetch it: its owner and the leads of its team (and of
    the teams above). Whether it may change now at all is writability's question."""
    if access.is_authenticated and key_result.owner_id == access.user_id:
        return True
    return can_lead_team(access, key_result.objective.team_id)


def can_check_in_kpi(access: Access, kpi) -> bool:
    """Like key results: members and leads of the KPI's team, and leads above it."""
    return access.is_staff or kpi.team_id in access.team_ids


# --- Check-ins ---------------------------------------------------------------------------------------------


def iso_week_of(moment: datetime) -> tuple[int, int]:
    local = timezone.localtime(moment)
    iso = local.isocalendar()
    return iso.year, iso.week


def can_change_checkin(access: Access, checkin, *, now: datetime | None = None) -> bool:
    """The author may edit or delete their own check-in within the same ISO week (local time)."""
    if not access.is_authenticated or checkin.author_id != access.user_id:
        return False
    return iso_week_of(checkin.created_at) == iso_week_of(now or timezone.now())


def can_import(access: Access) -> bool:
    """Importing OKRs from a spreadsheet may touch any team: OKR ambassadors and organisation admins."""
    return access.manages_organisation or access.is_ambassador
