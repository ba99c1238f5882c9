"""Validation of cycles, objectives, key results and initiatives: in full_clean() and in the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from objectives import services
from objectives.models import Cycle, Initiative, KeyResult, Objective
from tests.factories import CycleFactory, InitiativeFactory, KeyResultFactory, ObjectiveFactory, TeamFactory

pytestmark = pytest.mark.django_db

JAN_1 = dt.date(2027, 1, 1)


def _db_rejects(make) -> None:
    """The database itself refuses the row (the check constraint), without Django's validation."""
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


# --- Cycle ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("end", [JAN_1 - dt.timedelta(days=1), JAN_1])
def test_a_cycle_ends_after_it_starts(end):
    cycle = Cycle(name="T1 2027", start_date=JAN_1, end_date=end)
    with pytest.raises(ValidationError) as error:
        cycle.full_clean()
    assert "end_date" in error.value.message_dict
    _db_rejects(lambda: Cycle.objects.create(name="T1 2027", start_date=JAN_1, end_date=end))


def test_the_cycle_service_validates():
    with pytest.raises(ValidationError):
        services.cycle_create(name="T1 2027", start_date=JAN_1, end_date=JAN_1 - dt.timedelta(days=3))
    assert not Cycle.objects.exists()
    cycle = services.cycle_create(name="T1 2027", start_date=JAN_1, end_date=dt.date(2027, 4, 30))
    assert cycle.status == Cycle.Status.PLANNING
    assert cycle.expected_progress(dt.date(2027, 1, 1)) == 0.0
    assert cycle.expected_progress(dt.date(2027, 5, 1)) == 1.0


def test_cycle_names_are_unique():
    CycleFactory(name="T1 2027")
    with pytest.raises(ValidationError):
        Cycle(name="T1 2027", start_date=JAN_1, end_date=dt.date(2027, 4, 30)).full_clean()


def test_a_closed_cycle_says_so():
    assert CycleFactory(status=Cycle.Status.CLOSED).is_closed
    assert not CycleFactory(status=Cycle.Status.ACTIVE).is_closed


# --- Objective -----------------------------------------------------------------------------------------


def test_a_parent_objective_must_be_in_a_cycle_that_overlaps():
    t3 = CycleFactory(name="T3 2026", start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 12, 31))
    t1 = CycleFactory(name="T1 2027", start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 4, 30))
    q1 = CycleFactory(name="Q1 2027", start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 3, 31))
    assert q1.overlaps(t1) and t1.overlaps(q1) and not t1.overlaps(t3)
    assert set(Cycle.objects.filter(Cycle.overlapping_q(q1))) == {q1, t1}
    aligned = ObjectiveFactory.build(
        team=TeamFactory(), cycle=q1, title="Kvartal", parent=ObjectiveFactory(cycle=t1)
    )
    aligned.full_clean()  # a quarter aligns to the tertial it falls in
    section_objective = ObjectiveFactory(cycle=t3)
    objective = ObjectiveFactory.build(team=TeamFactory(), cycle=t1, title="Mål")
    objective.parent = section_objective
    with pytest.raises(ValidationError) as error:
        objective.full_clean()
    assert "parent" in error.value.message_dict


def test_a_parent_objective_in_the_same_cycle_is_fine():
    cycle = CycleFactory()
    section_objective = ObjectiveFactory(cycle=cycle)
    objective = services.objective_create(
        team=TeamFactory(), cycle=cycle, title="Flere kursdeltakere", parent=section_objective
    )
    assert objective.parent == section_objective
    assert objective.status == Objective.Status.DRAFT


def test_an_objective_cannot_be_aligned_to_itself():
    objective = ObjectiveFactory()
    objective.parent = objective
    with pytest.raises(ValidationError):
        objective.full_clean()


def test_the_objective_service_refuses_a_parent_of_a_cycle_apart_and_saves_nothing():
    t3 = CycleFactory(name="T3 2026", start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 12, 31))
    t1 = CycleFactory(name="T1 2027", start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 4, 30))
    parent = ObjectiveFactory(cycle=t3)
    before = Objective.objects.count()
    with pytest.raises(ValidationError):
        services.objective_create(team=TeamFactory(), cycle=t1, title="Mål", parent=parent)
    assert Objective.objects.count() == before


# --- KeyResult -----------------------------------------------------------------------------------------

