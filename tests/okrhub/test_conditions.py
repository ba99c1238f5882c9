"""okrhub.conditions reads a CheckConstraint's condition in Python: it must agree with the database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import CheckConstraint, F, Q

from objectives.models import KeyResult
from okrhub.conditions import condition_holds, violated_check_constraints


def database_says(constraint: CheckConstraint, instance) -> bool:
    try:
        constraint.validate(type(instance), instance)
    except ValidationError:
        return False
    return True


CASES = [
    {"kind": "increase_to", "start_value": Decimal(0), "target_value": Decimal(10)},
    {"kind": "increase_to", "start_value": Decimal(10), "target_value": Decimal(0)},
    {"kind": "increase_to", "start_value": Decimal(5), "target_value": Decimal(5)},
    {"kind": "decrease_to", "start_value": Decimal(10), "target_value": Decimal(0)},
    {"kind": "decrease_to", "start_value": Decimal(0), "target_value": Decimal(10)},
    {"kind": "stay_above", "start_value": Decimal(10), "target_value": Decimal(0)},
    {"kind": "achieve", "start_value": Decimal(0), "target_value": Decimal(1), "confidence": 11},
    {"kind": "achieve", "start_value": Decimal(0), "target_value": Decimal(1), "confidence": 0},
    {"kind": "increase_to", "start_value": Decimal(0), "target_value": Decimal(1), "confidence": None},
    {"kind": "increase_to", "start_value": Decimal(0), "target_value": Decimal(1), "weight": Decimal(0)},
    {
        "kind": "increase_to",
        "start_value": Decimal(0),
        "target_value": Decimal(1),
        "final_score": Decimal("1.5"),
    },
    {"kind": "increase_to", "start_value": Decimal(0), "target_value": Decimal(1), "final_score": None},
]


@pytest.mark.django_db
@pytest.mark.parametrize("values", CASES)
def test_it_agrees_with_the_database_on_every_key_result_constraint(values):
    instance = KeyResult(title="x", current_value=Decimal(0), **values)
    for constraint in KeyResult._meta.constraints:
        if isinstance(constraint, CheckConstraint):
            assert condition_holds(constraint, instance) is database_says(constraint, instance), (
                constraint.name
            )


@pytest.mark.django_db
def test_it_lists_the_violated_constraints():
    instance = KeyResult(title="x", kind="increase_to", start_value=Decimal(10), target_value=Decimal(1),
                         current_value=Decimal(0), confidence=12)  # fmt: skip
    names = {constraint.name for constraint in violated_check_constraints(instance)}
    assert "key_result_confidence_range" in names
    assert any("increase" in name for name in names)


def test_null_is_unknown_and_a_check_passes_on_unknown():
    constraint = CheckConstraint(condition=Q(confidence__gte=1), name="c")
    assert condition_holds(constraint, KeyResult(confidence=None)) is True
    assert condition_holds(constraint, KeyResult(confidence=0)) is False
    negated = CheckConstraint(condition=~Q(confidence__gte=1), name="n")
    assert condition_holds(negated, KeyResult(confidence=None)) is True


def test_shapes_it_cannot_read_answer_none():
    joined = CheckConstraint(condition=Q(objective__title__startswith="x"), name="j")
    assert condition_holds(joined, KeyResult()) is None
    expression = CheckConstraint(condition=Q(target_value__gt=F("start_value") + 1), name="e")
    assert condition_holds(expression, KeyResult(start_value=1, target_value=3)) is None
