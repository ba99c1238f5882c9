"""Another team's drafts are 404, its published objectives 403 to write; GET never deletes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from objectives.models import Cycle, Initiative, Kpi, Objective
from tests.factories import CycleFactory, InitiativeFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def their_draft(org):
    cycle = CycleFactory(name="Q2 planning", status=Cycle.Status.PLANNING)
    draft = ObjectiveFactory(
        team=org.other_team, cycle=cycle, title="Deres utkast", status=Objective.Status.DRAFT
    )
    initiative = InitiativeFactory(objective=draft, title="Deres tiltak")
    return draft, initiative


def test_another_teams_drafts_are_invisible(org, login, their_draft):
    draft, initiative = their_draft
    client = login(org.member)
    assert client.get(reverse("workshops:initiative_edit", args=[initiative.pk])).status_code == 404
    edit_url = reverse("workshops:initiative_edit", args=[initiative.pk])
    response = client.post(edit_url, {"edit-title": "Kapret"})
    assert response.status_code == 404
    assert client.post(reverse("workshops:initiative_delete", args=[initiative.pk])).status_code == 404
    assert client.post(reverse("workshops:objective_delete", args=[draft.pk])).status_code == 404
    initiative.refresh_from_db()
    assert initiative.title == "Deres tiltak"
    assert Objective.objects.filter(pk=draft.pk).exists()


def test_another_teams_published_work_is_visible_but_not_writable(org, login):
    initiative = InitiativeFactory(objective=org.other_objective, title="Deres tiltak")
    client = login(org.member)
    edit_url = reverse("workshops:initiative_edit", args=[initiative.pk])
    response = client.post(edit_url, {"edit-title": "Kapret"})
    assert response.status_code == 403
    assert client.post(reverse("workshops:initiative_delete", args=[initiative.pk])).status_code == 403
    delete_url = reverse("workshops:objective_delete", args=[org.other_objective.pk])
    assert client.post(delete_url).status_code == 403
    initiative.refresh_from_db()
    assert initiative.title == "Deres tiltak"
    assert Objective.objects.filter(pk=org.other_objective.pk).exists()


def test_deleting_a_draft_needs_a_post(org, login, their_draft):
    draft, initiative = their_draft
    client = login(org.outsider)
    assert client.get(reverse("workshops:initiative_delete", args=[initiative.pk])).status_code == 405
    assert client.get(reverse("workshops:objective_delete", args=[draft.pk])).status_code == 405
    assert Initiative.objects.filter(pk=initiative.pk).exists()
    assert client.post(reverse("workshops:initiative_delete", args=[initiative.pk])).status_code == 302
    assert not Initiative.objects.filter(pk=initiative.pk).exists()


def test_another_teams_draft_key_result_is_404_to_edit_retire_and_promote(org, login, their_draft):
    draft, _ = their_draft
    key_result = KeyResultFactory(objective=draft, title="Deres nøkkelresultat")
    client = login(org.lead)
    for name, data in [
        ("key_result_edit", {"edit-title": "Kapret", "edit-kind": "achieve"}),
        ("key_result_retire", {"retire-reason": "Kapret"}),
        ("kpi_promote", {"name": "Kapret", "kind": "stay_above", "target_value": "1"}),
    ]:
        assert client.post(reverse(f"workshops:{name}", args=[key_result.pk]), data).status_code == 404, name
    key_result.refresh_from_db()
    assert key_result.title == "Deres nøkkelresultat" and key_result.retired_at is None
    assert not Kpi.objects.filter(source_key_result=key_result).exists()
