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
def test_loading_is_two_queries_then_one(django_assert_num_queries):
    from teams import tree as tree_module

    section = Team.objects.create(name="Senter", slug="senter")
    Team.objects.create(name="Kurs", slug="kurs", parent=section)
    tree_module._cache.clear()  # another process, which has not read this tree yet
    with django_assert_num_queries(2):  # the tree's generation, then every team
        tree = TeamTree.load()
        assert tree.descendant_ids([section.pk]) == {section.pk, tree.by_slug("kurs").pk}
    with django_assert_num_queries(1):  # then the generation only
        assert TeamTree.load() is tree


# --- The process's copy of the tree, and each team's place in it ------------------------------------------


def _positions() -> list[str]:
    return list(Team.objects.order_by("tree_position").values_list("name", flat=True))


@pytest.mark.django_db
def test_a_process_reads_the_tree_once_until_a_team_changes(django_assert_num_queries):
    from teams.tree import tree_changed

    section = Team.objects.create(name="Seksjon", slug="seksjon")
    Team.objects.create(name="Kurs", slug="kurs", parent=section)
    first = TeamTree.load()
    with django_assert_num_queries(1):  # the generation only
        assert TeamTree.load() is first
    # A rename, a new team, a deletion and a bulk write: each makes the next load read the tree again.
    section.name = "Seksjon A"
    section.save()
    renamed = TeamTree.load()
    assert renamed is not first and renamed.by_slug("seksjon").name == "Seksjon A"
    extra = Team.objects.create(name="Annet", slug="annet")
    added = TeamTree.load()
    assert added is not renamed and added.by_slug("annet") is not None
    extra.delete()
    assert TeamTree.load().by_slug("annet") is None
    Team.objects.bulk_create([Team(name="Bulk", slug="bulk")])
    tree_changed()  # bulk_create sends no signal
    assert TeamTree.load().by_slug("bulk") is not None
    # Whole rows are never taken from the copy.
    assert TeamTree.load(columns=None) is not TeamTree.load(columns=None)


@pytest.mark.django_db
def test_each_team_keeps_its_place_in_the_walk():
    senter = Team.objects.create(name="Senter", slug="senter")
    kurs = Team.objects.create(name="Kurs", slug="kurs", parent=senter)
    Team.objects.create(name="Karriere", slug="karriere", parent=senter)
    Team.objects.create(name="Nettkurs", slug="nettkurs", parent=kurs)
    Team.objects.create(name="Annet", slug="annet")
    walk = [node.team.name for node in TeamTree.load().nodes()]
    assert _positions() == walk == ["Annet", "Senter", "Karriere", "Kurs", "Nettkurs"]
    kurs.parent = None  # moved to the top: it and the team below it move in the order
    kurs.save()
    assert _positions() == ["Annet", "Kurs", "Nettkurs", "Senter", "Karriere"]
    kurs.name = "Aaa kurs"
    kurs.save()
    assert _positions() == ["Aaa kurs", "Nettkurs", "Annet", "Senter", "Karriere"]


@pytest.mark.django_db(transaction=True)
def test_a_request_reads_the_generation_once_outside_transactions(django_assert_num_queries):
    """Between request_started and request_finished, a tree checked once is used again without a query;
    a change of the tree in the request, a transaction, and the end of the request each end that."""
    from django.core.signals import request_finished, request_started
    from django.db import transaction

    section = Team.objects.create(name="Seksjon", slug="seksjon")
    with django_assert_num_queries(2):  # outside a request: the generation on every load
        first = TeamTree.load()
        assert TeamTree.load() is first
    request_started.send(sender=None)
    try:
        with django_assert_num_queries(1):
            assert TeamTree.load() is first
            assert TeamTree.load() is first
            assert TeamTree.load() is first
        Team.objects.create(name="Kurs", slug="kurs", parent=section)  # tree_changed: checked again
        with django_assert_num_queries(1):
            assert TeamTree.load().by_slug("kurs") is not None
            assert TeamTree.load().by_slug("kurs") is not None
        with transaction.atomic():
            Team.objects.create(name="Annet", slug="annet")
            assert TeamTree.load().by_slug("annet") is not None
            transaction.set_rollback(True)
        assert TeamTree.load().by_slug("annet") is None  # rolled back: the stored generation is read again
    finally:
        request_finished.send(sender=None)
    with django_assert_num_queries(2):
        TeamTree.load()
        TeamTree.load()
