"""The objective page: key results with figures, its parent, what aligns to it (any depth), its siblings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from objectives.models import Objective
from tests.factories import CheckInFactory, KeyResultFactory, ObjectiveFactory, TeamFactory

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


def url(objective) -> str:
    return reverse("objective_detail", args=[objective.pk])


@pytest.fixture
def tree(org):
    """Section objective ← Kurs objective (org.objective) ← a Kurs sub-team objective; a Karriere one too."""
    top = ObjectiveFactory(team=org.section, cycle=org.cycle, title="Seksjonens mål")
    Objective.objects.filter(pk__in=[org.objective.pk, org.other_objective.pk]).update(parent=top)
    sub_team = TeamFactory(name="Kurs Nord", slug="kurs-nord", parent=org.team)
    grandchild = ObjectiveFactory(team=sub_team, cycle=org.cycle, title="Nordens mål", parent=org.objective)
    sibling = ObjectiveFactory(team=org.team, cycle=org.cycle, title="Kurs sitt andre mål")
    return top, grandchild, sibling


def test_it_shows_key_results_with_figures_in_the_readers_language(org, login):
    key_result = KeyResultFactory(
        objective=org.objective, title="Timer", unit="timer", start_value=0, target_value=1400
    )
    CheckInFactory(key_result=key_result, author=org.member, value=Decimal("1268.5"), confidence=8)
    client = login(org.member)
    page = client.get(url(org.objective), HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Øke antall kurs fra 10 til 40" in page
    assert f"1{NBSP}268,5 timer" in page and f"1{NBSP}400 timer" in page
    assert "91 %" in page  # progress of the key result
    assert "Tillit 8/10" in page
    english = client.get(url(org.objective), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1,268.5 timer" in english and "1,400 timer" in english


def test_it_shows_the_parent_the_aligned_tree_and_the_siblings(org, login, tree):
    top, grandchild, sibling = tree
    response = login(org.outsider).get(url(org.objective))
    assert response.status_code == 200
    page = response.context["page"]
    assert page.parent == top
    assert [node.objective for node in page.aligned] == [grandchild]
    assert [node.objective for node in page.siblings] == [sibling]
    # From the top: both teams' objectives, and the grandchild below Kurs (any depth).
    page = login(org.outsider).get(url(top)).context["page"]
    by_title = {node.objective.title: node for node in page.aligned}
    assert set(by_title) == {"Flere deltakere på kurs", "Flere karrieresamtaler"}
    assert [c.objective for c in by_title["Flere deltakere på kurs"].children] == [grandchild]
    assert page.aligned_count == 3
    html = login(org.outsider).get(url(top)).content.decode()
    assert f'href="{url(grandchild)}"' in html


def test_drafts_are_404_for_those_who_may_not_see_them(org, login):
    draft = ObjectiveFactory(team=org.team, cycle=org.cycle, title="Hemmelig utkast", status="draft")
    assert login(org.outsider).get(url(draft)).status_code == 404
    for persona in ("member", "lead", "section_leader", "ambassador"):
        assert login(getattr(org, persona)).get(url(draft)).status_code == 200, persona
    assert login(org.outsider).get(reverse("objective_detail", args=[999999])).status_code == 404


def test_a_draft_in_the_tree_stays_hidden_from_others(org, login, tree):
    top, _grandchild, _sibling = tree
    Objective.objects.filter(pk=top.pk).update(status="draft")
    hidden = ObjectiveFactory(
        team=org.team, cycle=org.cycle, title="Skjult utkast", status="draft", parent=org.objective
    )
    page = login(org.outsider).get(url(org.objective)).context["page"]
    assert page.parent is None
    assert hidden not in [node.objective for node in page.aligned]
    assert "Skjult utkast" not in login(org.outsider).get(url(org.objective)).content.decode()
    page = login(org.member).get(url(org.objective)).context["page"]
    assert hidden in [node.objective for node in page.aligned]


def test_anonymous_users_are_sent_to_log_in(org, client):
    assert client.get(url(org.objective)).status_code == 302


def test_the_team_page_the_dashboard_and_the_key_result_link_to_it(org, login):
    KeyResultFactory(objective=org.objective, owner=None)  # no owner: in the needs-attention list
    client = login(org.section_leader)
    link = f'href="{url(org.objective)}"'
    assert link in client.get(reverse("teams:detail", args=[org.team.slug])).content.decode()
    assert link in client.get(reverse("dashboards:index")).content.decode()
    key_result_page = client.get(reverse("checkins:key_result_detail", args=[org.key_result.pk]))
    assert link in key_result_page.content.decode()


@pytest.mark.parametrize("size", [2, 12])
def test_it_runs_the_same_queries_for_few_and_many(org, client, size, django_assert_num_queries):
    for index in range(size):
        child = ObjectiveFactory(
            team=org.other_team, cycle=org.cycle, title=f"Barn {index}", parent=org.objective
        )
        ObjectiveFactory(team=org.other_team, cycle=org.cycle, title=f"Barnebarn {index}", parent=child)
        KeyResultFactory(objective=child)
        KeyResultFactory(objective=org.objective, owner=org.member)
        ObjectiveFactory(team=org.team, cycle=org.cycle, title=f"Søsken {index}")
    client.force_login(org.member)
    # session, user, access (memberships, profile), the objective, its key results, siblings, two levels
    # of aligned objectives and the (empty) third, the progress of all of them
    with django_assert_num_queries(11):
        response = client.get(url(org.objective))
    assert response.context["page"].aligned_count == 2 * size
