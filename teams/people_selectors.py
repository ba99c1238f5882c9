"""Reads about people: the People page's search and the pending invitations a user may manage."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from teams.models import Invitation, Membership, Team
from teams.permissions import Access, people_team_ids

User = get_user_model()

PEOPLE_PAGE_SIZE = 50


def people_search(*, query: str = "") -> QuerySet:
    """Everyone, or those whose name, username or email contains ``query``, with their teams (two queries per
    page: the people and their memberships)."""
    people = User.objects.order_by("first_name", "last_name", "username", "id")
    for word in query.split():
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(email__icontains=word)
        )
    return people.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("team").order_by("team__name"))
    )


def invitations_open_for(*, access: Access) -> QuerySet[Invitation]:
    """Open (pending or expired) invitations to the teams whose people ``access`` manages, newest first."""
    invitations = Invitation.objects.open().select_related("team", "invited_by")
    team_ids = people_team_ids(access)
    if team_ids is not None:
        invitations = invitations.filter(team_id__in=team_ids)
    return invitations.order_by("-created_at", "-id")


def invitable_teams(*, access: Access) -> QuerySet[Team]:
    teams = Team.objects.filter(archived_at__isnull=True).order_by("name")  # archived: out of new work
    team_ids = people_team_ids(access)
    return teams if team_ids is None else teams.filter(pk__in=team_ids)
