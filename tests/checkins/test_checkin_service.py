"""checkin_submit / checkin_update / checkin_delete keep the key result in step with its latest check-in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from checkins.models import CheckIn
from checkins.services import checkin_delete, checkin_submit, checkin_update
from objectives.models import Cycle, KeyResult, Objective
from tests.factories import CheckInFactory, KeyResultFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def _at(days_ago: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days_ago)


@pytest.fixture
def key_result():
    return KeyResultFactory(start_value=10, target_value=40)


@pytest.fixture
def author():
    return UserFactory()


@time_machine.travel(NOW, tick=False)
def test_a_checkin_updates_its_key_result(key_result, author):
    checkin = checkin_submit(
        key_result=key_result, author=author, value="25", confidence=8, note="  God uke.  "
    )
    assert checkin.note == "God uke."
    assert checkin.created_at == NOW
    # The caller's instance and the database agree.
    assert (key_result.current_value, key_result.confidence, key_result.last_checkin_at) == (25, 8, NOW)
    key_result.refresh_from_db()
    assert (key_result.current_value, key_result.confidence, key_result.last_checkin_at) == (
        Decimal(25),
        8,
        NOW,
    )
    assert key_result.progress == pytest.approx(0.5)


def test_the_latest_checkin_wins_even_when_an_older_one_is_entered_later(key_result, author):
    checkin_submit(key_result=key_result, author=author, value=30, confidence=7, created_at=_at(1))
    checkin_submit(key_result=key_result, author=author, value=15, confidence=3, created_at=_at(8))
    key_result.refresh_from_db()
    assert (key_result.current_value, key_result.confidence, key_result.last_checkin_at) == (
        Decimal(30),
        7,
        _at(1),
    )


def test_deleting_the_latest_checkin_recomputes_from_the_rest(key_result, author):
    checkin_submit(key_result=key_result, author=author, value=15, confidence=6, created_at=_at(14))
    checkin_submit(key_result=key_result, author=author, value=20, confidence=7, created_at=_at(7))
    latest = checkin_submit(key_result=key_result, author=author, value=28, confidence=9, created_at=_at(0))
    result = checkin_delete(checkin=latest)
    key_result.refresh_from_db()
    assert (key_result.current_value, key_result.confidence, key_result.last_checkin_at) == (
        Decimal(20),
        7,
        _at(7),
    )
    assert result.current_value == Decimal(20)
    assert CheckIn.objects.filter(key_result=key_result).count() == 2


def test_deleting_an_older_checkin_keeps_the_latest(key_result, author):
    older = checkin_submit(key_result=key_result, author=author, value=15, confidence=6, created_at=_at(7))
    checkin_submit(key_result=key_result, author=author, value=22, confidence=8, created_at=_at(0))
    checkin_delete(checkin=older)
    key_result.refresh_from_db()
    assert (key_result.current_value, key_result.confidence) == (Decimal(22), 8)


def test_deleting_the_only_checkin_goes_back_to_the_start(key_result, author):
    only = checkin_submit(key_result=key_result, author=author, value=25, confidence=8)
    checkin_delete(checkin=only)
    key_result.refresh_from_db()
    assert (key_result.current_value, key_result.confidence, key_result.last_checkin_at) == (
        Decimal(10),
        None,
        None,
    )


def test_updating_the_latest_checkin_updates_the_key_result(key_result, author):
    checkin = checkin_submit(key_result=key_result, author=author, value=25, confidence=8)
    checkin_update(checkin=checkin, value="31.5", confidence=5, note="Rettet tall")
    key_result.refresh_from_db()
    assert (key_result.current_value, key_result.confidence) == (Decimal("31.5"), 5)
    checkin.refresh_from_db()
    assert checkin.note == "Rettet tall"


@pytest.mark.parametrize(
    ("field", "status"),
    [
        ("cycle", Cycle.Status.CLOSED),
        ("objective", Objective.Status.ARCHIVED),
        ("objective", Objective.Status.DRAFT),
    ],
)
def test_no_checkins_on_a_closed_cycle_or_an_archived_or_draft_objective(key_result, author, field, status):
    earlier = checkin_submit(key_result=key_result, author=author, value=20, confidence=7, created_at=_at(7))
    target = key_result.objective.cycle if field == "cycle" else key_result.objective
    target.status = status
    target.save()
    with pytest.raises(ValidationError):
        checkin_submit(key_result=key_result, author=author, value=30, confidence=8)
    with pytest.raises(ValidationError):
        checkin_update(checkin=earlier, value=30, confidence=8)
    with pytest.raises(ValidationError):
        checkin_delete(checkin=earlier)
    # Nothing changed.
    assert list(CheckIn.objects.values_list("value", flat=True)) == [Decimal(20)]
    key_result.refresh_from_db()
    assert key_result.current_value == Decimal(20)


@pytest.mark.parametrize("confidence", [0, 11, -1])
def test_checkin_confidence_is_1_to_10(key_result, author, confidence):
    with pytest.raises(ValidationError) as error:
        checkin_submit(key_result=key_result, author=author, value=20, confidence=confidence)
    assert "confidence" in error.value.message_dict
    assert not CheckIn.objects.exists()
    key_result.refresh_from_db()
    assert (key_result.current_value, key_result.confidence) == (Decimal(10), None)


@pytest.mark.parametrize("confidence", [0, 11])
def test_the_database_refuses_checkin_confidence_out_of_range(key_result, author, confidence):
    checkin = CheckInFactory(key_result=key_result, author=author)
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.filter(pk=checkin.pk).update(confidence=confidence)
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.create(key_result=key_result, author=author, value=1, confidence=confidence)


@pytest.mark.parametrize("value", ["mange", Decimal(10) ** 12, "1.00001", ""])
def test_bad_values_are_refused_and_change_nothing(key_result, author, value):
    with pytest.raises(ValidationError):
        checkin_submit(key_result=key_result, author=author, value=value, confidence=7)
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(("value", "ok"), [(0, True), (1, True), ("0.5", False), (2, False)])
def test_an_achieve_key_result_is_done_or_not(author, value, ok):
    key_result = KeyResultFactory(kind=KeyResult.Kind.ACHIEVE, start_value=0, target_value=1)
    if ok:
        checkin_submit(key_result=key_result, author=author, value=value, confidence=7)
        key_result.refresh_from_db()
        assert key_result.current_value == Decimal(value)
        return
    with pytest.raises(ValidationError):
        checkin_submit(key_result=key_result, author=author, value=value, confidence=7)
    assert not CheckIn.objects.exists()


def test_checkins_are_listed_newest_first(key_result, author):
    first = checkin_submit(key_result=key_result, author=author, value=12, confidence=7, created_at=_at(7))
    second = checkin_submit(key_result=key_result, author=author, value=14, confidence=7, created_at=_at(0))
    assert list(key_result.checkins.all()) == [second, first]
    assert str(second).startswith(key_result.title)


def test_the_factory_goes_through_the_service(key_result):
    CheckInFactory(key_result=key_result, value=Decimal(34), confidence=9, created_at=timezone.now())
    key_result.refresh_from_db()
    assert (key_result.current_value, key_result.confidence) == (Decimal(34), 9)


@pytest.mark.parametrize(
    ("field", "status"), [("cycle", Cycle.Status.CLOSED), ("objective", Objective.Status.ARCHIVED)]
)
def test_the_model_refuses_a_checkin_on_a_closed_cycle_or_archived_objective(
    key_result, author, field, status
):
    target = key_result.objective.cycle if field == "cycle" else key_result.objective
    target.status = status
    target.save()
    checkin = CheckIn(key_result=key_result, author=author, value=20, confidence=7)
    with pytest.raises(ValidationError):
        checkin.full_clean()


def test_the_model_accepts_a_checkin_on_an_active_objective(key_result, author):
    CheckIn(key_result=key_result, author=author, value=20, confidence=7).full_clean()
