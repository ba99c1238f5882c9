"""Integrations in a real browser: a team lead adds a webhook from the team page, copies the signing secret
shown once, sends a test event that a real receiver on loopback gets signed, and sees it in the delivery log;
the pages work at 360 px and pass axe-core."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from integrations.delivery import sign
from okrhub.demo import COURSES_SLUG
from tests.integrations.receiver import receiver

pytestmark = pytest.mark.e2e


def _fits(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at 360px"


def test_a_lead_adds_a_webhook_sees_the_secret_once_and_sends_a_test_event(
    demo, live_server, new_page, log_in, screenshot, assert_accessible, celery_eager, settings
):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with receiver() as hook:
        page = log_in(new_page(), "kari")
        page.set_viewport_size({"width": 360, "height": 780})
        page.goto(f"{live_server.url}/teams/{COURSES_SLUG}/")
        page.get_by_role("link", name="Teams, Slack and webhooks for this team").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Integrations for Kurs og arrangementer")
        expect(page.locator("body")).to_contain_text("Eksempel: #kurs i Slack")
        _fits(page)
        assert_accessible(page)

        page.get_by_label("Kind").select_option("webhook")
        page.get_by_role("button", name="Add").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("New Webhook for Kurs og arrangementer")
        _fits(page)
        assert_accessible(page)
        page.get_by_label("Name").fill("Vår mottaker")
        page.get_by_label("Address (URL)").fill(hook.url + "/okr")
        page.get_by_label("A check-in was made").check()
        page.get_by_role("button", name="Create").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Vår mottaker is set up")
        secret = page.get_by_label("Signing secret").input_value()
        assert secret.startswith("whsec_")
        _fits(page)
        assert_accessible(page)
        screenshot(page, "integrations-secret-once")

        page.get_by_role("link", name="Continue to the endpoint").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Vår mottaker")
        assert secret not in page.content()
        page.get_by_role("button", name="Send test event").click()
        expect(page.locator("#log")).to_contain_text("delivered")
        expect(page.locator("#log")).to_contain_text("HTTP 200")
        _fits(page)
        assert_accessible(page)
        screenshot(page, "integrations-delivery-log")

        (received,) = hook.wait_for(1)
        assert received.headers["x-okrhub-signature"] == sign(secret, received.body)
        assert json.loads(received.body)["type"] == "test"

        page.reload()
        assert secret not in page.content()
