"""Changing an initiative's status inline on My week (htmx) or by a plain POST."""

from __future__ import annotations

import pytest

from objectives.models import Cycle, Initiative, Objective
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTMX = {"HTTP_HX_REQUEST": "true", **EN}


@pytest.fixture
def initiative(org):
    return InitiativeFactory(objective=org.objective, owner=org.member, title="Lage kurskalender")


def _url(initiative) -> str:
    return f"/initiatives/{initiative.pk}/status/"


def test_the_owner_changes_the_status_inline(org, login, initiative):
    response = login(org.member).post(_url(initiative), {"status": "in_progress", "next": "/"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="initiative-{initiative.pk}"')
    assert "in progress" in html
    assert "Saved." in html
    initiative.refresh_from_db()
    assert initiative.status == Initiative.Status.IN_PROGRESS


def test_it_walks_through_every_status(org, login, initiative):
    client = login(org.member)
    for status in ("in_progress", "done", "dropped", "planned"):
        client.post(_url(initiative), {"status": status})
        initiative.refresh_from_db()
        assert initiative.status == status


def test_it_redirects_back_without_javascript(org, login, initiative):
    response = login(org.member).post(_url(initiative), {"status": "done", "next": "/?show=team"})
    assert response.status_code == 302
    assert response["Location"] == "/?show=team"


def test_it_refuses_an_unknown_status(org, login, initiative):
    response = login(org.member).post(_url(initiative), {"status": "finished"}, **HTMX)
    assert "Select a valid choice" in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.status == Initiative.Status.PLANNED


def test_it_shows_errors_on_a_page_without_javascript(org, login, initiative):
    response = login(org.member).post(_url(initiative), {"status": "finished"})
    assert response.status_code == 400
    assert "objectives/initiative_status.html" in [t.name for t in response.templates]


def test_it_refuses_a_closed_cycle(org, login, initiative):
    Cycle.objects.filter(pk=org.cycle.pk).update(status=Cycle.Status.CLOSED)
    response = login(org.member).post(_url(initiative), {"status": "done"}, **HTMX)
    assert "The cycle is closed" in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.status == Initiative.Status.PLANNED


@pytest.mark.parametrize("persona", ["lead", "section_leader", "staff"])
def test_leads_of_the_team_may_change_it(org, login, initiative, persona):
    assert login(getattr(org, persona)).post(_url(initiative), {"status": "done"}).status_code == 302
    initiative.refresh_from_db()
    assert initiative.status == Initiative.Status.DONE


@pytest.mark.parametrize("persona", ["teammate", "outsider", "ambassador"])
def test_it_forbids_everyone_else(org, login, initiative, persona):
    response = login(getattr(org, persona)).post(_url(initiative), {"status": "done"}, **HTMX)
    assert response.status_code == 403
    initiative.refresh_from_db()
    assert initiative.status == Initiative.Status.PLANNED


def test_it_hides_another_teams_draft(org, login):
    draft = InitiativeFactory(
        objective=Objective.objects.create(
            team=org.other_team, cycle=org.cycle, title="Utkast", status=Objective.Status.DRAFT
        ),
        owner=org.outsider,
    )
    assert login(org.member).post(_url(draft), {"status": "done"}).status_code == 404


def test_it_only_accepts_post(org, login, initiative):
    assert login(org.member).get(_url(initiative)).status_code == 405


def test_my_week_offers_the_form_only_to_those_who_may_use_it(org, login):
    teammates = InitiativeFactory(objective=org.objective, owner=org.teammate, title="Tores tiltak")
    html = login(org.member).get("/?show=team").content.decode()
    assert f'id="initiative-{teammates.pk}"' in html
    assert f'id="initiative-{teammates.pk}-form"' not in html
