"""The one team-tree helper (teams/tree.py): one read, every walk in memory."""

from __future__ import annotations

import pytest

from teams.models import Team
from teams.tree import TeamTree


def tree_of(*rows: tuple[int, str, int | None]) -> TeamTree:
    return TeamTree(Team(id=pk, name=name, slug=name.lower(), parent_id=parent) for pk, name, parent in rows)


# 1 Senter ─┬─ 2 Kurs ── 4 Nettkurs
#           └─ 3 Karriere
# 5 Annet
TREE = tree_of(
    (1, "Senter", None), (2, "Kurs", 1), (3, "Karriere", 1), (4, "Nettkurs", 2), (5, "Annet", None)
)


def names(nodes) -> list[tuple[str, int, bool]]:
    return [(node.team.name, node.depth, node.has_children) for node in nodes]


def test_the_whole_tree_depth_first_in_name_order():
    assert names(TREE.nodes()) == [
        ("Annet", 0, False),
        ("Senter", 0, True),
        ("Karriere", 1, False),
        ("Kurs", 1, True),
        ("Nettkurs", 2, False),
    ]


def test_a_subtree_counts_depth_from_its_top_and_a_root_below_another_appears_once():
    assert names(TREE.nodes([2])) == [("Kurs", 0, True), ("Nettkurs", 1, False)]
    assert names(TREE.nodes([4, 1])) == names(TREE.nodes([1]))
    assert [n.team.name for n in TREE.nodes([5, 2])] == ["Annet", "Kurs", "Nettkurs"]


def test_ancestors_and_descendants():
    assert TREE.ancestor_ids(4) == [2, 1]
    assert [team.name for team in TREE.ancestors(4)] == ["Senter", "Kurs"]
    assert TREE.ancestor_ids(1) == []
    assert TREE.descendant_ids([1]) == {1, 2, 3, 4}
    assert TREE.descendant_ids([2, 4, 99]) == {2, 4}
    assert TREE.by_slug("kurs").pk == 2 and TREE.by_slug("nope") is None


def test_a_cycle_in_the_data_does_not_loop():
    looped = tree_of((1, "A", 2), (2, "B", 1), (3, "C", None))
    assert looped.ancestor_ids(1) == [2]
    assert looped.descendant_ids([1]) == {1, 2}
    assert names(looped.nodes([1])) == [("A", 0, True), ("B", 1, True)]


@pytest.mark.django_db
def test_loading_is_one_query(django_assert_num_queries):
    section = Team.objects.create(name="Senter", slug="senter")
    Team.objects.create(name="Kurs", slug="kurs", parent=section)
    with django_assert_num_queries(1):
        tree = TeamTree.load()
        assert tree.descendant_ids([section.pk]) == {section.pk, tree.by_slug("kurs").pk}
