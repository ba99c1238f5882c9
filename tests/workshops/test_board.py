"""The workshop board: who may join, drafting over htmx and plain POST, polling, publishing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from objectives.models import Cycle, KeyResult, Objective
from tests.factories import CycleFactory, InitiativeFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def planning(org):
    cycle = CycleFactory(name="Q2 planning", status=Cycle.Status.PLANNING)
    draft = ObjectiveFactory(team=org.team, cycle=cycle, title="Bedre kurs", status=Objective.Status.DRAFT)
    return cycle, draft


def board_url(org, cycle):
    return reverse("workshops:board", args=[org.team.slug, cycle.pk])


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("member", 200),
        ("lead", 200),
        ("section_leader", 200),
        ("ambassador", 200),
        ("staff", 200),
        ("outsider", 403),
    ],
)
def test_it_opens_the_board_to_the_team_leads_and_ambassadors(org, login, planning, persona, status):
    cycle, _ = planning
    assert login(getattr(org, persona)).get(board_url(org, cycle)).status_code == status


def test_it_is_closed_for_closed_cycles(org, login):
    cycle = CycleFactory(name="Old", status=Cycle.Status.CLOSED)
    assert login(org.member).get(board_url(org, cycle)).status_code == 404


def test_the_index_lists_only_my_teams(org, login, planning):
    response = login(org.member).get(reverse("workshops:index"))
    body = response.content.decode()
    assert "Kurs" in body and "Karriere" not in body
    body = login(org.ambassador).get(reverse("workshops:index")).content.decode()
    assert "Kurs" in body and "Karriere" in body


def test_a_member_drafts_an_objective_a_key_result_and_an_initiative(org, login, planning):
    cycle, draft = planning
    client = login(org.member)
    response = client.post(
        reverse("workshops:objective_new", args=[org.team.slug, cycle.pk]),
        {"objective-title": "Fornøyde deltakere", "objective-owner": org.member.pk},
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#board-list"
    assert "Fornøyde deltakere" in response.content.decode()
    new = Objective.objects.get(title="Fornøyde deltakere")
    assert new.status == Objective.Status.DRAFT and new.owner == org.member

    response = client.post(
        reverse("workshops:key_result_new", args=[org.team.slug, cycle.pk]),
        {
            "kr-objective": new.pk,
            "kr-title": "Øke NPS",
            "kr-kind": "increase_to",
            "kr-unit": "poeng",
            "kr-start_value": "20",
            "kr-target_value": "40,5",
            "kr-owner": org.teammate.pk,
        },
        **HTMX,
    )
    assert response.status_code == 200
    kr = KeyResult.objects.get(title="Øke NPS")
    assert kr.objective == new and kr.owner == org.teammate and str(kr.target_value) == "40.5000"
    assert "okr-saved" in response["HX-Trigger"]

    response = client.post(
        reverse("workshops:initiative_new", args=[org.team.slug, cycle.pk]),
        {
            "initiative-objective": new.pk,
            "initiative-title": "Spørreskjema",
            "initiative-owner": org.member.pk,
        },
    )
    assert response.status_code == 302
    assert new.initiatives.get().title == "Spørreskjema"


def test_bad_input_changes_nothing_and_says_why(org, login, planning):
    cycle, draft = planning
    client = login(org.member)
    url = reverse("workshops:key_result_new", args=[org.team.slug, cycle.pk])
    cases = [
        {"kr-title": "X", "kr-kind": "increase_to", "kr-start_value": "abc", "kr-target_value": "2"},
        {"kr-title": "X", "kr-kind": "increase_to", "kr-start_value": "1", "kr-target_value": "1" + "0" * 14},
        {"kr-title": "X", "kr-kind": "increase_to", "kr-start_value": "10", "kr-target_value": "2"},
        {"kr-title": "X", "kr-kind": "nonsense", "kr-start_value": "1", "kr-target_value": "2"},
        {"kr-title": "", "kr-kind": "increase_to", "kr-start_value": "1", "kr-target_value": "2"},
    ]
    for case in cases:
        response = client.post(url, {"kr-objective": draft.pk, **case}, **HTMX)
        assert response.status_code == 200
        assert response["HX-Retarget"] == "#new-kr-errors"
        assert "errorlist" in response.content.decode()
    # Another team's objective is not a choice.
    response = client.post(
        url,
        {"kr-objective": org.other_objective.pk, "kr-title": "X", "kr-kind": "achieve"},
    )
    assert response.status_code == 400
    assert not KeyResult.objects.filter(title="X").exists()


def test_html_in_titles_is_escaped(org, login, planning):
    cycle, draft = planning
    client = login(org.member)
    client.post(
        reverse("workshops:objective_new", args=[org.team.slug, cycle.pk]),
        {"objective-title": "<script>alert(1)</script>"},
    )
    body = client.get(board_url(org, cycle)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.parametrize("persona", ["outsider"])
def test_outsiders_cannot_draft(org, login, planning, persona):
    cycle, draft = planning
    client = login(getattr(org, persona))
    for name, data in [
        ("objective_new", {"objective-title": "X"}),
        ("key_result_new", {"kr-objective": draft.pk, "kr-title": "X", "kr-kind": "achieve"}),
        ("initiative_new", {"initiative-objective": draft.pk, "initiative-title": "X"}),
        ("coach_preview", {"kr-title": "X"}),
    ]:
        assert (
            client.post(reverse(f"workshops:{name}", args=[org.team.slug, cycle.pk]), data).status_code == 403
        )
    assert not Objective.objects.filter(title="X").exists()


def test_the_poll_answers_204_until_something_changes(org, login, planning):
    cycle, draft = planning
    client = login(org.member)
    version = client.get(board_url(org, cycle)).context["version"]
    assert client.get(board_url(org, cycle), {"since": version}, **HTMX).status_code == 204
    KeyResultFactory(objective=draft, title="Ny fra kollega")
    response = client.get(board_url(org, cycle), {"since": version}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ny fra kollega" in body
    # Only the list region comes back: the drafting forms are never replaced.
    assert 'id="board-list"' in body and 'id="new-kr"' not in body
    new_version = re.search(r'data-version="([^"]+)"', body).group(1)
    assert new_version != version
    draft.key_results.get().delete()
    assert client.get(board_url(org, cycle), {"since": new_version}, **HTMX).status_code == 200


@pytest.mark.parametrize("size", [1, 5])
def test_the_board_runs_the_same_queries_for_any_size(org, login, planning, size, django_assert_num_queries):
    cycle, draft = planning
    for i in range(size):
        objective = ObjectiveFactory(team=org.team, cycle=cycle, status=Objective.Status.DRAFT, title=f"O{i}")
        for j in range(3):
            kr = KeyResultFactory(objective=objective, owner=org.member, title=f"KR {i}.{j}")
            InitiativeFactory(objective=objective, key_result=kr, owner=org.teammate)
    client = login(org.member)
    # session, user, team, cycle, memberships + ambassador flag (access_for), objectives, key results
    # (+ owners, KPIs), initiatives (+ owners), team members, team tree, parent objectives (+ key results),
    # the change token, owner choices
    with django_assert_num_queries(14):
        assert client.get(board_url(org, cycle)).status_code == 200


@pytest.mark.usefixtures("english")
def test_the_coach_shows_beside_each_draft_and_the_ownership_gaps(org, login, planning):
    cycle, draft = planning
    KeyResultFactory(objective=draft, title="Lage ny nettside", owner=None)
    body = login(org.member).get(board_url(org, cycle)).content.decode()
    assert "Reads like a task" in body
    assert "No owner" in body
    assert "Fewer than two key results" in body
    # Nobody owns anything on the Kurs board yet: everyone is listed by name.
    assert "Maja Medlem" in body and "Tore Teamkamerat" in body


@pytest.mark.usefixtures("english")
def test_the_live_coach_preview_warns_while_typing(org, login, planning):
    cycle, draft = planning
    response = login(org.member).post(
        reverse("workshops:coach_preview", args=[org.team.slug, cycle.pk]),
        {"kr-title": "Arrangere fagdag", "kr-kind": "increase_to", "kr-start_value": "1"},
        **HTMX,
    )
    body = response.content.decode()
    assert "Reads like a task" in body and "Not measurable" in body


def test_parents_of_the_teams_above_are_context_and_choices(org, login, planning):
    cycle, draft = planning
    parent = ObjectiveFactory(
        team=org.section, cycle=cycle, title="Seksjonsmål", status=Objective.Status.ACTIVE
    )
    ObjectiveFactory(team=org.other_team, cycle=cycle, title="Søstermål", status=Objective.Status.ACTIVE)
    client = login(org.member)
    body = client.get(board_url(org, cycle)).content.decode()
    assert "Seksjonsmål" in body and "Søstermål" not in body
    client.post(
        reverse("workshops:objective_new", args=[org.team.slug, cycle.pk]),
        {"objective-title": "Justert", "objective-parent": parent.pk},
    )
    assert Objective.objects.get(title="Justert").parent == parent
    sibling = Objective.objects.get(title="Søstermål")
    response = client.post(
        reverse("workshops:objective_new", args=[org.team.slug, cycle.pk]),
        {"objective-title": "Feil", "objective-parent": sibling.pk},
    )
    assert response.status_code == 400 and not Objective.objects.filter(title="Feil").exists()


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("member", True), ("ambassador", True), ("lead", True), ("outsider", False)],
)
def test_who_edits_and_deletes_drafts(org, login, planning, persona, allowed):
    cycle, draft = planning
    kr = KeyResultFactory(objective=draft, title="Gammel")
    client = login(getattr(org, persona))
    response = client.post(
        reverse("workshops:key_result_edit", args=[kr.pk]),
        {"edit-title": "Ny", "edit-kind": "increase_to", "edit-start_value": "1", "edit-target_value": "3"},
    )
    assert response.status_code == (302 if allowed else 404)
    kr.refresh_from_db()
    assert (kr.title == "Ny") is allowed
    response = client.post(reverse("workshops:key_result_delete", args=[kr.pk]))
    assert response.status_code == (302 if allowed else 404)
    assert KeyResult.objects.filter(pk=kr.pk).exists() is not allowed
    response = client.post(reverse("workshops:objective_edit", args=[draft.pk]), {"edit-title": "Omdøpt"})
    assert response.status_code == (302 if allowed else 404)


def test_members_may_not_edit_published_key_results(org, login):
    response = login(org.member).post(
        reverse("workshops:key_result_edit", args=[org.key_result.pk]),
        {"edit-title": "Ny", "edit-kind": "increase_to", "edit-start_value": "1", "edit-target_value": "3"},
    )
    assert response.status_code == 403


def test_the_editor_comes_over_htmx(org, login, planning):
    cycle, draft = planning
    response = login(org.member).get(reverse("workshops:objective_edit", args=[draft.pk]), **HTMX)
    body = response.content.decode()
    assert "<html" not in body and 'name="edit-title"' in body


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 403), ("lead", 302), ("section_leader", 302), ("ambassador", 302), ("outsider", 403)],
)
def test_publish_is_for_leads_and_ambassadors(org, login, planning, persona, status):
    cycle, draft = planning
    response = login(getattr(org, persona)).post(reverse("workshops:publish", args=[org.team.slug, cycle.pk]))
    assert response.status_code == status
    draft.refresh_from_db()
    # A planning cycle: published now, active when the cycle is activated.
    assert (draft.status == Objective.Status.PUBLISHED) is (status == 302)


@pytest.mark.usefixtures("english")
def test_publish_confirmation_lists_the_open_warnings(org, login, planning):
    cycle, draft = planning
    KeyResultFactory(objective=draft, title="Launch the app", owner=None)
    other_draft = ObjectiveFactory(team=org.other_team, cycle=cycle, status=Objective.Status.DRAFT)
    body = login(org.lead).get(reverse("workshops:publish", args=[org.team.slug, cycle.pk])).content.decode()
    assert "Launch the app" in body and "Reads like a task" in body and "No owner" in body
    login(org.lead).post(reverse("workshops:publish", args=[org.team.slug, cycle.pk]))
    draft.refresh_from_db()
    other_draft.refresh_from_db()
    assert draft.status == "published" and other_draft.status == "draft"


def test_saving_in_the_editor_swaps_the_list_and_clears_the_editor(org, login, planning):
    cycle, draft = planning
    kr = KeyResultFactory(objective=draft, title="Gammel tittel")
    client = login(org.member)
    url = reverse("workshops:key_result_edit", args=[kr.pk])
    response = client.post(
        url,
        {
            "edit-title": "Ny tittel",
            "edit-kind": "increase_to",
            "edit-start_value": "1",
            "edit-target_value": "abc",
        },
        **HTMX,
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert "HX-Retarget" not in response  # errors stay in the editor
    response = client.post(
        url,
        {
            "edit-title": "Ny tittel",
            "edit-kind": "increase_to",
            "edit-start_value": "1",
            "edit-target_value": "3",
        },
        **HTMX,
    )
    body = response.content.decode()
    assert response["HX-Retarget"] == "#board-list"
    assert "Ny tittel" in body and 'id="board-editor" hx-swap-oob="innerHTML"' in body


@pytest.fixture
def english(settings):
    """Tests that read the English texts ask for them; Norwegian is the site default."""
    settings.LANGUAGE_CODE = "en"


def test_alignment_offers_the_objectives_above_in_every_overlapping_cycle(org, login):
    start = dt.date(2031, 1, 1)
    quarter = CycleFactory(
        name="Q1 2031", status=Cycle.Status.PLANNING, start_date=start, end_date=dt.date(2031, 3, 31)
    )
    tertial = CycleFactory(name="T1 2031", start_date=start, end_date=dt.date(2031, 4, 30))
    later = CycleFactory(name="T2 2031", start_date=dt.date(2031, 5, 1), end_date=dt.date(2031, 8, 31))
    overlapping = ObjectiveFactory(team=org.section, cycle=tertial, title="Seksjonens tertialmål")
    apart = ObjectiveFactory(team=org.section, cycle=later, title="Senere tertialmål")
    client = login(org.member)
    response = client.get(board_url(org, quarter))
    assert overlapping in response.context["parents"] and apart not in response.context["parents"]
    assert "T1 2031" in response.content.decode()  # the other cycle is named beside the objective
    new_url = reverse("workshops:objective_new", args=[org.team.slug, quarter.pk])
    client.post(new_url, {"objective-title": "Kvartalsmål", "objective-parent": overlapping.pk})
    assert Objective.objects.get(title="Kvartalsmål").parent == overlapping
    response = client.post(new_url, {"objective-title": "Feil", "objective-parent": apart.pk})
    assert response.status_code == 400 and not Objective.objects.filter(title="Feil").exists()


def test_new_key_results_and_initiatives_default_to_the_objective_just_created(org, login, planning):
    cycle, draft = planning
    client = login(org.member)
    new_url = reverse("workshops:objective_new", args=[org.team.slug, cycle.pk])
    response = client.post(new_url, {"objective-title": "Nyeste mål"}, **HTMX)
    new = Objective.objects.get(title="Nyeste mål")
    assert f'data-created="{new.pk}"' in response.content.decode()  # workshops.js selects it in the forms
    # Without JavaScript: back on the board, both forms start on the newest draft, not the first.
    response = client.get(board_url(org, cycle))
    assert response.context["kr_form"]["objective"].value() == new.pk
    assert response.context["initiative_form"]["objective"].value() == new.pk
    assert draft.pk < new.pk
    assert re.search(rf'<option value="{new.pk}" selected>Nyeste mål</option>', response.content.decode())
