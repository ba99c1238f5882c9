"""Adjusting a key result whose title states its numbers: the title is offered with the new ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from objectives.models import Objective
from objectives.services import key_result_plan_set
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _adjust(client, key_result, *, title=None, start="10", target="50", **extra):
    data = {
        "edit-title": title if title is not None else key_result.title,
        "edit-kind": key_result.kind,
        "edit-unit": key_result.unit,
        "edit-start_value": start,
        "edit-target_value": target,
        "edit-owner": key_result.owner_id or "",
        "edit-reason": "Mer ambisiøst",
        **extra,
    }
    return client.post(reverse("workshops:key_result_edit", args=[key_result.pk]), data)


def test_it_offers_the_title_with_the_new_numbers_before_saving(org, login):
    response = _adjust(login(org.lead), org.key_result)  # "Øke antall kurs fra 10 til 40", 10 → 50
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Øke antall kurs fra 10 til 50</strong>" in html
    assert 'name="title_choice" value="suggested"' in html and 'name="title_choice" value="keep"' in html
    assert 'value="50"' in html  # the typed values are kept
    org.key_result.refresh_from_db()
    assert org.key_result.target_value == Decimal(40)  # nothing saved yet


@pytest.mark.parametrize(
    ("choice", "title"),
    [("suggested", "Øke antall kurs fra 12 til 50"), ("keep", "Øke antall kurs fra 10 til 40")],
)
def test_the_lead_takes_the_suggestion_or_keeps_the_title(org, login, choice, title):
    response = _adjust(login(org.lead), org.key_result, start="12", title_choice=choice)
    assert response.status_code == 302
    org.key_result.refresh_from_db()
    assert (org.key_result.title, org.key_result.start_value, org.key_result.target_value) == (title, 12, 50)
    assert org.key_result.history.latest().history_change_reason == "Mer ambisiøst"


def test_over_htmx_the_suggestion_comes_in_the_editor(org, login):
    client = login(org.lead)
    url = reverse("workshops:key_result_edit", args=[org.key_result.pk])
    data = {
        "edit-title": org.key_result.title,
        "edit-kind": "increase_to",
        "edit-start_value": "10",
        "edit-target_value": "1 400",
        "edit-reason": "Ny plan",
    }
    body = client.post(url, data, **HTMX).content.decode()
    assert "<html" not in body and "Øke antall kurs fra 10 til 1\u00a0400" in body


@pytest.mark.parametrize(
    ("title", "target"),
    [
        ("Flere kurs i året", "50"),  # no numbers to update
        ("Øke antall kurs fra 10 til 40", "40"),  # the numbers did not change
    ],
)
def test_it_saves_at_once_when_there_is_nothing_to_offer(org, login, title, target):
    org.key_result.title = title
    org.key_result.save()
    assert _adjust(login(org.lead), org.key_result, target=target, **{"edit-unit": "kurs"}).status_code == 302


def test_a_title_the_lead_changed_is_saved_as_typed(org, login):
    response = _adjust(login(org.lead), org.key_result, title="Øke antall kurs til 50")
    assert response.status_code == 302
    org.key_result.refresh_from_db()
    assert org.key_result.title == "Øke antall kurs til 50"


def test_the_coach_warns_about_disagreeing_titles_and_planned_hockey_sticks(org, login, settings):
    settings.LANGUAGE_CODE = "en"
    cycle = CycleFactory(
        name="Next", start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 5, 1), status="planning"
    )
    draft = ObjectiveFactory(team=org.team, cycle=cycle, status=Objective.Status.DRAFT)
    KeyResultFactory(objective=draft, owner=org.member, title="Øke fra 10 til 40 kurs", target_value=50)
    stick = KeyResultFactory(objective=draft, owner=org.member, title="Flere kurs")
    key_result_plan_set(key_result=stick, actor=org.member, milestones=[(dt.date(2030, 4, 1), 15)])
    body = login(org.member).get(reverse("workshops:board", args=[org.team.slug, cycle.pk])).content.decode()
    assert "The title’s numbers disagree with the start and target values" in body
    assert "A planned hockey stick" in body


def test_it_asks_for_the_reason_before_it_offers_a_title(org, login):
    response = _adjust(login(org.lead), org.key_result, **{"edit-reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'name="title_choice"' not in html
    org.key_result.refresh_from_db()
    assert org.key_result.target_value == Decimal(40)


def test_offering_a_title_changes_nothing_and_writes_no_history(org, login):
    before = org.key_result.history.count()
    assert _adjust(login(org.lead), org.key_result).status_code == 200
    assert org.key_result.history.count() == before
