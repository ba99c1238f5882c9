"""The team tree, read once and walked in memory: ancestors, descendants and subtrees for permissions,
dashboards, digests and the Teams menu. The one place that follows ``Team.parent``.

The tree is small (hundreds of rows), so one query reads all of it; every walk is cycle-safe (a team is
visited once), although ``Team.clean`` keeps cycles out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from teams.models import Team

# What the walks and the menus need; a caller wanting whole rows passes ``columns=None``.
TREE_COLUMNS = ("id", "name", "slug", "parent_id")


@dataclass(frozen=True)
class TreeNode:
    team: Team
    depth: int  # below the top of the walk: 0 for a top team
    has_children: bool


class TeamTree:
    def __init__(self, teams: Iterable[Team]) -> None:
        self.by_id: dict[int, Team] = {team.pk: team for team in teams}
        children: dict[int | None, list[Team]] = defaultdict(list)
        for team in sorted(self.by_id.values(), key=lambda t: (t.name, t.pk)):
            parent = team.parent_id if team.parent_id in self.by_id else None
            children[parent].append(team)
        self._children = dict(children)
        self._whole: list[TreeNode] | None = None  # the whole tree's walk, done once (the tree never changes)

    @classmethod
    def load(cls, *, columns: Sequence[str] | None = TREE_COLUMNS) -> TeamTree:
        """Every team in one query."""
        teams = Team.objects.all()
        return cls(teams.only(*columns) if columns else teams)

    @classmethod
    def load_upwards(cls, teams: Iterable[Team], *, columns: Sequence[str] = TREE_COLUMNS) -> TeamTree:
        """The given teams and every team above them, for the paths of a few teams without reading the
        whole tree: one query per level above them (the depth of the tree, not its size)."""
        by_id = {team.pk: team for team in teams}
        wanted = {team.parent_id for team in by_id.values()} - set(by_id) - {None}
        while wanted:
            found = list(Team.objects.filter(pk__in=wanted).only(*columns))
            by_id.update((team.pk, team) for team in found)
            wanted = {team.parent_id for team in found} - set(by_id) - {None}
        return cls(by_id.values())

    def children(self, team_id: int | None) -> list[Team]:
        """The teams right below ``team_id`` (None: the top-level teams), in name order."""
        return self._children.get(team_id, [])

    def by_slug(self, slug: str) -> Team | None:
        return next((team for team in self.by_id.values() if team.slug == slug), None)

    def ancestor_ids(self, team_id: int) -> list[int]:
        """Ids of the teams above ``team_id``, nearest first."""
        result: list[int] = []
        team = self.by_id.get(team_id)
        node = team.parent_id if team else None
        while node is not None and node in self.by_id and node not in result and node != team_id:
            result.append(node)
            node = self.by_id[node].parent_id
        return result

    def ancestors(self, team_id: int) -> list[Team]:
        """The teams above ``team_id``, the top first (breadcrumbs)."""
        return [self.by_id[pk] for pk in reversed(self.ancestor_ids(team_id))]

    def descendant_ids(self, root_ids: Iterable[int]) -> set[int]:
        """The given teams and every team below them."""
        result: set[int] = set()
        stack = [pk for pk in root_ids if pk in self.by_id]
        while stack:
            team_id = stack.pop()
            if team_id in result:
                continue
            result.add(team_id)
            stack.extend(child.pk for child in self.children(team_id))
        return result

    def nodes(self, root_ids: Iterable[int] | None = None) -> list[TreeNode]:
        """Depth-first in name order: the whole tree, or the subtrees of ``root_ids``. A root that sits
        below another root appears once, inside the other's subtree."""
        if root_ids is None:
            # A page asks for the whole tree more than once (the dashboard's filter and its scope): at
            # thousands of teams the walk is worth keeping.
            if self._whole is None:
                self._whole = self._walk(self.children(None))
            return list(self._whole)
        roots = {pk for pk in root_ids if pk in self.by_id}
        tops = sorted(
            (self.by_id[pk] for pk in roots if not set(self.ancestor_ids(pk)) & roots),
            key=lambda t: (t.name, t.pk),
        )
        return self._walk(tops)

    def _walk(self, tops: list[Team]) -> list[TreeNode]:
        result: list[TreeNode] = []
        seen: set[int] = set()
        stack = [(team, 0) for team in reversed(tops)]
        while stack:
            team, depth = stack.pop()
            if team.pk in seen:
                continue
            seen.add(team.pk)
            below = self.children(team.pk)
            result.append(TreeNode(team=team, depth=depth, has_children=bool(below)))
            stack.extend((child, depth + 1) for child in reversed(below))
        return result
