"""The cycles page: presets, overlaps, and the lifecycle actions (start planning → activate → close), each
with a confirmation in numbers; the same services behind the workshop board and the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from objectives import periods
from objectives.models import Cycle, Objective
from objectives.services import cycle_activate, cycle_close, cycle_create, cycle_start_planning
from tests.conftest import PERSONAS
from tests.factories import (
    CycleFactory,
    KeyResultFactory,
    ObjectiveFactory,
)
from workshops.services import team_cycle_publish

INDEX = reverse("cycles:index")


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def planning(org):
    """T2 2040 in planning: one published objective with a key result, one draft."""
    cycle = CycleFactory(
        name="T2 2040",
        start_date=dt.date(2040, 5, 1),
        end_date=dt.date(2040, 8, 31),
        status=Cycle.Status.PLANNING,
    )
    published = ObjectiveFactory(team=org.team, cycle=cycle, status=Objective.Status.DRAFT, title="Publisert")
    KeyResultFactory(objective=published)
    team_cycle_publish(team=org.team, cycle=cycle)
    ObjectiveFactory(team=org.other_team, cycle=cycle, status=Objective.Status.DRAFT, title="Utkast")
    return cycle


def client_for(client, user):
    if user is not None:
        client.force_login(user)
    return client


def matrix(**expected):
    assert set(expected) == set(PERSONAS)
    return pytest.mark.parametrize(("who", "status"), list(expected.items()))


ONLY_ADMINS = {
    "anonymous": 302,
    "member": 403,
    "lead": 403,
    "elsewhere": 403,
    "ambassador": 403,
    "org_admin": 200,
    "staff": 200,
}


# --- Permission matrix ---------------------------------------------------------------------------------


@matrix(**ONLY_ADMINS)
def test_only_org_admins_open_the_cycles_page(client, people, who, status):
    assert client_for(client, people[who]).get(INDEX).status_code == status


@matrix(**{**ONLY_ADMINS, "org_admin": 302, "staff": 302})
def test_only_org_admins_create_cycles(client, people, who, status):
    response = client_for(client, people[who]).post(reverse("cycles:new"), {"preset": "Q3", "year": 2041})
    assert response.status_code == status
    assert Cycle.objects.filter(name="Q3 2041").exists() == (status == 302 and who != "anonymous")


@pytest.mark.parametrize("action", ["start_planning", "activate", "close"])
@matrix(**ONLY_ADMINS)
def test_only_org_admins_see_the_confirmations(client, people, planning, action, who, status):
    assert (
        client_for(client, people[who]).get(reverse(f"cycles:{action}", args=[planning.pk])).status_code
        == status
    )


@matrix(**{**ONLY_ADMINS, "org_admin": 302, "staff": 302})
def test_only_org_admins_activate(client, people, planning, who, status):
    response = client_for(client, people[who]).post(reverse("cycles:activate", args=[planning.pk]))
    assert response.status_code == status
    planning.refresh_from_db()
    assert (planning.status == Cycle.Status.ACTIVE) == (who in ("org_admin", "staff"))


def test_an_unknown_cycle_is_404(client, people):
    assert (
        client_for(client, people["org_admin"]).get(reverse("cycles:activate", args=[999])).status_code == 404
    )


# --- Presets, overlaps and bad input -----------------------------------------------------------------------


def test_presets_name_and_date_the_periods():
    assert periods.preset(periods.TERTIAL, year=2027, number=1) == periods.Period(
        "T1 2027", dt.date(2027, 1, 1), dt.date(2027, 4, 30), periods.TERTIAL
    )
    assert periods.preset(periods.TERTIAL, year=2027, number=3).end == dt.date(2027, 12, 31)
    assert periods.preset(periods.QUARTER, year=2028, number=1).end == dt.date(2028, 3, 31)
    assert periods.preset(periods.QUARTER, year=2027, number=4).start == dt.date(2027, 10, 1)
    assert [p.name for p in periods.presets_for(2027)] == [
        "T1 2027", "T2 2027", "T3 2027", "Q1 2027", "Q2 2027", "Q3 2027", "Q4 2027",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "start", "end", "expected"),
    [
        (
            "T3 2027",
            dt.date(2027, 9, 1),
            dt.date(2027, 12, 31),
            ("T1 2028", dt.date(2028, 1, 1), dt.date(2028, 4, 30)),
        ),
        (
            "Q2 2027",
            dt.date(2027, 4, 1),
            dt.date(2027, 6, 30),
            ("Q3 2027", dt.date(2027, 7, 1), dt.date(2027, 9, 30)),
        ),
        (
            "Høst",
            dt.date(2027, 8, 15),
            dt.date(2027, 12, 15),
            ("", dt.date(2027, 12, 16), dt.date(2028, 4, 16)),
        ),
    ],
)
def test_the_next_period_follows_the_kind(name, start, end, expected):
    period = periods.next_period(name=name, start=start, end=end)
    assert (period.name, period.start, period.end) == expected


def test_it_creates_a_preset_as_upcoming(client, people):
    response = client_for(client, people["org_admin"]).post(
        reverse("cycles:new"), {"preset": "T2", "year": 2041}
    )
    assert response.status_code == 302
    cycle = Cycle.objects.get(name="T2 2041")
    assert (cycle.start_date, cycle.end_date, cycle.status) == (
        dt.date(2041, 5, 1),
        dt.date(2041, 8, 31),
        Cycle.Status.UPCOMING,
    )


@pytest.mark.usefixtures("english")
def test_it_refuses_an_overlapping_cycle_of_the_same_kind(client, people, planning):
    client = client_for(client, people["org_admin"])
    data = {"preset": "custom", "name": "T2 2040 igjen", "start_date": "2040-06-01", "end_date": "2040-07-01"}
    # A custom cycle may overlap a tertial ...
    assert client.post(reverse("cycles:new"), data).status_code == 302
    # ... but not another custom one, nor a tertial another tertial.
    data["name"] = "Sommer"
    response = client.post(reverse("cycles:new"), data)
    assert response.status_code == 400
    assert "overlaps “T2 2040 igjen”" in response.content.decode()
    with pytest.raises(ValidationError, match="overlaps “T2 2040”"):
        cycle_create(name="T3 2040", start_date=dt.date(2040, 8, 1), end_date=dt.date(2040, 12, 31))
    assert not Cycle.objects.filter(name="Sommer").exists()


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"preset": "T1", "year": 1999}, "greater than or equal to 2000"),
        ({"preset": "Q1", "year": 2101}, "less than or equal to 2100"),
        ({"preset": "Q1", "year": ""}, "Choose the year"),
        ({"preset": "T9", "year": 2030}, "Select a valid choice"),
        ({"preset": "custom", "name": "X"}, "give a name, a start date and an end date"),
        (
            {"preset": "custom", "name": "X", "start_date": "1999-01-01", "end_date": "1999-02-01"},
            "between the years 2000 and 2100",
        ),
        (
            {"preset": "custom", "name": "X", "start_date": "2030-02-01", "end_date": "2030-01-01"},
            "end date must be after",
        ),
        (
            {"preset": "custom", "name": "X", "start_date": "01.02.2030", "end_date": "2030-03-01"},
            "Enter a valid date",
        ),
        (
            {"preset": "custom", "name": "Q1 test", "start_date": "2039-01-01", "end_date": "2039-03-01"},
            "already exists",
        ),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(client, people, org, data, message):
    before = Cycle.objects.count()
    response = client_for(client, people["org_admin"]).post(reverse("cycles:new"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Cycle.objects.count() == before


def test_the_page_suggests_the_next_cycle(client, people, org):
    CycleFactory(
        name="T3 2040",
        start_date=dt.date(2040, 9, 1),
        end_date=dt.date(2040, 12, 31),
        status=Cycle.Status.CLOSED,
    )
    response = client_for(client, people["org_admin"]).get(INDEX)
    assert response.context["suggestion"].name == "T1 2041"
    form = response.context["form"]
    assert (form.initial["preset"], form.initial["year"]) == ("T1", 2041)


# --- The lifecycle --------------------------------------------------------------------------------------


@pytest.mark.usefixtures("english")
def test_publishing_in_planning_publishes_and_activating_makes_active(client, people, org, planning):
    assert Objective.objects.get(title="Publisert").status == Objective.Status.PUBLISHED
    client = client_for(client, people["org_admin"])
    confirm = client.get(reverse("cycles:activate", args=[planning.pk])).content.decode()
    assert "1 published objective becomes active." in confirm
    assert "1 draft stays a draft" in confirm
    response = client.post(reverse("cycles:activate", args=[planning.pk]), follow=True)
    assert "T2 2040 is active: 1 objective became active." in response.content.decode()
    assert Objective.objects.get(title="Publisert").status == Objective.Status.ACTIVE
    assert Objective.objects.get(title="Utkast").status == Objective.Status.DRAFT
    # Published into the active cycle now: active at once.
    draft = Objective.objects.get(title="Utkast")
    planning.refresh_from_db()
    team_cycle_publish(team=org.other_team, cycle=planning)
    draft.refresh_from_db()
    assert draft.status == Objective.Status.ACTIVE


@pytest.mark.usefixtures("english")
def test_closing_says_what_it_does_and_freezes_the_scores(client, people, planning):
    cycle_activate(cycle=planning)
    client = client_for(client, people["org_admin"])
    confirm = client.get(reverse("cycles:close", args=[planning.pk])).content.decode()
    assert "1 objective is archived." in confirm
    assert "1 key result without a final score gets its progress as score." in confirm
    assert "Scores are frozen" in confirm
    assert client.post(reverse("cycles:close", args=[planning.pk])).status_code == 302
    planning.refresh_from_db()
    objective = Objective.objects.get(title="Publisert")
    assert planning.status == Cycle.Status.CLOSED and objective.status == Objective.Status.ARCHIVED
    assert objective.key_results.get().final_score == Decimal("0.00")
    # The next tertial is suggested once it ends.
    assert client.get(INDEX).context["suggestion"].name == "T3 2040"


@pytest.mark.usefixtures("english")
def test_start_planning_opens_the_workshops(client, people, org):
    cycle = cycle_create(
        name="Q1 2042",
        start_date=dt.date(2042, 1, 1),
        end_date=dt.date(2042, 3, 31),
        status=Cycle.Status.UPCOMING,
    )
    client = client_for(client, people["org_admin"])
    board = reverse("workshops:board", args=[org.team.slug, cycle.pk])
    lead = client_for(Client(), org.lead)
    assert lead.get(board).status_code == 404
    confirm = client.get(reverse("cycles:start_planning", args=[cycle.pk])).content.decode()
    assert "The goal workshops open for 3 teams" in confirm
    client.post(reverse("cycles:start_planning", args=[cycle.pk]))
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.PLANNING
    assert lead.get(board).status_code == 200


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("status", "action"),
    [
        (Cycle.Status.PLANNING, "start_planning"),
        (Cycle.Status.UPCOMING, "activate"),
        (Cycle.Status.ACTIVE, "activate"),
        (Cycle.Status.CLOSED, "close"),
        (Cycle.Status.UPCOMING, "close"),
        (Cycle.Status.PLANNING, "close"),
    ],
)
def test_an_action_out_of_order_is_refused_and_changes_nothing(client, people, org, status, action):
    cycle = CycleFactory(
        name="Q4 2043", start_date=dt.date(2043, 10, 1), end_date=dt.date(2043, 12, 31), status=status
    )
    response = client_for(client, people["org_admin"]).post(
        reverse(f"cycles:{action}", args=[cycle.pk]), follow=True
    )
    assert "; this one is" in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.status == status


def test_services_refuse_out_of_order_transitions(db):
    cycle = CycleFactory(
        name="Q1 2044",
        start_date=dt.date(2044, 1, 1),
        end_date=dt.date(2044, 3, 31),
        status=Cycle.Status.CLOSED,
    )
    for service in (cycle_start_planning, cycle_activate):
        with pytest.raises(ValidationError):
            service(cycle=cycle)
    with pytest.raises(ValidationError):
        cycle_close(cycle=cycle, actor=None)


# --- Size -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 40])
def test_the_page_runs_the_same_queries_at_any_size(client, people, org, count, django_assert_num_queries):
    for n in range(count):
        cycle = CycleFactory(
            name=f"C{n}",
            start_date=dt.date(2050, 1, 1) + dt.timedelta(days=10 * n),
            end_date=dt.date(2050, 1, 5) + dt.timedelta(days=10 * n),
        )
        ObjectiveFactory(team=org.team, cycle=cycle)
    client = client_for(client, people["org_admin"])
    # session, user, memberships, profile flags, the cycles with their objectives counted by status
    with django_assert_num_queries(5):
        response = client.get(INDEX)
    assert response.status_code == 200
    assert response.content.decode().count('<tr id="cycle-') == count + 1


@pytest.mark.parametrize("count", [1, 30])
def test_a_confirmation_runs_the_same_queries_at_any_size(
    client, people, org, planning, count, django_assert_num_queries
):
    for n in range(count):
        KeyResultFactory(objective=Objective.objects.get(title="Publisert"), title=f"KR {n}")
    client = client_for(client, people["org_admin"])
    # session, user, memberships, profile flags, the cycle, objectives by status, ungraded key results, teams
    with django_assert_num_queries(8):
        assert client.get(reverse("cycles:close", args=[planning.pk])).status_code == 200


@pytest.mark.usefixtures("english")
def test_nobody_checks_in_on_a_published_objective_before_the_cycle_is_active(org, planning):
    from checkins.services import checkin_submit

    key_result = Objective.objects.get(title="Publisert").key_results.get()
    with pytest.raises(ValidationError, match="still in planning; check-ins start when it is activated"):
        checkin_submit(key_result=key_result, author=org.lead, value=Decimal(12), confidence=7)
    cycle_activate(cycle=planning)
    key_result.refresh_from_db()
    checkin_submit(key_result=key_result, author=org.lead, value=Decimal(12), confidence=7)
