"""The adjustment timeline, a KPI and the close page in a real browser, checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from objectives.models import Cycle, KeyResult, Kpi
from okrhub.demo import CAREER_SLUG
from workshops.demo import ADJUST_REASON

pytestmark = pytest.mark.e2e


def test_a_lead_reads_the_timeline_checks_in_on_a_kpi_and_grades(
    demo, live_server, page, log_in, screenshot, assert_accessible
):
    adjusted = KeyResult.history.filter(history_change_reason=ADJUST_REASON).get().instance
    log_in(page, "kari")
    page.goto(f"{live_server.url}/key-results/{adjusted.pk}/")
    timeline = page.locator(".kr-history")
    expect(timeline).to_contain_text(ADJUST_REASON)
    expect(timeline).to_contain_text("Target value")
    assert_accessible(page)
    screenshot(page, "key-result-timeline")

    kpi = Kpi.objects.get()
    log_in(page, "thea")
    page.goto(f"{live_server.url}/workshops/kpis/{kpi.pk}/")
    expect(page.locator("svg").first).to_be_visible()
    page.get_by_label("Value").fill("99")
    page.get_by_role("button", name="Save check-in").click()
    expect(page.locator("tbody tr").first).to_contain_text("99")
    assert_accessible(page)
    screenshot(page, "kpi")

    active = Cycle.objects.get(status=Cycle.Status.ACTIVE)
    log_in(page, "silje")
    page.goto(f"{live_server.url}/workshops/{CAREER_SLUG}/{active.pk}/close/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Close and grade")
    page.get_by_label("What worked").fill("Ukentlige innsjekker holdt oss i gang")
    page.get_by_role("button", name="Save retrospective").click()
    expect(page.get_by_label("What worked")).to_have_value("Ukentlige innsjekker holdt oss i gang")
    assert_accessible(page)
    screenshot(page, "close-and-grade")
