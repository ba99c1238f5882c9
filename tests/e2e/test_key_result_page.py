"""The key result page in a real browser: breadcrumbs, the kind in words, a visible burn-up chart, history."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from objectives.models import Cycle, KeyResult

pytestmark = pytest.mark.e2e


def test_the_key_result_page_shows_a_readable_burn_up_chart(
    demo, live_server, page, log_in, screenshot, assert_accessible
):
    key_result = (
        KeyResult.objects.in_progress()
        .filter(
            owner__username="member",
            kind=KeyResult.Kind.INCREASE_TO,
            objective__cycle__status=Cycle.Status.ACTIVE,
            checkins__isnull=False,
        )
        .distinct()
        .order_by("id")
        .first()
    )
    assert key_result is not None, "the demo member should own a key result with check-ins"
    log_in(page, "member")
    page.goto(f"{live_server.url}/")
    page.locator(f"#kr-{key_result.pk}").get_by_role("link", name=key_result.title).click()
    expect(page).to_have_url(f"{live_server.url}/key-results/{key_result.pk}/")

    breadcrumbs = page.get_by_role("navigation", name="Breadcrumb")
    expect(breadcrumbs).to_contain_text(key_result.objective.team.name)
    expect(breadcrumbs).to_contain_text(key_result.objective.title)
    expect(page.locator("#kr-kind")).to_contain_text("Increase from")
    chart = page.get_by_role("img", name=f"Burn-up: {key_result.title}")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 150
    expect(page.locator("#checkin-history tbody tr").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "key-result")
