"""Reads about teams: the team tree and who belongs where."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from teams.models import Membership, Profile, Team

User = get_user_model()


def team_children_map() -> dict[int | None, list[int]]:
    """parent id → child ids for the whole tree, in one query (the tree is small: hundreds of rows)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for team_id, parent_id in Team.objects.values_list("id", "parent_id"):
        children[parent_id].append(team_id)
    return children


def team_descendant_ids(
    root_ids: Iterable[int], *, children: dict[int | None, list[int]] | None = None
) -> set[int]:
    """The given teams and every team below them."""
    children = team_children_map() if children is None else children
    result: set[int] = set()
    stack = list(root_ids)
    while stack:
        team_id = stack.pop()
        if team_id in result:
            continue
        result.add(team_id)
        stack.extend(children.get(team_id, ()))
    return result


def team_ancestor_ids(team: Team) -> list[int]:
    """Ids of the teams above ``team``, nearest first (one query for the whole tree)."""
    parents = dict(Team.objects.values_list("id", "parent_id"))
    result: list[int] = []
    node = parents.get(team.pk)
    while node is not None and node not in result:
        result.append(node)
        node = parents.get(node)
    return result


def team_list() -> QuerySet[Team]:
    return Team.objects.select_related("parent").order_by("name")


def team_tree() -> list[tuple[Team, int]]:
    """Every team as (team, depth), depth-first in name order: the Teams menu and scope pickers."""
    teams = list(Team.objects.order_by("name"))
    by_parent: dict[int | None, list[Team]] = defaultdict(list)
    for team in teams:
        by_parent[team.parent_id].append(team)
    result: list[tuple[Team, int]] = []
    seen: set[int] = set()

    def walk(parent_id: int | None, depth: int) -> None:
        for team in by_parent.get(parent_id, ()):
            if team.pk in seen:
                continue
            seen.add(team.pk)
            result.append((team, depth))
            walk(team.pk, depth + 1)

    walk(None, 0)
    return result


def team_members(*, team: Team) -> QuerySet[Membership]:
    return Membership.objects.filter(team=team).select_related("user").order_by("-role", "user__first_name")


def user_display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def profile_language(*, user) -> str:
    """The user's chosen language code, or "" when they follow the site default (or have no profile yet)."""
    return Profile.objects.filter(user=user).values_list("language", flat=True).first() or ""
