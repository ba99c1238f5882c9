"""The cycle dashboard: scope and cycle, per-team figures, needs attention, adoption, visibility, queries."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from checkins import rollups
from objectives import progress
from objectives.models import Objective
from teams.models import Membership, Team
from tests.factories import (
    CheckInFactory,
    CycleFactory,
    InitiativeFactory,
    KeyResultFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)

URL = reverse("dashboards:index")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def rows_by_slug(response) -> dict:
    return {row.team.slug: row for row in response.context["dashboard"].rows}


def test_it_needs_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_organisation_shows_every_team_in_tree_order(org, login):
    response = login(org.member).get(URL)
    assert response.status_code == 200
    slugs = [row.team.slug for row in response.context["dashboard"].rows]
    assert slugs == ["kompetansesenteret", "karriere", "kurs"]
    assert response.context["cycle"] == org.cycle
    content = response.content.decode()
    assert 'id="dashboard-content"' in content
    assert 'hx-push-url="true"' in content


def test_scope_narrows_to_a_section_or_a_team(org, login):
    client = login(org.section_leader)
    section = client.get(URL, {"scope": "kompetansesenteret"})
    assert list(rows_by_slug(section)) == ["kompetansesenteret", "karriere", "kurs"]
    team = client.get(URL, {"scope": "kurs"})
    assert list(rows_by_slug(team)) == ["kurs"]
    assert [t.slug for t in team.context["scope"].ancestors] == ["kompetansesenteret"]
    assert "Flere karrieresamtaler" not in team.content.decode()


def test_an_unknown_scope_shows_an_error_and_the_organisation(org, login):
    response = login(org.member).get(URL, {"scope": "no-such-team"})
    assert response.status_code == 200
    assert response.context["form"].errors["scope"]
    assert response.context["scope"].team is None
    assert 'role="alert"' in response.content.decode()


def test_a_bad_cycle_shows_an_error_and_the_default_cycle(org, login):
    response = login(org.member).get(URL, {"cycle": "abc"})
    assert response.status_code == 200
    assert response.context["form"].errors["cycle"]
    assert response.context["cycle"] == org.cycle


def test_any_cycle_can_be_chosen(org, login):
    old = CycleFactory(
        name="Q4 old", start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 3, 31), status="closed"
    )
    ObjectiveFactory(team=org.team, cycle=old, title="Gammelt mål")
    response = login(org.member).get(URL, {"cycle": old.pk})
    assert response.context["cycle"] == old
    assert rows_by_slug(response)["kurs"].objectives == 1
    assert response.context["dashboard"].reference == old.end_date


def test_htmx_gets_the_fragment_and_the_url_varies_on_it(org, login):
    client = login(org.member)
    response = client.get(URL, {"scope": "kurs"}, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="dashboard-content"')
    assert 'hx-swap-oob="true"' in content  # the status line for screen readers
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(org, login):
    response = login(org.member).get(
        URL, {"scope": "kurs"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


def test_without_a_cycle_it_says_so(db, login):
    response = login(UserFactory()).get(URL)
    assert response.status_code == 200
    assert "There is no cycle yet" in response.content.decode()


@time_machine.travel(dt.datetime(2027, 2, 17, 12, 0, tzinfo=dt.UTC), tick=False)
def test_team_rows_count_objectives_health_check_ins_and_idle_members(db, login):
    # A cycle from Monday 4 January to 4 April 2027: on Wednesday 17 February (ISO week 7) 44 % has passed.
    cycle = CycleFactory(name="Q1 2027", start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 4, 4))
    team = TeamFactory(name="Kurs", slug="kurs")
    owner, idle, lead = UserFactory(), UserFactory(first_name="Ida", last_name="Ledig"), UserFactory()
    MembershipFactory(user=owner, team=team)
    MembershipFactory(user=idle, team=team)
    MembershipFactory(user=lead, team=team, role=Membership.Role.LEAD)
    objective = ObjectiveFactory(team=team, cycle=cycle, owner=lead)
    ahead = KeyResultFactory(objective=objective, owner=owner, start_value=0, target_value=100)
    behind = KeyResultFactory(objective=objective, owner=owner, start_value=0, target_value=100)
    KeyResultFactory(objective=objective, owner=None, start_value=0, target_value=100)  # never checked in
    ObjectiveFactory(team=team, cycle=cycle, status=Objective.Status.DRAFT)
    now = timezone.now()
    CheckInFactory(
        key_result=ahead, author=owner, value=50, confidence=8, created_at=now - dt.timedelta(days=8)
    )
    CheckInFactory(key_result=ahead, author=owner, value=60, confidence=8, created_at=now)
    CheckInFactory(
        key_result=behind, author=owner, value=5, confidence=5, created_at=now - dt.timedelta(days=7)
    )

    response = login(lead).get(URL)
    row = rows_by_slug(response)["kurs"]
    assert (row.objectives, row.drafts, row.key_results) == (1, 1, 3)
    assert (row.on_track, row.at_risk, row.off_track) == (1, 0, 2)
    # (0.6 + 0.05 + 0) / 3 with equal weights
    assert row.progress_percent == round(100 * 0.65 / 3)
    assert row.expected_percent == round(100 * cycle.expected_progress(on=dt.date(2027, 2, 17)))
    assert (row.rate_this_week, row.rate_last_week) == (33, 67)
    assert row.idle_members == ["Ida Ledig"]  # the lead owns the objective, the owner two key results
    assert len(response.context["dashboard"].weeks) == 7
    assert row.weekly[-2:] == [2, 1]


def test_initiative_owners_own_something(org, login):
    MembershipFactory(user=(helper := UserFactory()), team=org.team)
    InitiativeFactory(objective=org.objective, owner=helper)
    response = login(org.lead).get(URL)
    names = rows_by_slug(response)["kurs"].idle_members
    assert helper.get_full_name() not in names
    assert org.teammate.get_full_name() in names


@time_machine.travel(dt.datetime(2027, 3, 10, 12, 0, tzinfo=dt.UTC), tick=False)
def test_needs_attention_lists_each_key_result_with_its_reasons(db, login):
    cycle = CycleFactory(name="Q1 2027", start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 4, 4))
    team = TeamFactory(name="Kurs", slug="kurs")
    owner = UserFactory()
    MembershipFactory(user=owner, team=team)
    objective = ObjectiveFactory(team=team, cycle=cycle)
    now = timezone.now()
    healthy = KeyResultFactory(
        objective=objective, owner=owner, title="Sunn", start_value=0, target_value=100
    )
    CheckInFactory(key_result=healthy, author=owner, value=70, confidence=8, created_at=now)
    back_loaded = KeyResultFactory(
        objective=objective, owner=owner, title="Sent", start_value=0, target_value=100
    )
    CheckInFactory(key_result=back_loaded, author=owner, value=5, confidence=9, created_at=now)
    KeyResultFactory(objective=objective, owner=None, title="Foreldreløs")

    response = login(owner).get(URL)
    attention = {line.key_result.title: line.reasons for line in response.context["dashboard"].attention}
    assert "Sunn" not in attention
    assert attention["Sent"] == (progress.OFF_TRACK, progress.BACK_LOADED)
    assert attention["Foreldreløs"] == (progress.OFF_TRACK, progress.STALE, progress.NO_OWNER)
    content = response.content.decode()
    assert "Back-loaded: progress is being left to the end" in content
    assert "No owner" in content


def test_retired_key_results_do_not_count(org, login):
    KeyResultFactory(objective=org.objective, owner=None, retired_at=timezone.now(), title="Pensjonert")
    response = login(org.lead).get(URL)
    assert rows_by_slug(response)["kurs"].key_results == 1
    assert "Pensjonert" not in response.content.decode()


@pytest.fixture
def draft(org):
    objective = ObjectiveFactory(
        team=org.team, cycle=org.cycle, title="Hemmelig utkast", status=Objective.Status.DRAFT
    )
    KeyResultFactory(objective=objective, owner=None, title="Hemmelig nøkkelresultat")
    return objective


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("member", True),
        ("lead", True),
        ("section_leader", True),
        ("ambassador", True),
        ("staff", True),
        ("outsider", False),
    ],
)
def test_drafts_only_for_the_team_its_leads_and_ambassadors(org, draft, login, persona, sees):
    response = login(getattr(org, persona)).get(URL)
    assert (rows_by_slug(response)["kurs"].drafts == 1) is sees
    # Drafts are not yet commitments: never in the figures or in needs attention, even for those who see them.
    assert "Hemmelig nøkkelresultat" not in response.content.decode()
    assert rows_by_slug(response)["kurs"].objectives == 1


def test_rows_are_paginated_for_large_organisations(org, login):
    for number in range(30):
        TeamFactory(name=f"Team {number:02d}", slug=f"team-{number:02d}", parent=org.section)
    client = login(org.member)
    first = client.get(URL)
    assert len(first.context["rows"]) == 25
    assert first.context["rows"].paginator.num_pages == 2
    second = client.get(URL, {"page": 2})
    assert len(second.context["rows"]) == 33 - 25
    everything = client.get(URL, {"all": "1"})
    assert len(everything.context["rows"]) == 33


def test_adoption_panel_shows_a_chart_per_team(org, login):
    CheckInFactory(key_result=org.key_result, author=org.member, value=20, confidence=7)
    response = login(org.ambassador).get(URL)
    content = response.content.decode()
    assert 'class="rate-bars"' in content
    assert "Key results checked in per week" in content
    assert rows_by_slug(response)["kurs"].rate_this_week == 100


def build_organisation(size: int, cycle) -> None:
    section = TeamFactory(name=f"Seksjon {size}", slug=f"seksjon-{size}")
    for number in range(size):
        team = TeamFactory(name=f"Team {size}-{number}", slug=f"team-{size}-{number}", parent=section)
        owner = UserFactory(username=f"u{size}-{number}")
        MembershipFactory(user=owner, team=team)
        MembershipFactory(user=UserFactory(username=f"idle{size}-{number}"), team=team)
        objective = ObjectiveFactory(team=team, cycle=cycle, owner=owner)
        ObjectiveFactory(team=team, cycle=cycle, status=Objective.Status.DRAFT)
        InitiativeFactory(objective=objective, owner=owner)
        for index in range(2):
            key_result = KeyResultFactory(objective=objective, owner=owner if index else None)
            CheckInFactory(
                key_result=key_result, author=owner, value=Decimal(15 + index), confidence=3 + index
            )


def without_csrf_tokens(response) -> str:
    """The page without its CSRF tokens, which are masked anew on every response."""
    html = response.content.decode()
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.parametrize("size", [5, 50])
def test_the_organisation_dashboard_runs_the_same_queries_for_5_and_50_teams(
    db, client, size, django_assert_num_queries
):
    cycle = CycleFactory(name="Q1 test")
    build_organisation(size, cycle)
    viewer = UserFactory(username="viewer")
    MembershipFactory(user=viewer, team=Team.objects.get(slug=f"seksjon-{size}"), role=Membership.Role.LEAD)
    client.force_login(viewer)
    rollups.refresh_dirty()  # what the worker does after the writes (tests/dashboards/test_rollups.py)
    # session, user, memberships + profile + the team tree for the led teams (access_for), cycles, teams,
    # then from the rollups (checkins.rollups): the dirty rollups in scope (none) with the cycle's rollups
    # generation, the totals (rollup sums with the drafts, health steps up to today, weekly check-ins), the
    # drafts of the viewer's own teams (from the rollups), the needs-attention ids (spans active today, owner
    # reasons), the page's rows (rollups with their drafts, health steps, weekly check-ins, memberships) and
    # its key results needing attention
    # + 1: the KPIs in scope (workshops: objectives/_team_kpis.html)
    # + 1: feedback on the needs-attention lines of the page the viewer leads (comment in place)
    with django_assert_num_queries(21):
        response = client.get(URL, {"all": "1"})
    assert response.status_code == 200
    assert len(response.context["dashboard"].rows) == size + 1
    # Again, nothing changed: the totals (3), the viewer's drafts (1), the rows' rollups (3) and the
    # needs-attention order (1) come from the cache (dashboards.selectors.Derived), the same page (its
    # fragments from the cache too).
    with django_assert_num_queries(13):
        again = client.get(URL, {"all": "1"})
    assert without_csrf_tokens(again) == without_csrf_tokens(response)


@pytest.mark.parametrize("size", [5, 50])
def test_a_section_dashboard_runs_the_same_queries_for_5_and_50_teams(
    db, client, size, django_assert_num_queries
):
    cycle = CycleFactory(name="Q1 test")
    build_organisation(size, cycle)
    client.force_login(UserFactory(username="viewer"))
    rollups.refresh_dirty()
    # The organisation's queries (above) but no feedback: + 1: the KPIs in scope (workshops)
    with django_assert_num_queries(18):
        response = client.get(URL, {"scope": f"seksjon-{size}", "all": "1"})
    assert len(response.context["dashboard"].rows) == size + 1
    with django_assert_num_queries(11):
        again = client.get(URL, {"scope": f"seksjon-{size}", "all": "1"})
    assert without_csrf_tokens(again) == without_csrf_tokens(response)


def test_the_organisation_kpis_come_a_page_at_a_time(org, login):
    """Thousands of teams have thousands of KPIs: the dashboard lists 20 at a time, with page links that
    keep the scope and the other lists' pages; one query when they fit on one page."""
    from dashboards.views import KPIS_PER_PAGE
    from objectives.models import Kpi

    client = login(org.section_leader)
    Kpi.objects.create(team=org.team, name="KPI 00", kind="stay_below", target_value=5)
    html = client.get(URL).content.decode()
    assert "KPI 00" in html and "Pages of KPIs" not in html
    for i in range(1, KPIS_PER_PAGE + 5):
        Kpi.objects.create(team=org.team, name=f"KPI {i:02}", kind="stay_below", target_value=5)
    first = client.get(URL)
    html = first.content.decode()
    assert html.count('id="kpi-') == KPIS_PER_PAGE
    assert "KPI 00" in html and f"KPI {KPIS_PER_PAGE - 1:02}" in html
    assert f"KPI {KPIS_PER_PAGE:02}" not in html
    assert "Pages of KPIs" in html and "kpi_page=2" in html
    second = client.get(URL, {"cycle": org.cycle.pk, "kpi_page": "2"}).content.decode()
    assert second.count('id="kpi-') == 5
    assert f"KPI {KPIS_PER_PAGE:02}" in second and "KPI 00" not in second
    # A page number that is no number shows the first page, one past the end the last.
    assert client.get(URL, {"kpi_page": "x"}).content.decode().count('id="kpi-') == KPIS_PER_PAGE
    assert client.get(URL, {"kpi_page": "99"}).content.decode().count('id="kpi-') == 5
