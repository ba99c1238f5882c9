"""The team tree, read once and walked in memory: ancestors, descendants and subtrees for permissions,
dashboards, digests and the Teams menu. The one place that follows ``Team.parent``.

One query reads all of it, and a process keeps what it read (with its walk) until a team is saved or
deleted anywhere: ``TeamTreeState.generation`` changes then (model signals below; ``tree_changed()`` after
a bulk write), and ``load`` reads that one row to know whether its copy is still current (once a
request, outside transactions). Every walk is cycle-safe (a team is visited once), although ``Team.clean``
keeps cycles out. A loaded tree is shared by the requests of the process: read it, never change its teams.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from asgiref.local import Local
from django.core.signals import request_finished, request_started
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from teams.models import Team, TeamTreeState

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
        self._by_slug: dict[str, Team] = {team.slug: team for team in self.by_id.values()}
        children: dict[int | None, list[Team]] = defaultdict(list)
        for team in sorted(self.by_id.values(), key=lambda t: (t.name, t.pk)):
            parent = team.parent_id if team.parent_id in self.by_id else None
            children[parent].append(team)
        self._children = dict(children)
        self._whole: list[TreeNode] | None = None  # the whole tree's walk, done once (the tree never changes)
        # The stored generation this tree was read at (None: not read through ``load``): a cache key of what
        # is derived from the tree.
        self.generation: uuid.UUID | None = None

    @classmethod
    def load(cls, *, columns: Sequence[str] | None = TREE_COLUMNS) -> TeamTree:
        """Every team in one query, or the tree this process read before while no team has changed since
        (one short query; the tree's columns only: ``columns=None`` always reads the whole rows)."""
        if columns != TREE_COLUMNS:
            teams = Team.objects.all()
            return cls(teams.only(*columns) if columns else teams)
        if (checked := getattr(_request, "tree", None)) is not None:
            return checked  # checked against the stored generation earlier in this request
        generation = TeamTreeState.objects.filter(pk=1).values_list("generation", flat=True).first()
        cached = _cache.get("tree")
        if generation is not None and cached is not None and cached[0] == generation:
            return _request_keeps(cached[1])
        tree = cls(Team.objects.only(*TREE_COLUMNS))
        if generation is not None:  # the row is missing only in a flushed test database: no caching
            tree.generation = generation
            _cache["tree"] = (generation, tree)
            _request_keeps(tree)
        return tree

    def children(self, team_id: int | None) -> list[Team]:
        """The teams right below ``team_id`` (None: the top-level teams), in name order."""
        return self._children.get(team_id, [])

    def by_slug(self, slug: str) -> Team | None:
        return self._by_slug.get(slug)

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


_cache: dict[str, tuple] = {}  # "tree" → (generation, TeamTree): this process's copy
# Within a request (between Django's request_started and request_finished signals), the tree once checked
# against the stored generation: a page that walks the tree in several places reads the generation once.
_request = Local()


def _request_keeps(tree: TeamTree) -> TeamTree:
    # Not inside a transaction: one that writes teams and rolls back leaves the stored generation as it was,
    # which the next load must see.
    if getattr(_request, "active", False) and not connection.in_atomic_block:
        _request.tree = tree
    return tree


@receiver(request_started)
def _request_started(sender, **kwargs) -> None:
    _request.active, _request.tree = True, None


@receiver(request_finished)
def _request_finished(sender, **kwargs) -> None:
    _request.active, _request.tree = False, None


def tree_changed() -> None:
    """A team was created, changed or deleted: every process reads the tree again, and each team's
    ``tree_position`` follows (called by the model signals; call it after a bulk write of teams, which
    sends none). Two statements and a read of the tree's columns: a write of teams is rare."""
    generation = uuid.uuid4()
    _request.tree = None  # the request reads the generation again (this one may yet be rolled back)
    if not TeamTreeState.objects.filter(pk=1).update(generation=generation):
        TeamTreeState.objects.update_or_create(pk=1, defaults={"generation": generation})
    teams = list(Team.objects.only(*TREE_COLUMNS, "tree_position"))
    tree = TeamTree(teams)
    tree.generation = generation
    moved = []
    for position, node in enumerate(tree.nodes()):
        if node.team.tree_position != position:
            node.team.tree_position = position
            moved.append(node.team)
    if moved:
        Team.objects.bulk_update(moved, ["tree_position"], batch_size=500)
        tree_reordered.send(sender=Team)
    # This process has just read the new tree: its next load reads only the generation. (Rolled back, the
    # generation never becomes the stored one, and the next load reads the tree again.)
    _cache["tree"] = (generation, tree)


# sender=Team: some team's ``tree_position`` changed (for the copies of it kept above this layer).
tree_reordered = Signal()


@receiver(post_save, sender=Team)
@receiver(post_delete, sender=Team)
def _team_changed(sender, instance: Team, **kwargs) -> None:
    tree_changed()
