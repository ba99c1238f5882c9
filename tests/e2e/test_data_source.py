"""A key result that updates itself, in a real browser: link it to a JSON feed on loopback, press "Fetch now"
and watch the progress bar move; the configuration page fits a 360 px phone screen."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from datasources.demo import LINKED_TITLE
from objectives.models import KeyResult
from tests.servers import feed_server

pytestmark = pytest.mark.e2e


def test_the_owner_links_a_feed_and_fetches_it_now(
    demo, live_server, new_page, log_in, screenshot, assert_accessible
):
    key_result = KeyResult.objects.get(title=LINKED_TITLE)  # 850 → 1 400 participants, owned by member
    assert key_result.current_value < 1300
    with feed_server() as feed, override_settings(DATA_SOURCE_ALLOWED_HOSTS=["127.0.0.1"]):
        feed.route("/kurs.json", json.dumps({"data": {"participants": [{"total": 1300}]}}))
        page = new_page()
        page.set_viewport_size({"width": 360, "height": 800})
        log_in(page, "member")
        page.goto(f"{live_server.url}/key-results/{key_result.pk}/")
        progress = page.locator(f"#kr-{key_result.pk}-progress")
        before = int(progress.get_attribute("aria-valuenow"))

        page.get_by_role("link", name="Change the data source").click()
        page.get_by_label("URL").fill(feed.url("/kurs.json"))
        page.get_by_label("Path or column").fill("data.participants[0].total")
        page.get_by_label("Header name").fill("Authorization")
        page.get_by_label("Header value (secret)").fill("Bearer e2e-secret")
        # Fits the phone screen: nothing wider than the viewport.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert_accessible(page)
        screenshot(page, "data-source-edit-360")
        page.get_by_role("button", name="Save").click()
        expect(page).to_have_url(f"{live_server.url}/key-results/{key_result.pk}/")
        assert "e2e-secret" not in page.content()

        page.get_by_role("button", name="Fetch now").click()
        expect(page.locator("#kr-data-source-fetched")).to_contain_text("1,300")
        after = int(page.locator(f"#kr-{key_result.pk}-progress").get_attribute("aria-valuenow"))
        assert after > before
        # Written in the owner's language (the demo member's profile says Norwegian), whoever reads it.
        expect(page.locator("#checkin-history tbody tr").first).to_contain_text(
            "Automatisk oppdatert fra 127.0.0.1"
        )
        assert feed.requests[-1][1].get("Authorization") == "Bearer e2e-secret"
        assert_accessible(page)
        screenshot(page, "data-source-fetched-360")

        # An unchanged value: the panel says so in place, without reloading the page.
        page.get_by_role("button", name="Fetch now").click()
        expect(page.locator("#kr-data-source-result")).to_contain_text("has not changed")
