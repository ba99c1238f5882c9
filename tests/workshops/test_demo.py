"""The workshop demo data, built by the real seed_demo."""

from __future__ import annotations

import pytest

from objectives.models import KeyResult, Kpi, KpiMeasurement, Objective
from okrhub.demo import seed_demo
from workshops.demo import ADJUST_REASON, DRAFT_TITLE

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_draft_set_a_kpi_and_an_adjustment_and_runs_twice():
    result = seed_demo()
    drafts = Objective.objects.get(title=DRAFT_TITLE)
    assert drafts.cycle == result.planning_cycle and drafts.status == Objective.Status.DRAFT
    assert drafts.key_results.count() == 2 and drafts.initiatives.count() == 1
    kpi = Kpi.objects.get()
    assert kpi.source_key_result is not None and kpi.measurements.count() == 6
    adjusted = KeyResult.history.filter(history_change_reason=ADJUST_REASON)
    assert adjusted.count() == 1 and adjusted.get().history_user.username == "kari"

    seed_demo()
    assert Objective.objects.filter(title=DRAFT_TITLE).count() == 1
    assert Kpi.objects.count() == 1 and KpiMeasurement.objects.count() == 6
    assert KeyResult.history.filter(history_change_reason=ADJUST_REASON).count() == 1
