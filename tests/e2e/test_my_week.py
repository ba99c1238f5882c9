"""My week in a real browser: check in by keyboard, row and counter change in place, errors in place."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from checkins.selectors import is_this_week
from objectives.models import Cycle, KeyResult, Objective

pytestmark = pytest.mark.e2e


def _unchecked_key_result() -> KeyResult:
    """One of the demo member's numeric key results not checked in this week and short of its target."""
    candidates = (
        KeyResult.objects.in_progress()
        .filter(
            owner__username="member",
            kind__in=[KeyResult.Kind.INCREASE_TO, KeyResult.Kind.DECREASE_TO],
            objective__cycle__status=Cycle.Status.ACTIVE,
            objective__status=Objective.Status.ACTIVE,
        )
        .order_by("id")
    )
    for key_result in candidates:
        if not is_this_week(key_result.last_checkin_at) and key_result.progress < 1:
            return key_result
    raise AssertionError("The demo data should leave the member a key result to check in on this week")


def _counter(page) -> tuple[int, int]:
    text = page.locator("#checkin-counter").inner_text()
    checked, total = re.match(r"(\d+) of (\d+)", text).groups()
    return int(checked), int(total)


def test_a_member_checks_in_from_my_week_without_leaving_the_page(
    demo, live_server, page, log_in, screenshot, assert_accessible
):
    log_in(page, "member")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("My week")
    assert_accessible(page)
    screenshot(page, "my-week")

    key_result = _unchecked_key_result()
    row = page.locator(f"#kr-{key_result.pk}")
    bar = row.get_by_role("progressbar")
    before_progress = bar.get_attribute("aria-valuenow")
    checked_before, total = _counter(page)
    # A marker on window survives only if the page does not navigate.
    page.evaluate("window.__stillHere = true")

    # The whole check-in with the keyboard: type the value, Tab to confidence and note, Enter on the button.
    row.get_by_label(re.compile("^Value")).focus()
    page.keyboard.type(format(key_result.target_value.normalize(), "f"))
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("8")
    page.keyboard.press("Tab")
    page.keyboard.type("Nådde målet <i>i dag</i>")
    page.keyboard.press("Tab")
    expect(row.get_by_role("button", name="Check in")).to_be_focused()
    page.keyboard.press("Enter")

    expect(row.get_by_text("Checked in this week")).to_be_visible()
    expect(bar).to_have_attribute("aria-valuenow", "100")
    assert before_progress != "100"
    expect(page.locator("#checkin-counter")).to_contain_text(f"{checked_before + 1} of {total}")
    # Focus stays in the row, so a keyboard user carries on from where they were.
    expect(row.get_by_role("button", name="Check in")).to_be_focused()
    assert page.evaluate("window.__stillHere") is True
    key_result.refresh_from_db()
    assert key_result.current_value == key_result.target_value
    assert key_result.confidence == 8


def test_a_non_numeric_value_shows_an_error_in_place(demo, live_server, page, log_in):
    log_in(page, "member")
    page.goto(f"{live_server.url}/")
    key_result = _unchecked_key_result()
    row = page.locator(f"#kr-{key_result.pk}")
    page.evaluate("window.__stillHere = true")
    row.get_by_label(re.compile("^Value")).fill("mange")
    row.get_by_label("Confidence").fill("6")
    row.get_by_role("button", name="Check in").click()

    expect(row.get_by_role("alert")).to_contain_text("Enter a number.")
    assert page.evaluate("window.__stillHere") is True
    expect(row.get_by_text("Not checked in this week")).to_be_visible()
    before = key_result.current_value
    key_result.refresh_from_db()
    assert key_result.current_value == before


def test_initiative_status_changes_inline(demo, live_server, page, log_in):
    log_in(page, "member")
    page.goto(f"{live_server.url}/")
    row = page.locator(".initiative-row").filter(has=page.get_by_role("combobox")).first
    row_id = row.get_attribute("id")
    row.get_by_role("combobox").select_option("dropped")
    row.get_by_role("button", name="Update status").click()
    expect(page.locator(f"#{row_id} .initiative-status")).to_have_text("dropped")
    expect(page.locator(f"#{row_id}").get_by_role("status")).to_have_text("Saved.")


def test_checking_in_works_without_javascript(demo, live_server, new_page, log_in):
    page = new_page(scripts=False)
    log_in(page, "member")
    page.goto(f"{live_server.url}/")
    key_result = _unchecked_key_result()
    row = page.locator(f"#kr-{key_result.pk}")
    row.get_by_label(re.compile("^Value")).fill(format(key_result.target_value.normalize(), "f"))
    row.get_by_label("Confidence").fill("9")
    with page.expect_navigation():
        row.get_by_role("button", name="Check in").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("status").first).to_contain_text(f"Checked in on “{key_result.title}”")
    expect(page.locator(f"#kr-{key_result.pk}").get_by_text("Checked in this week")).to_be_visible()
