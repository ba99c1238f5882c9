"""HTML edit forms carry the version they were opened at: saving over someone else's newer change is refused
(409) with what changed, field by field, and the typed input kept; saving again then keeps it."""

from __future__ import annotations

import re
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from objectives.models import Initiative, KeyResult, Objective
from objectives.services import key_result_adjust, objective_update
from teams.models import Membership
from tests.factories import InitiativeFactory, ObjectiveFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def opened_version(html: str) -> str:
    return re.search(r'name="edit-version" value="(\d+)"', html).group(1)


def adjust_form(version, **overrides) -> dict:
    return {
        "edit-title": "Øke antall kurs fra 10 til 40",
        "edit-kind": "increase_to",
        "edit-unit": "courses",
        "edit-start_value": "10",
        "edit-target_value": "35",
        "edit-reason": "Ny info",
        "edit-version": version,
        **overrides,
    }


@pytest.mark.django_db
class TestAdjust:
    def url(self, org) -> str:
        return reverse("workshops:key_result_edit", args=[org.key_result.pk])

    def test_saving_over_a_newer_change_is_refused_with_what_changed(self, org, login):
        client = login(org.lead)
        version = opened_version(client.get(self.url(org)).content.decode())
        # Meanwhile the section leader raises the target.
        key_result_adjust(
            key_result=KeyResult.objects.get(pk=org.key_result.pk),
            actor=org.section_leader,
            data={"target_value": Decimal(50)},
            reason="Mer ambisiøst",
        )
        response = client.post(self.url(org), adjust_form(version), **EN)
        assert response.status_code == 409
        html = response.content.decode()
        assert "Someone else saved a change since you opened this" in html
        assert "Target value: “50” now, “35” yours" in html
        assert 'name="edit-target_value" value="35"' in html  # what was typed stays
        current = KeyResult.objects.get(pk=org.key_result.pk)
        assert current.target_value == Decimal(50)
        assert opened_version(html) == str(current.version)
        # Having seen it, saving again keeps the lead's version.
        response = client.post(self.url(org), adjust_form(opened_version(html)), **EN)
        assert response.status_code == 302
        assert KeyResult.objects.get(pk=org.key_result.pk).target_value == Decimal(35)

    def test_an_unchanged_version_saves(self, org, login):
        client = login(org.lead)
        version = opened_version(client.get(self.url(org)).content.decode())
        assert client.post(self.url(org), adjust_form(version)).status_code == 302
        assert KeyResult.objects.get(pk=org.key_result.pk).target_value == Decimal(35)

    def test_a_form_without_a_version_still_saves(self, org, login):
        assert login(org.lead).post(self.url(org), adjust_form("")).status_code == 302


@pytest.mark.django_db
def test_a_draft_objective_edit_shows_the_other_title(org, login):
    draft = ObjectiveFactory(team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT, title="Utkast")
    url = reverse("workshops:objective_edit", args=[draft.pk])
    client = login(org.member)
    version = opened_version(client.get(url).content.decode())
    objective_update(objective=Objective.objects.get(pk=draft.pk), data={"title": "Teamkameratens tittel"})
    response = client.post(url, {"edit-title": "Min tittel", "edit-version": version}, **EN)
    assert response.status_code == 409
    assert "Objective: “Teamkameratens tittel” now, “Min tittel” yours" in response.content.decode()
    assert Objective.objects.get(pk=draft.pk).title == "Teamkameratens tittel"


@pytest.mark.django_db
def test_a_draft_initiative_edit_is_refused_too(org, login):
    draft = ObjectiveFactory(team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT)
    initiative = InitiativeFactory(objective=draft, title="Tiltak")
    url = reverse("workshops:initiative_edit", args=[initiative.pk])
    client = login(org.member)
    version = opened_version(client.get(url).content.decode())
    Initiative.objects.get(pk=initiative.pk).save()  # any save is a newer version
    response = client.post(url, {"edit-title": "Nytt", "edit-version": version}, **EN)
    assert response.status_code == 409
    assert "Initiative: “Tiltak” now, “Nytt” yours" in response.content.decode()
    assert Initiative.objects.get(pk=initiative.pk).title == "Tiltak"


@pytest.mark.django_db
def test_a_role_change_over_a_newer_one_is_refused(org, login):
    membership = Membership.objects.get(user=org.member, team=org.team)
    version = membership.version
    membership.role = Membership.Role.LEAD
    membership.save()
    url = reverse("teams:member_role", args=[org.team.slug, membership.pk])
    response = login(org.lead).post(url, {"role": "member", "version": version}, follow=True, **EN)
    assert "Role: “team lead” now, “member” yours" in response.content.decode()
    assert Membership.objects.get(pk=membership.pk).role == Membership.Role.LEAD
    response = login(org.lead).post(url, {"role": "member", "version": version + 1}, **EN)
    assert Membership.objects.get(pk=membership.pk).role == Membership.Role.MEMBER


@pytest.mark.django_db
def test_the_team_page_carries_each_membership_s_version(org, login):
    html = login(org.lead).get(reverse("teams:detail", args=[org.team.slug])).content.decode()
    membership = Membership.objects.get(user=org.member, team=org.team)
    assert f'name="version" value="{membership.version}"' in html


# --- Two real requests at the same moment (PostgreSQL row locks) -------------------------------------------


@pytest.fixture
def require_postgresql(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; SQLite serialises every writer, so there is no race to test")


def test_two_leads_saving_the_same_opened_version_one_is_refused(require_postgresql, org):
    url = reverse("workshops:key_result_edit", args=[org.key_result.pk])
    version = str(KeyResult.objects.get(pk=org.key_result.pk).version)
    clients = []
    for user in (org.lead, org.section_leader):
        client = Client()
        client.force_login(user)
        clients.append(client)
    barrier = threading.Barrier(2)
    statuses: list = [None, None]

    def save(index, target) -> None:
        try:
            barrier.wait(timeout=10)
            statuses[index] = clients[index].post(url, adjust_form(version, **{"edit-target_value": target}))
        except BaseException as error:  # noqa: BLE001 - reported to the main thread below
            statuses[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(i, t)) for i, t in enumerate(("35", "45"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    codes = [getattr(s, "status_code", s) for s in statuses]
    assert sorted(codes) == [302, 409]
    winner = ("35", "45")[codes.index(302)]
    assert KeyResult.objects.get(pk=org.key_result.pk).target_value == Decimal(winner)