# (kind, start, target, valid)
TARGET_CASES = [
    (KeyResult.Kind.INCREASE_TO, 10, 40, True),
    (KeyResult.Kind.INCREASE_TO, 10, 10, True),  # start = target is allowed (the coach warns)
    (KeyResult.Kind.INCREASE_TO, 10, 9, False),
    (KeyResult.Kind.INCREASE_TO, -5, -10, False),
    (KeyResult.Kind.DECREASE_TO, 21, 7, True),
    (KeyResult.Kind.DECREASE_TO, 7, 7, True),
    (KeyResult.Kind.DECREASE_TO, 7, 21, False),
    (KeyResult.Kind.DECREASE_TO, Decimal("4.5"), Decimal("4.5001"), False),
    (KeyResult.Kind.STAY_ABOVE, 82, 80, True),
    (KeyResult.Kind.STAY_ABOVE, 78, 80, True),
    (KeyResult.Kind.STAY_BELOW, 1250, 1200, True),
    (KeyResult.Kind.STAY_BELOW, 1100, 1200, True),
    (KeyResult.Kind.ACHIEVE, 0, 1, True),
]


@pytest.mark.parametrize(("kind", "start", "target", "valid"), TARGET_CASES)
def test_the_target_must_point_the_right_way(kind, start, target, valid):
    objective = ObjectiveFactory()
    key_result = KeyResult(
        objective=objective,
        title="KR",
        kind=kind,
        start_value=start,
        target_value=target,
        current_value=start,
    )
    if valid:
        key_result.full_clean()
        key_result.save()
        return
    with pytest.raises(ValidationError) as error:
        key_result.full_clean()
    assert "target_value" in error.value.message_dict
    # The check constraint holds even when the validation is bypassed.
    _db_rejects(key_result.save)


@pytest.mark.parametrize("confidence", [0, 11, 100])
def test_key_result_confidence_is_1_to_10(confidence):
    key_result = KeyResultFactory()
    key_result.confidence = confidence
    with pytest.raises(ValidationError) as error:
        key_result.full_clean()
    assert "confidence" in error.value.message_dict
    _db_rejects(lambda: KeyResult.objects.filter(pk=key_result.pk).update(confidence=confidence))


@pytest.mark.parametrize("confidence", [None, 1, 10])
def test_key_result_confidence_may_be_empty_or_1_to_10(confidence):
    key_result = KeyResultFactory()
    key_result.confidence = confidence
    key_result.full_clean()
    key_result.save()


@pytest.mark.parametrize("weight", [Decimal(0), Decimal(-1)])
def test_a_weight_is_positive(weight):
    key_result = KeyResultFactory()
    key_result.weight = weight
    with pytest.raises(ValidationError):
        key_result.full_clean()
    _db_rejects(lambda: KeyResult.objects.filter(pk=key_result.pk).update(weight=weight))


@pytest.mark.parametrize("value", [Decimal(10) ** 12, Decimal("0.00001"), "ti"])
def test_values_beyond_the_decimal_field_are_refused(value):
    key_result = KeyResultFactory.build(objective=ObjectiveFactory(), target_value=value)
    with pytest.raises(ValidationError) as error:
        key_result.full_clean()
    assert "target_value" in error.value.message_dict


def test_the_key_result_service_starts_at_the_start_value():
    key_result = services.key_result_create(
        objective=ObjectiveFactory(),
        title="Redusere ventetid",
        kind=KeyResult.Kind.DECREASE_TO,
        start_value=21,
        target_value=7,
        unit="dager",
    )
    key_result.refresh_from_db()
    assert key_result.current_value == Decimal(21)
    assert key_result.confidence is None
    assert key_result.last_checkin_at is None
    assert key_result.progress == 0.0


def test_the_key_result_service_refuses_a_backwards_target_and_saves_nothing():
    with pytest.raises(ValidationError):
        services.key_result_create(objective=ObjectiveFactory(), title="KR", start_value=40, target_value=10)
    assert not KeyResult.objects.exists()


def test_key_result_progress_follows_the_rules():
    key_result = KeyResultFactory(start_value=10, target_value=40, current_value=25)
    assert key_result.progress == pytest.approx(0.5)


def test_retired_key_results_no_longer_count():
    objective = ObjectiveFactory()
    kept = KeyResultFactory(objective=objective)
    KeyResultFactory(objective=objective, retired_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC))
    assert list(objective.key_results.in_progress()) == [kept]


# --- Initiative ----------------------------------------------------------------------------------------


def test_an_initiatives_key_result_belongs_to_its_objective():
    objective = ObjectiveFactory()
    other_key_result = KeyResultFactory()
    with pytest.raises(ValidationError) as error:
        services.initiative_create(objective=objective, key_result=other_key_result, title="Tiltak")
    assert "key_result" in error.value.message_dict
    assert not Initiative.objects.exists()


def test_initiative_status_changes_are_validated():
    initiative = InitiativeFactory()
    services.initiative_set_status(initiative=initiative, status=Initiative.Status.DONE)
    initiative.refresh_from_db()
    assert initiative.status == Initiative.Status.DONE
    with pytest.raises(ValidationError):
        services.initiative_set_status(initiative=initiative, status="finished")
