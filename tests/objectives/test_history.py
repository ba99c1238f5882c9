"""Mid-cycle adjustments: a reason for changing a published key result, kept in history with who and when."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from checkins.services import checkin_submit
from objectives.history import key_result_timeline
from objectives.models import Cycle, KeyResult, Objective
from objectives.services import key_result_adjust
from tests.factories import KeyResultFactory, ObjectiveFactory
from workshops.services import key_result_retire

pytestmark = pytest.mark.django_db


def adjust_form(**overrides):
    data = {
        "edit-title": "Øke antall kurs fra 10 til 40",
        "edit-kind": "increase_to",
        "edit-unit": "courses",
        "edit-start_value": "10",
        "edit-target_value": "40",
    }
    data.update(overrides)
    return data


def test_adjusting_a_published_key_result_needs_a_reason(org):
    kr = org.key_result
    with pytest.raises(ValidationError) as error:
        key_result_adjust(key_result=kr, actor=org.lead, data={"target_value": Decimal(50)})
    assert "reason" in error.value.message_dict
    kr.refresh_from_db()
    assert kr.target_value == Decimal(40)


def test_a_draft_changes_without_a_reason(org):
    objective = ObjectiveFactory(team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT)
    kr = KeyResultFactory(objective=objective)
    key_result_adjust(key_result=kr, actor=org.member, data={"target_value": Decimal(50)})
    assert KeyResult.objects.get(pk=kr.pk).target_value == Decimal(50)


def test_the_owner_changes_without_a_reason(org):
    key_result_adjust(key_result=org.key_result, actor=org.lead, data={"owner": org.teammate})
    assert KeyResult.objects.get(pk=org.key_result.pk).owner == org.teammate


def test_every_change_is_kept_with_who_when_old_new_and_why(org):
    kr = org.key_result
    key_result_adjust(
        key_result=kr,
        actor=org.lead,
        data={"target_value": Decimal(30), "unit": "kurs"},
        reason="Budsjettet ble halvert",
    )
    timeline = key_result_timeline(key_result=kr)
    latest = timeline[0]
    assert latest.who == "Lise Leder"
    assert latest.reason == "Budsjettet ble halvert"
    changes = {c.field: (c.old, c.new) for c in latest.changes}
    assert changes["target_value"] == ("40", "30")
    assert changes["unit"] == ("courses", "kurs")
    assert timeline[-1].created


def test_check_ins_stay_out_of_the_timeline(org):
    checkin_submit(key_result=org.key_result, author=org.member, value=20, confidence=7)
    timeline = key_result_timeline(key_result=org.key_result)
    assert len(timeline) == 1 and timeline[0].created


def test_retiring_keeps_history_and_removes_it_from_progress(org):
    kr = org.key_result
    with pytest.raises(ValidationError):
        key_result_retire(key_result=kr, actor=org.lead, reason="  ")
    key_result_retire(key_result=kr, actor=org.lead, reason="Målte feil ting")
    assert not KeyResult.objects.in_progress().filter(pk=kr.pk).exists()
    assert KeyResult.objects.filter(pk=kr.pk).exists()
    entry = key_result_timeline(key_result=kr)[0]
    assert entry.reason == "Målte feil ting"
    assert [c.field for c in entry.changes] == ["retired_at"]
    with pytest.raises(ValidationError):
        key_result_retire(key_result=kr, actor=org.lead, reason="igjen")


def test_closed_cycles_are_read_only(org):
    org.cycle.status = Cycle.Status.CLOSED
    org.cycle.save()
    kr = KeyResult.objects.select_related("objective__cycle").get(pk=org.key_result.pk)
    with pytest.raises(ValidationError):
        key_result_adjust(key_result=kr, actor=org.lead, data={"title": "x"}, reason="y")
    with pytest.raises(ValidationError):
        key_result_retire(key_result=kr, actor=org.lead, reason="y")


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 403), ("lead", 302), ("section_leader", 302), ("ambassador", 403), ("outsider", 403)],
)
def test_who_adjusts_a_published_key_result(org, login, persona, status):
    response = login(getattr(org, persona)).post(
        reverse("workshops:key_result_edit", args=[org.key_result.pk]),
        adjust_form(**{"edit-target_value": "35", "edit-reason": "Ny info"}),
    )
    assert response.status_code == status
    org.key_result.refresh_from_db()
    assert (org.key_result.target_value == Decimal(35)) is (status == 302)


def test_the_adjust_form_asks_for_the_reason(org, login):
    response = login(org.lead).post(
        reverse("workshops:key_result_edit", args=[org.key_result.pk]),
        adjust_form(**{"edit-target_value": "35"}),
    )
    assert response.status_code == 400
    assert "Give a short reason" in response.content.decode()
    org.key_result.refresh_from_db()
    assert org.key_result.target_value == Decimal(40)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 403), ("lead", 302), ("ambassador", 403), ("outsider", 403)],
)
def test_who_retires_a_key_result(org, login, persona, status):
    response = login(getattr(org, persona)).post(
        reverse("workshops:key_result_retire", args=[org.key_result.pk]), {"retire-reason": "Feil mål"}
    )
    assert response.status_code == status
    org.key_result.refresh_from_db()
    assert (org.key_result.retired_at is not None) is (status == 302)


def test_the_history_page_shows_the_timeline(org, login):
    key_result_adjust(
        key_result=org.key_result, actor=org.lead, data={"target_value": 45}, reason="Mer budsjett"
    )
    body = (
        login(org.member)
        .get(reverse("workshops:key_result_history", args=[org.key_result.pk]))
        .content.decode()
    )
    assert "Mer budsjett" in body and "Lise Leder" in body
    # Another team's member reads published history too, but not a draft's.
    draft = KeyResultFactory(objective=ObjectiveFactory(team=org.team, cycle=org.cycle, status="draft"))
    assert (
        login(org.outsider).get(reverse("workshops:key_result_history", args=[draft.pk])).status_code == 404
    )


def test_the_timeline_runs_a_fixed_number_of_queries(org, django_assert_num_queries):
    kr = org.key_result
    for target in (41, 42, 43):
        key_result_adjust(key_result=kr, actor=org.lead, data={"target_value": target}, reason="r")
    with django_assert_num_queries(1):  # history rows with their authors and owners
        key_result_timeline(key_result=kr)
    for target in (44, 45, 46, 47, 48):
        key_result_adjust(key_result=kr, actor=org.lead, data={"target_value": target}, reason="r")
    with django_assert_num_queries(1):
        assert len(key_result_timeline(key_result=kr)) == 9


def test_check_ins_write_no_history_rows(org):
    before = org.key_result.history.count()
    checkin_submit(key_result=org.key_result, author=org.member, value=20, confidence=7)
    checkin_submit(key_result=org.key_result, author=org.member, value=25, confidence=8)
    assert org.key_result.history.count() == before


@pytest.fixture(autouse=True)
def english(settings):
    """These tests read the English texts; Norwegian (the site default) is tested where it is asked for."""
    settings.LANGUAGE_CODE = "en"
