from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from checkins.models import CheckIn, TeamRollup
from okrhub import lib
from okrhub.lib import assign_fields, bulk_insert, bulk_set
from teams.models import Team
from tests.factories import CycleFactory


def test_it_sets_the_allowed_fields():
    team = Team(name="Kurs", slug="kurs")
    assign_fields(team, {"name": "Kurs og arrangementer"}, ("name", "slug"))
    assert (team.name, team.slug) == ("Kurs og arrangementer", "kurs")


def test_it_refuses_a_field_outside_the_allowed_ones_and_changes_nothing():
    team = Team(name="Kurs", slug="kurs")
    with pytest.raises(TypeError, match="parent"):
        assign_fields(team, {"name": "Nytt", "parent": None}, ("name",))
    assert team.name == "Kurs"


def _checkins(key_result, author, count: int) -> list[CheckIn]:
    start = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
    return [
        CheckIn(
            key_result=key_result,
            author=author if n % 3 else None,
            value=Decimal(n) / 4,
            confidence=1 + n % 10,
            note=f"Notat {n}\tmed tab, «æøå» og \\ skråstrek" if n % 2 else "",
            created_at=start + dt.timedelta(hours=n),
        )
        for n in range(count)
    ]


def _rows(key_result) -> list[tuple]:
    return list(
        CheckIn.objects.filter(key_result=key_result)
        .order_by("created_at")
        .values_list("author_id", "value", "confidence", "note", "created_at", "version")
    )


@pytest.mark.django_db
def test_bulk_insert_writes_the_rows_bulk_create_writes(org, monkeypatch):
    """Many rows (``COPY`` on PostgreSQL) and few (``bulk_create``) come out the same as ``bulk_create``'s,
    defaults and ``auto_now`` included."""
    other = org.other_key_result
    count = lib.MANY + 7
    CheckIn.objects.bulk_create(_checkins(other, org.member, count))
    before = timezone.now()
    assert bulk_insert(CheckIn, _checkins(org.key_result, org.member, count)) == count
    assert _rows(org.key_result) == _rows(other)
    assert CheckIn.objects.filter(key_result=org.key_result, updated_at__gte=before).count() == count
    CheckIn.objects.filter(key_result=org.key_result).delete()
    monkeypatch.setattr(lib, "MANY", 10 * count)  # the few rows' path
    assert bulk_insert(CheckIn, _checkins(org.key_result, org.member, count)) == count
    assert _rows(org.key_result) == _rows(other)
    assert bulk_insert(CheckIn, []) == 0


def _rollup_values(rollups) -> list[tuple]:
    return list(
        TeamRollup.objects.filter(pk__in=[r.pk for r in rollups])
        .order_by("team__slug")
        .values_list("team__slug", "objectives", "key_results", "progress_sum", "owners", "dirty")
    )


@pytest.mark.django_db
def test_bulk_set_updates_what_bulk_update_updates(monkeypatch):
    """Many rows (``UPDATE … FROM (VALUES …)`` on PostgreSQL) and few (``bulk_update``): each row gets its
    own values, JSON, floats, booleans and empty lists included, and only the named fields change."""
    cycle = CycleFactory()
    teams = Team.objects.bulk_create(Team(name=f"T {n}", slug=f"t-{n:03d}") for n in range(lib.MANY + 5))
    rollups = TeamRollup.objects.bulk_create(
        TeamRollup(cycle=cycle, team=team, objectives=9, dirty=True) for team in teams
    )
    for n, rollup in enumerate(rollups):
        rollup.key_results, rollup.progress_sum = n, n / 3
        rollup.owners, rollup.dirty = ([n, n + 1] if n % 2 else []), bool(n % 3)
        rollup.objectives = 100  # not among the fields set: stays 9
    bulk_set(TeamRollup, rollups, ["key_results", "progress_sum", "owners", "dirty"])
    expected = [
        (f"t-{n:03d}", 9, n, n / 3, [n, n + 1] if n % 2 else [], bool(n % 3)) for n in range(len(rollups))
    ]
    assert _rollup_values(rollups) == expected
    monkeypatch.setattr(lib, "MANY", 10 * len(rollups))  # the few rows' path
    for rollup in rollups:
        rollup.key_results += 1
    bulk_set(TeamRollup, rollups, ["key_results"])
    assert _rollup_values(rollups) == [(s, o, k + 1, p, w, d) for s, o, k, p, w, d in expected]
