"""The teams each form may choose, by the form's purpose: one place for the form (``teams.forms.TeamField``'s
queryset) and for its search endpoint (``teams.views.team_pick``), so the picker offers exactly what the form
accepts. The permissions are the forms' own (teams/permissions.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from teams.models import Team
from teams.people_selectors import invitable_teams
from teams.permissions import (
    Access,
    can_invite,
    can_restructure_team,
    integrations_team_ids,
)

PURPOSE_INVITE = "invite"
PURPOSE_MOVE = "move"
PURPOSE_INTEGRATION = "integration"


def move_parents(access: Access, team: Team) -> QuerySet[Team]:
    """Where the team may go: any team that is not archived for organisation admins, the teams they lead
    for a lead. Teams below it are offered too; choosing one is refused with the loop message."""
    parents = Team.objects.filter(archived_at__isnull=True).exclude(pk=team.pk).order_by("name")
    if not access.manages_organisation:
        parents = parents.filter(pk__in=access.led_team_ids)
    return parents


def integration_teams(access: Access) -> QuerySet[Team]:
    """The teams one may add an integration for: not archived; the ones they lead for a lead."""
    teams = Team.objects.filter(archived_at__isnull=True).order_by("name")
    team_ids = integrations_team_ids(access)
    return teams if team_ids is None else teams.filter(pk__in=team_ids)


def pickable_teams(access: Access, purpose: str, params: QueryDict) -> QuerySet[Team]:
    """The teams the form of ``purpose`` offers to this person; PermissionDenied where the form itself
    would refuse them. ``params``: the search's own (``team``: the team being moved)."""
    if purpose == PURPOSE_INVITE:
        if not can_invite(access):
            raise PermissionDenied
        return invitable_teams(access=access)
    if purpose == PURPOSE_MOVE:
        pk = params.get("team", "")
        team = get_object_or_404(Team, pk=int(pk)) if pk.isdigit() and len(pk) <= 18 else None
        if team is None or not can_restructure_team(access, team):
            raise PermissionDenied(_("You may move only the teams below the teams you lead."))
        return move_parents(access, team)
    if purpose == PURPOSE_INTEGRATION:
        if not (access.manages_organisation or access.led_team_ids):
            raise PermissionDenied(_("Only organisation admins and team leads set up integrations."))
        return integration_teams(access)
    raise PermissionDenied
