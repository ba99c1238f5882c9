"""Reads about teams: the team tree and who belongs where."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from teams.models import Membership, Profile, Team
from teams.tree import TeamTree

User = get_user_model()


def team_descendant_ids(root_ids: Iterable[int]) -> set[int]:
    """The given teams and every team below them (one query for the whole tree)."""
    return TeamTree.load(columns=("id", "parent_id", "name")).descendant_ids(root_ids)


def team_ancestor_ids(team: Team) -> list[int]:
    """Ids of the teams above ``team``, nearest first (one query for the whole tree)."""
    return TeamTree.load(columns=("id", "parent_id", "name")).ancestor_ids(team.pk)


def team_list() -> QuerySet[Team]:
    return Team.objects.select_related("parent").order_by("name")


def team_tree() -> list[tuple[Team, int]]:
    """Every team as (team, depth), depth-first in name order: the Teams menu and scope pickers."""
    return [(node.team, node.depth) for node in TeamTree.load(columns=None).nodes()]


def team_members(*, team: Team) -> QuerySet[Membership]:
    return Membership.objects.filter(team=team).select_related("user").order_by("-role", "user__first_name")


def user_display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def profile_language(*, user) -> str:
    """The user's chosen language code, or "" when they follow the site default (or have no profile yet)."""
    return Profile.objects.filter(user=user).values_list("language", flat=True).first() or ""
