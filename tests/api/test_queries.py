"""Every list runs a bounded number of queries: the same count at two sizes.

Per request, for a token client (the lead, whose roles need the team tree):
  1. the token and its user
  2. the user's memberships, 3. the ambassador flag, 4. the team tree (only for leads)
  5. the page count, 6. the page
  7. for objectives only: their counted key results (one prefetch)
Teams, users and cycles need no roles: 1, 5, 6.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checkins.models import CheckIn
from tests.factories import (
    CycleFactory,
    InitiativeFactory,
    KeyResultFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)


def grow_teams(org, n):
    for _ in range(n):
        TeamFactory(parent=org.section)


def grow_memberships(org, n):
    for _ in range(n):
        MembershipFactory(team=org.team)


def grow_users(org, n):
    for _ in range(n):
        UserFactory()


def grow_cycles(org, n):
    for _ in range(n):
        CycleFactory()


def grow_objectives(org, n):
    for _ in range(n):
        objective = ObjectiveFactory(team=org.team, cycle=org.cycle, owner=org.member)
        KeyResultFactory(objective=objective)
        KeyResultFactory(objective=objective, weight=2)


def grow_key_results(org, n):
    for _ in range(n):
        KeyResultFactory(objective=ObjectiveFactory(team=org.other_team, cycle=org.cycle), owner=org.outsider)


def grow_initiatives(org, n):
    for _ in range(n):
        key_result = KeyResultFactory(objective=org.objective)
        InitiativeFactory(objective=org.objective, key_result=key_result, owner=org.member)


def grow_checkins(org, n):
    CheckIn.objects.bulk_create(
        CheckIn(key_result=org.key_result, author=org.member, value=i, confidence=5) for i in range(n)
    )


LISTS: dict[str, tuple[Callable, int]] = {
    "teams": (grow_teams, 3),
    "memberships": (grow_memberships, 3),
    "users": (grow_users, 3),
    "cycles": (grow_cycles, 3),
    "objectives": (grow_objectives, 7),
    "key-results": (grow_key_results, 7),  # one more for the planned paths (milestones)
    "initiatives": (grow_initiatives, 6),
    "checkins": (grow_checkins, 6),
}


@pytest.mark.parametrize("path", sorted(LISTS))
def test_it_lists_with_a_bounded_number_of_queries(org, api, django_assert_num_queries, path):
    grow, expected = LISTS[path]
    client = api(org.lead)
    grow(org, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/api/v1/{path}/").status_code == 200
    assert len(small) == expected, "\n".join(q["sql"] for q in small.captured_queries)

    grow(org, 20)
    with django_assert_num_queries(expected):
        response = client.get(f"/api/v1/{path}/")
    assert response.status_code == 200
    assert response.json()["count"] >= 22


@pytest.mark.parametrize("path", ["objectives", "key-results", "initiatives", "checkins"])
def test_it_filters_with_a_bounded_number_of_queries(org, api, django_assert_num_queries, path):
    # include_subteams reads the team tree once more; the team and cycle filters look their rows up.
    grow_objectives(org, 2)
    grow_checkins(org, 2)
    client = api(org.member)
    url = f"/api/v1/{path}/?team={org.section.pk}&include_subteams=true&cycle={org.cycle.pk}"
    if path == "checkins":
        url = f"/api/v1/checkins/?key_result={org.key_result.pk}&created_after=2020-01-01"
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    grow_objectives(org, 10)
    grow_checkins(org, 10)
    with django_assert_num_queries(len(small)):
        assert client.get(url).status_code == 200
