"""KPIs: promoted from a key result, checked in like one, listed for the team."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse

from objectives.models import Kpi, Objective
from tests.factories import KeyResultFactory, ObjectiveFactory, TeamFactory
from workshops.selectors import team_kpis
from workshops.services import kpi_checkin_submit, kpi_promote

pytestmark = pytest.mark.django_db

PROMOTE = {
    "name": "Kursdeltakere per kvartal",
    "unit": "deltakere",
    "kind": "stay_above",
    "target_value": "30",
}


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 403), ("lead", 302), ("section_leader", 302), ("ambassador", 403), ("outsider", 403)],
)
def test_a_lead_promotes_a_key_result_to_a_kpi(org, login, persona, status):
    response = login(getattr(org, persona)).post(
        reverse("workshops:kpi_promote", args=[org.key_result.pk]), PROMOTE
    )
    assert response.status_code == status
    if status == 302:
        kpi = Kpi.objects.get()
        assert kpi.team == org.team and kpi.target_value == Decimal(30) and kpi.kind == "stay_above"
        org.key_result.refresh_from_db()
        assert org.key_result.kpi == kpi  # the key result keeps the link
    else:
        assert not Kpi.objects.exists()


def test_a_key_result_becomes_a_kpi_only_once_and_only_when_published(org):
    kpi_promote(
        key_result=org.key_result, actor=org.lead, name="A", unit="", kind="stay_above", target_value=1
    )
    with pytest.raises(ValidationError):
        kpi_promote(
            key_result=org.key_result, actor=org.lead, name="B", unit="", kind="stay_above", target_value=1
        )
    draft = KeyResultFactory(
        objective=ObjectiveFactory(team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT)
    )
    with pytest.raises(ValidationError):
        kpi_promote(key_result=draft, actor=org.lead, name="C", unit="", kind="stay_above", target_value=1)


@pytest.mark.parametrize(
    "data",
    [
        {**PROMOTE, "target_value": "1" + "0" * 14},
        {**PROMOTE, "target_value": "x"},
        {**PROMOTE, "kind": "achieve"},
        {**PROMOTE, "kind": "increase_to", "target_value": "1"},  # below the key result's start (10)
        {**PROMOTE, "name": ""},
    ],
)
def test_bad_kpi_input_changes_nothing(org, login, data):
    response = login(org.lead).post(reverse("workshops:kpi_promote", args=[org.key_result.pk]), data)
    assert response.status_code == 400
    assert not Kpi.objects.exists()


def make_kpi(org) -> Kpi:
    return kpi_promote(
        key_result=org.key_result,
        actor=org.lead,
        name="Deltakere",
        unit="stk",
        kind="stay_above",
        target_value=30,
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 302), ("lead", 302), ("section_leader", 302), ("ambassador", 403), ("outsider", 403)],
)
def test_the_team_checks_in_on_its_kpi(org, login, persona, status):
    kpi = make_kpi(org)
    response = login(getattr(org, persona)).post(
        reverse("workshops:kpi_detail", args=[kpi.pk]), {"value": "33,5", "note": "Bra"}
    )
    assert response.status_code == status
    kpi.refresh_from_db()
    assert (kpi.current_value == Decimal("33.5")) is (status == 302)


def test_the_kpi_page_shows_the_chart_and_check_ins(org, login):
    kpi = make_kpi(org)
    kpi_checkin_submit(kpi=kpi, author=org.member, value=28, note="<i>lav</i>")
    kpi_checkin_submit(kpi=kpi, author=org.member, value=31)
    assert kpi.current_value == Decimal(31) and kpi.progress == 1.0
    body = login(org.outsider).get(reverse("workshops:kpi_detail", args=[kpi.pk])).content.decode()
    assert "<svg" in body and "&lt;i&gt;lav&lt;/i&gt;" in body
    assert 'name="value"' not in body  # outsiders read, but do not check in


def test_the_team_kpi_panel_lists_kpis_in_a_fixed_number_of_queries(org, django_assert_num_queries):
    """The views hand the panel its KPIs (workshops.selectors.team_kpis): one query for one team or many."""
    make_kpi(org)

    def render(team_ids) -> str:
        kpis = team_kpis(team_ids=team_ids)
        return render_to_string("objectives/_team_kpis.html", {"kpis": kpis, "show_team": len(team_ids) > 1})

    with django_assert_num_queries(1):
        body = render([org.team.pk])
    assert "Deltakere" in body
    for i in range(3):
        team = TeamFactory(name=f"T{i}", parent=org.section)
        Kpi.objects.create(team=team, name=f"KPI {i}", kind="stay_below", target_value=5)
    team_ids = list(Kpi.objects.values_list("team_id", flat=True))
    with django_assert_num_queries(1):
        body = render(team_ids)
    assert "KPI 2" in body and "T2" in body
