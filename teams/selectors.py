"""Reads about teams: the team tree and who belongs where."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet

from teams.models import Membership, Profile, Team
from teams.tree import TeamTree

User = get_user_model()


def team_descendant_ids(root_ids: Iterable[int]) -> set[int]:
    """The given teams and every team below them (one query for the whole tree)."""
    return TeamTree.load().descendant_ids(root_ids)


def team_ancestor_ids(team: Team) -> list[int]:
    """Ids of the teams above ``team``, nearest first (one query for the whole tree)."""
    return TeamTree.load().ancestor_ids(team.pk)


def team_list() -> QuerySet[Team]:
    return Team.objects.select_related("parent").order_by("name")


def team_members(*, team: Team) -> QuerySet[Membership]:
    return Membership.objects.filter(team=team).select_related("user").order_by("-role", "user__first_name")


def user_display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def profile_language(*, user) -> str:
    """The user's chosen language code, or "" when they follow the site default (or have no profile yet)."""
    return Profile.objects.filter(user=user).values_list("language", flat=True).first() or ""


# --- The Organisation page ---------------------------------------------------------------------------------

ORGANISATION_PAGE_SIZE = 50


@dataclass
class OrganisationRow:
    id: int
    name: str
    slug: str
    parent_id: int | None
    archived_at: object
    depth: int
    path: list[str] = field(default_factory=list)  # names of the teams above, the top first (search hits)
    members: int = 0
    may_rename: bool = False
    may_restructure: bool = False
    may_add_sub_team: bool = False

    @property
    def pk(self) -> int:
        return self.id

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


def organisation_rows(*, team_ids: frozenset[int] | None, query: str = "") -> list[OrganisationRow]:
    """The team tree depth-first in name order as light rows, in one query whatever its size. ``team_ids``
    limits it (a lead sees the subtree they lead); ``query`` keeps the teams whose name or slug contains
    it, each with the names above it."""
    rows = {
        pk: OrganisationRow(
            id=pk, name=name, slug=slug, parent_id=parent_id, archived_at=archived_at, depth=0
        )
        for pk, name, slug, parent_id, archived_at in Team.objects.order_by("name").values_list(
            "id", "name", "slug", "parent_id", "archived_at"
        )
    }
    by_parent: dict[int | None, list[OrganisationRow]] = defaultdict(list)
    for row in rows.values():
        by_parent[row.parent_id if row.parent_id in rows else None].append(row)
    ordered: list[OrganisationRow] = []
    seen: set[int] = set()
    stack = [(row, 0, []) for row in reversed(by_parent[None])]
    while stack:
        row, depth, path = stack.pop()
        if row.id in seen:
            continue
        seen.add(row.id)
        row.depth, row.path = depth, path
        ordered.append(row)
        stack.extend((child, depth + 1, [*path, row.name]) for child in reversed(by_parent.get(row.id, [])))
    if team_ids is not None:
        ordered = [row for row in ordered if row.id in team_ids]
        # Depth relative to the top of what is shown, so a lead's subtree starts at the left edge.
        top = min((row.depth for row in ordered), default=0)
        for row in ordered:
            row.depth -= top
    needle = query.strip().casefold()
    if needle:
        ordered = [row for row in ordered if needle in row.name.casefold() or needle in row.slug.casefold()]
    return ordered


def organisation_page(*, rows: list[OrganisationRow], number) -> Page:
    """One page of rows, with each row's member count (one query for the page)."""
    page = Paginator(rows, ORGANISATION_PAGE_SIZE).get_page(number)
    counts = dict(
        Membership.objects.filter(team_id__in=[row.id for row in page.object_list])
        .values("team_id")
        .annotate(n=Count("id"))
        .values_list("team_id", "n")
    )
    for row in page.object_list:
        row.members = counts.get(row.id, 0)
    return page


def org_admin_profiles(*, limit: int = 100) -> list[Profile]:
    """The people with the organisation admin flag (staff have the role without it)."""
    return list(
        Profile.objects.filter(is_org_admin=True, user__is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__username")[:limit]
    )
