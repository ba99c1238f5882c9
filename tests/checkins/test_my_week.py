"""My week: what the user owns in active cycles, the weekly counter, the team filter and the empty state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from checkins.selectors import my_week
from objectives.models import Cycle, KeyResult, Objective
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

pytestmark = pytest.mark.django_db


def test_it_lists_owned_key_results_grouped_by_team_and_objective(org, login):
    response = login(org.member).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="kr-{org.key_result.pk}"' in html
    assert "Kurs" in html
    assert org.objective.title in html
    assert org.other_key_result.title not in html


def test_it_is_the_landing_page_with_the_my_week_template(org, login):
    response = login(org.member).get("/")
    assert "checkins/my_week.html" in [t.name for t in response.templates]


def test_it_needs_a_login(client, org):
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_leaves_out_retired_drafts_and_inactive_cycles(org, login):
    retired = KeyResultFactory(objective=org.objective, owner=org.member, retired_at=timezone.now())
    draft = KeyResultFactory(
        objective=ObjectiveFactory(team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT),
        owner=org.member,
    )
    closed_cycle = CycleFactory(name="Old", status=Cycle.Status.CLOSED)
    closed = KeyResultFactory(objective=ObjectiveFactory(team=org.team, cycle=closed_cycle), owner=org.member)
    html = login(org.member).get("/").content.decode()
    for key_result in (retired, draft, closed):
        assert f'id="kr-{key_result.pk}"' not in html


def test_it_counts_key_results_checked_in_this_week(org, login):
    second = KeyResultFactory(objective=org.objective, owner=org.member)
    KeyResultFactory(objective=org.objective, owner=org.member)
    CheckInFactory(key_result=second, author=org.member, value=Decimal(15))
    week = my_week(user=org.member)
    assert (week.counter.checked_in, week.counter.total) == (1, 3)
    html = login(org.member).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 of 3 key results checked in this week" in html


def test_it_uses_iso_weeks_in_oslo_time(org):
    # Sunday 23:30 in Oslo is 22:30 UTC: still the old ISO week locally.
    sunday_night = dt.datetime(2026, 11, 22, 22, 30, tzinfo=dt.UTC)
    monday_morning = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
    cycle = CycleFactory(name="Autumn", start_date=dt.date(2026, 10, 1), end_date=dt.date(2026, 12, 31))
    key_result = KeyResultFactory(objective=ObjectiveFactory(team=org.team, cycle=cycle), owner=org.teammate)
    CheckInFactory(key_result=key_result, author=org.teammate, created_at=sunday_night)
    with time_machine.travel(monday_morning, tick=False):
        assert my_week(user=org.teammate).counter.checked_in == 0
    with time_machine.travel(sunday_night + dt.timedelta(minutes=10), tick=False):
        assert my_week(user=org.teammate).counter.checked_in == 1


def test_the_team_filter_shows_what_teammates_own(org, login):
    teammates = KeyResultFactory(objective=org.objective, owner=org.teammate, title="Tores nøkkelresultat")
    client = login(org.member)
    assert teammates.title not in client.get("/").content.decode()
    html = client.get("/?show=team", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert teammates.title in html
    assert "Tore Teamkamerat" in html
    # Other teams stay out, and the counter still counts only the user's own key results.
    assert org.other_key_result.title not in html
    assert "0 of 1 key result checked in this week" in html


def test_it_lists_owned_initiatives_with_a_status_form(org, login):
    initiative = InitiativeFactory(objective=org.objective, owner=org.member, title="Lage kurskalender")
    html = login(org.member).get("/").content.decode()
    assert f'id="initiative-{initiative.pk}"' in html
    assert f'action="/initiatives/{initiative.pk}/status/"' in html


def test_it_explains_ownership_when_the_user_owns_nothing(org, login):
    html = login(org.teammate).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="my-week-empty"' in html
    assert "Ownership makes it clear" in html
    assert 'href="/teams/"' in html


def test_every_check_in_control_is_labelled(org, login):
    html = login(org.member).get("/").content.decode()
    pk = org.key_result.pk
    for name in ("value", "confidence", "note"):
        assert f'for="id_kr{pk}_{name}"' in html
        assert f'id="id_kr{pk}_{name}"' in html
    assert 'role="progressbar"' in html
    assert 'aria-valuenow="0"' in html


def test_an_achieve_key_result_offers_done_or_not_done(org, login):
    achieve = KeyResultFactory(
        objective=org.objective, owner=org.member, kind=KeyResult.Kind.ACHIEVE, start_value=0, target_value=1
    )
    html = login(org.member).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'id="id_kr{achieve.pk}_value_0"' in html
    assert 'type="radio"' in html
    assert "not done" in html


def _owned_key_results(owner, count: int) -> None:
    """Spread over teams and objectives, with check-ins and initiatives, as a busy owner has them."""
    cycle = CycleFactory(name="Perf")
    for index in range(count):
        if index % 5 == 0:
            team = TeamFactory(name=f"Perf team {owner.username} {index}")
            MembershipFactory(user=owner, team=team)
            objective = ObjectiveFactory(team=team, cycle=cycle, owner=owner)
            InitiativeFactory(objective=objective, owner=owner)
        key_result = KeyResultFactory(objective=objective, owner=owner)
        if index % 2 == 0:
            CheckInFactory(key_result=key_result, author=owner, note="Line one\nline two")


@pytest.mark.parametrize("count", [3, 30])
def test_it_runs_the_same_number_of_queries_for_3_and_30_key_results(
    client, django_assert_num_queries, count
):
    owner = UserFactory(username=f"owner{count}")
    _owned_key_results(owner, count)
    client.force_login(owner)
    # 1 session, 2 user, 3 memberships (access_for), 4 ambassador profile, 5 key results with objective, team,
    # cycle and owner, 6 initiatives with the same.
    # + 1: unread feedback on the user's key results (checkins/_feedback.html#unread-feedback)
    # + 1: the key results' planned paths (milestones), which expected progress follows
    with django_assert_num_queries(8):
        response = client.get("/?show=team")
    assert response.status_code == 200
    assert response.content.decode().count('class="kr-row') == count
