"""The one read model of a key result's figures (objectives/figures.py) and the one set of labels."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from objectives import progress as rules
from objectives.figures import Moment, figures_for, figures_from_values, figures_of, moment_now, plan_exists
from objectives.labels import HEALTH_LABELS, REASON_LABELS
from objectives.models import Cycle, KeyResult
from tests.factories import CheckInFactory, KeyResultFactory, UserFactory
from tests.okrhub.test_layering import LAYERS

UTC = dt.UTC


def test_every_health_and_reason_has_one_label_and_stale_names_its_days():
    assert set(HEALTH_LABELS) == set(rules.HEALTHS)
    assert set(REASON_LABELS) == set(rules.ATTENTION_REASONS)
    with translation.override("en"):
        assert str(REASON_LABELS[rules.STALE]) == f"Not updated for {rules.STALE_DAYS} days"
    with translation.override("nb"):
        assert str(REASON_LABELS[rules.STALE]) == f"Ikke oppdatert på {rules.STALE_DAYS} dager"


def test_labels_are_defined_nowhere_else():
    """One definition of the words for health and reasons: no other module maps the constants to text."""
    root = Path(settings.BASE_DIR)
    mapping = re.compile(
        r"(rules|progress)\.(ON_TRACK|AT_RISK|OFF_TRACK|LOW_CONFIDENCE|STALE|BACK_LOADED|NO_OWNER)\s*:\s*"
        r"(_|gettext|gettext_lazy|pgettext|pgettext_lazy)\("
    )  # a constant mapped to words; mapping it to a number or a list of days is not a label
    offending = [
        path.relative_to(root).as_posix()
        for app in (*LAYERS, "okrhub")
        for path in (root / app).rglob("*.py")
        if path.name != "labels.py" and mapping.search(path.read_text(encoding="utf-8"))
    ]
    assert offending == []


@pytest.mark.django_db
def test_one_key_result_from_the_instance_and_from_its_columns_agree(django_assert_num_queries):
    owner = UserFactory()
    key_result = KeyResultFactory(owner=owner, start_value=Decimal(10), target_value=Decimal(40))
    CheckInFactory(key_result=key_result, author=owner, value=Decimal(16), confidence=3)
    key_result = (
        KeyResult.objects.select_related("objective__cycle", "owner")
        .prefetch_related("milestones")
        .get(pk=key_result.pk)
    )
    moment = moment_now()
    with django_assert_num_queries(0):
        figures = figures_of(key_result, moment=moment)
    cycle = key_result.objective.cycle
    assert figures.progress == pytest.approx(0.2)
    assert figures.expected == cycle.expected_progress(on=moment.today)
    assert figures.health == rules.OFF_TRACK  # confidence 3
    assert figures.reasons == (rules.OFF_TRACK, rules.LOW_CONFIDENCE)
    assert figures.confidence == 3 and figures.confidence_band == "low"
    assert figures.last_checkin_date == moment.today
    assert figures.progress_percent == 20
    with translation.override("en"):
        assert figures.health_label == "off track"
        assert figures.reason_labels == [("off_track", "Off track"), ("low_confidence", "Low confidence")]

    from_columns = figures_from_values(
        kind=key_result.kind,
        start=key_result.start_value,
        target=key_result.target_value,
        current=key_result.current_value,
        confidence=key_result.confidence,
        has_owner=True,
        last_checkin_at=key_result.last_checkin_at,
        cycle=cycle,
        moment=moment,
    )
    assert from_columns == figures


@pytest.mark.django_db
def test_many_key_results_cost_no_query_per_key_result(django_assert_num_queries):
    first = KeyResultFactory()
    KeyResultFactory.create_batch(4, objective=first.objective)
    key_results = list(KeyResult.objects.select_related("objective__cycle").annotate(has_plan=plan_exists()))
    with django_assert_num_queries(0):  # nobody has a plan: none is read
        by_id = figures_for(key_results)
    assert set(by_id) == {kr.pk for kr in key_results}
    assert len(by_id) == 5 and all(rules.NO_OWNER in figures.reasons for figures in by_id.values())


def test_the_latest_check_in_is_dated_in_the_moments_time_zone():
    cycle = Cycle(start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 4, 30), status=Cycle.Status.ACTIVE)
    late_evening = dt.datetime(2027, 3, 1, 23, 30, tzinfo=UTC)  # already 2 March in Oslo
    figures = figures_from_values(
        kind=rules.INCREASE_TO,
        start=Decimal(0),
        target=Decimal(10),
        current=Decimal(5),
        confidence=8,
        has_owner=True,
        last_checkin_at=late_evening,
        cycle=cycle,
        moment=Moment(today=dt.date(2027, 3, 2), tz=zoneinfo.ZoneInfo("Europe/Oslo")),
    )
    assert figures.last_checkin_date == dt.date(2027, 3, 2)
    assert figures.expected_percent == round(100 * 60 / 119)


@pytest.mark.django_db
def test_plans_cost_one_query_for_a_list_and_none_without_plans(django_assert_num_queries):
    from objectives.figures import plans_by_key_result, plans_prefetch
    from objectives.models import Milestone

    planned = KeyResultFactory(start_value=Decimal(0), target_value=Decimal(100))
    straight = KeyResultFactory(
        objective=planned.objective, start_value=Decimal(0), target_value=Decimal(100)
    )
    cycle = planned.objective.cycle
    # Nothing planned for the first half of the cycle: expected progress stays at 0 until the milestone.
    halfway = cycle.start_date + (cycle.end_date - cycle.start_date) // 2
    Milestone.objects.create(key_result=planned, date=halfway, planned_value=Decimal(0))

    def listed():
        return list(
            KeyResult.objects.filter(pk__in=[planned.pk, straight.pk])
            .select_related("objective__cycle")
            .annotate(has_plan=plan_exists())
            .order_by("pk")
        )

    moment = moment_now(today=cycle.start_date + (halfway - cycle.start_date) // 2)
    key_results = listed()
    with django_assert_num_queries(1):
        by_id = figures_for(key_results, moment=moment)
    assert by_id[planned.pk].expected == 0
    assert by_id[straight.pk].expected > 0
    assert plans_by_key_result([planned.pk, straight.pk]) == {planned.pk: [(halfway, Decimal(0))]}

    Milestone.objects.all().delete()
    key_results = listed()
    with django_assert_num_queries(0):
        plans_prefetch(key_results)
        by_id = figures_for(key_results, moment=moment)
    assert by_id[planned.pk].expected == by_id[straight.pk].expected > 0
