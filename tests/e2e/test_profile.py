"""The profile page in a real browser: language choice, the API token and replacing it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from teams.models import Profile

pytestmark = pytest.mark.e2e

ROTATE = "form:has(input[name=action][value=rotate_token]) button[type=submit]"
SAVE = "form:has(input[name=action][value=settings]) button[type=submit]"


def test_a_member_changes_language_and_replaces_the_api_token(
    demo, live_server, page, log_in, screenshot, assert_accessible
):
    log_in(page, "member")
    page.goto(f"{live_server.url}/accounts/profile/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Profile")

    page.get_by_role("region", name="Language and email").get_by_label("Language").select_option("en")
    page.click(SAVE)
    expect(page.get_by_text("Your settings were saved.")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert Profile.objects.get(user__username="member").language == "en"

    if page.locator("#api-token").count() == 0:
        # The demo may not have given the member a token yet: the same button creates the first one.
        page.click(ROTATE)
    token = page.locator("#api-token")
    expect(token).to_be_visible()
    before = token.input_value()
    assert len(before) == 40
    assert_accessible(page)
    screenshot(page, "profile")

    page.click(ROTATE)
    expect(page.get_by_text("Your API token was replaced.")).to_be_visible()
    after = page.locator("#api-token").input_value()
    assert len(after) == 40 and after != before

    # Back to the site default: the pages turn Norwegian at once.
    page.locator("#id_language").select_option("")
    page.click(SAVE)
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.locator("#language-select")).to_have_value("nb")
    expect(page.locator("#id_language")).to_have_value("")
    assert Profile.objects.get(user__username="member").language == ""
    assert_accessible(page)
