"""A key result's planned path: the Milestone model and key_result_plan_set (objectives/services.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from objectives.models import KeyResult, Milestone
from objectives.services import key_result_plan_set
from tests.factories import KeyResultFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _day(org, days: int) -> dt.date:
    return org.cycle.start_date + dt.timedelta(days=days)


def _plan(key_result) -> list[tuple[dt.date, Decimal]]:
    return [(m.date, m.planned_value) for m in Milestone.objects.filter(key_result=key_result)]


def test_it_sets_replaces_and_removes_the_plan(org):
    key_result = org.key_result  # 10 → 40 courses
    key_result_plan_set(
        key_result=key_result, actor=org.lead, milestones=[(_day(org, 60), 30), (_day(org, 30), 10)]
    )
    assert _plan(key_result) == [(_day(org, 30), Decimal(10)), (_day(org, 60), Decimal(30))]
    assert key_result.plan == ((_day(org, 30), Decimal(10)), (_day(org, 60), Decimal(30)))

    key_result_plan_set(
        key_result=key_result, actor=org.lead, milestones=[(_day(org, 30), 15), (_day(org, 75), 35)]
    )
    assert _plan(key_result) == [(_day(org, 30), Decimal(15)), (_day(org, 75), Decimal(35))]

    key_result_plan_set(key_result=key_result, actor=org.lead, milestones=[])
    assert _plan(key_result) == []


def test_the_history_records_only_what_changed_and_who(org):
    key_result = org.key_result
    key_result_plan_set(
        key_result=key_result, actor=org.lead, milestones=[(_day(org, 30), 10), (_day(org, 60), 30)]
    )
    key_result_plan_set(
        key_result=key_result, actor=org.lead, milestones=[(_day(org, 30), 10), (_day(org, 60), 25)]
    )
    history = Milestone.history.filter(key_result=key_result).order_by("history_id")
    assert [(h.history_type, h.date, h.planned_value) for h in history] == [
        ("+", _day(org, 30), Decimal(10)),
        ("+", _day(org, 60), Decimal(30)),
        ("~", _day(org, 60), Decimal(25)),
    ]
    assert {h.history_user for h in history} == {org.lead}


@pytest.mark.parametrize(
    ("case", "milestones", "field_words"),
    [
        ("on the cycle's first day", [(0, 20)], "after the cycle starts"),
        ("on the cycle's last day", [(90, 20)], "before it ends"),
        ("after the cycle", [(120, 20)], "before it ends"),
        ("above the target", [(30, 41)], "between the start value and the target"),
        ("below the start", [(30, 9)], "between the start value and the target"),
        ("two on one date", [(30, 20), (30, 25)], "one milestone per date"),
        ("too many decimals", [(30, Decimal("20.12345"))], "decimal places"),
    ],
)
def test_bad_milestones_change_nothing(org, case, milestones, field_words):
    key_result_plan_set(key_result=org.key_result, actor=org.lead, milestones=[(_day(org, 45), 25)])
    rows = [(_day(org, days), value) for days, value in milestones]
    with pytest.raises(ValidationError) as error:
        key_result_plan_set(key_result=org.key_result, actor=org.lead, milestones=rows)
    assert field_words in " ".join(error.value.message_dict["milestones"]), case
    assert _plan(org.key_result) == [(_day(org, 45), Decimal(25))]


def test_every_error_is_reported_with_its_date(org):
    with pytest.raises(ValidationError) as error:
        key_result_plan_set(
            key_result=org.key_result, actor=org.lead, milestones=[(_day(org, 0), 20), (_day(org, 30), 99)]
        )
    assert len(error.value.message_dict["milestones"]) == 2


def test_a_decrease_plan_lies_between_target_and_start(org):
    key_result = KeyResultFactory(
        objective=org.objective, kind=KeyResult.Kind.DECREASE_TO, start_value=30, target_value=10
    )
    key_result_plan_set(key_result=key_result, actor=org.lead, milestones=[(_day(org, 30), 25)])
    with pytest.raises(ValidationError):
        key_result_plan_set(key_result=key_result, actor=org.lead, milestones=[(_day(org, 30), 35)])


@pytest.mark.parametrize(
    "kind", [KeyResult.Kind.ACHIEVE, KeyResult.Kind.STAY_ABOVE, KeyResult.Kind.STAY_BELOW]
)
def test_only_kinds_with_a_pace_take_a_plan(org, kind):
    key_result = KeyResultFactory(objective=org.objective, kind=kind, start_value=0, target_value=1)
    with pytest.raises(ValidationError) as error:
        key_result_plan_set(key_result=key_result, actor=org.lead, milestones=[(_day(org, 30), 1)])
    assert "planned path" in " ".join(error.value.message_dict["milestones"])


def test_the_database_keeps_one_milestone_per_date(org):
    Milestone.objects.create(key_result=org.key_result, date=_day(org, 30), planned_value=20)
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.create(key_result=org.key_result, date=_day(org, 30), planned_value=25)
