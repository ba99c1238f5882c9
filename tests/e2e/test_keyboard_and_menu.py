"""By keyboard and on a phone: the skip link on My week, the menu without JavaScript, charts that fit."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("language", "skip_text"), [("en", "Skip to check-ins"), ("nb", "Hopp til innsjekk")]
)
def test_the_first_check_in_field_is_within_three_tabs(demo, live_server, page, log_in, language, skip_text):
    log_in(page, "member", language=language)
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    # The skip link is the first thing Tab reaches, and it shows itself when focused.
    skip = page.get_by_role("link", name=skip_text)
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    tabs = 1
    while tabs < 3:
        page.keyboard.press("Tab")
        tabs += 1
        if page.evaluate("document.activeElement.name") == "value":
            break
    first_form = page.locator("form.checkin-form").first
    expect(first_form.locator("[name=value]").first).to_be_focused()
    assert tabs <= 3


@pytest.mark.parametrize("javascript", [True, False])
def test_the_menu_collapses_on_a_phone_and_opens_without_javascript(browser, live_server, demo, javascript):
    context = browser.new_context(
        viewport={"width": 360, "height": 800}, locale="en-GB", java_script_enabled=javascript
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "member")
        page.fill("#id_password", "demo")
        page.click("main button[type=submit]")
        teams = page.get_by_role("link", name="Teams", exact=True)
        menu = page.locator(".site-menu > summary")
        expect(menu).to_be_visible()
        expect(teams).to_be_hidden()
        box = menu.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44
        menu.click()
        expect(teams).to_be_visible()
        assert teams.bounding_box()["height"] >= 44
        teams.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Teams")

        # On a wide screen the links are in the bar, without a menu to open.
        page.set_viewport_size({"width": 1280, "height": 800})
        expect(menu).to_be_hidden()
        expect(page.get_by_role("link", name="My week", exact=True)).to_be_visible()
    finally:
        context.close()


def test_the_burn_up_chart_fills_its_container(demo, live_server, page, log_in):
    from objectives.models import KeyResult

    log_in(page, "member")
    key_result = KeyResult.objects.filter(owner__username="member").order_by("pk").first()
    page.goto(f"{live_server.url}/key-results/{key_result.pk}/")
    chart = page.locator("#kr-chart svg.chart")
    figure = page.locator("#kr-chart figure")
    assert chart.bounding_box()["width"] >= figure.bounding_box()["width"] - 1
    page.set_viewport_size({"width": 360, "height": 800})
    assert chart.bounding_box()["width"] <= 360
    # The favicon is a real icon, linked from the page.
    response = page.request.get(f"{live_server.url}/favicon.ico")
    assert response.ok and response.body()[:4] == b"\x00\x00\x01\x00"


def test_the_check_in_form_stacks_on_a_phone(demo, live_server, new_page, log_in):
    page = new_page()
    page.set_viewport_size({"width": 360, "height": 800})
    log_in(page, "member")
    page.goto(f"{live_server.url}/")
    form = page.locator("form.checkin-form").first
    boxes = [
        form.locator(selector).first.bounding_box()
        for selector in (".checkin-value", ".checkin-confidence", ".checkin-note", "button[type=submit]")
    ]
    # Value, confidence, note and the button one below the other, each starting at the form's left edge.
    assert all(upper["y"] + upper["height"] <= lower["y"] + 1 for upper, lower in itertools.pairwise(boxes))
    assert len({round(box["x"]) for box in boxes}) == 1
    assert boxes[-1]["height"] >= 44
