"""In a real browser: a lead comments inline on the team page, the owner replies inline, each sees the other's
words as unread on My week; and a Norwegian member checks in with a decimal comma."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from checkins.models import Feedback
from objectives.models import Cycle, KeyResult, Objective
from okrhub.demo import COURSES_SLUG

pytestmark = pytest.mark.e2e


def _members_key_result() -> KeyResult:
    return (
        KeyResult.objects.in_progress()
        .filter(
            owner__username="member",
            kind__in=[KeyResult.Kind.INCREASE_TO, KeyResult.Kind.DECREASE_TO],
            objective__cycle__status=Cycle.Status.ACTIVE,
            objective__status=Objective.Status.ACTIVE,
        )
        .order_by("id")
        .first()
    )


def test_a_lead_comments_inline_and_the_owner_replies_inline(
    demo, live_server, new_page, log_in, screenshot, assert_accessible
):
    key_result = _members_key_result()
    team_page = f"{live_server.url}/teams/{COURSES_SLUG}/"

    lead = log_in(new_page(), "leader")
    lead.goto(team_page)
    lead.evaluate("window.__stillHere = true")
    item = lead.locator(f"#kr-{key_result.pk}")
    item.locator("details.feedback-panel > summary").click()
    item.get_by_label("Feedback to the owner").fill("Hva trenger du fra meg denne uka?")
    item.get_by_role("button", name="Send feedback").click()
    panel = lead.locator(f"#kr-{key_result.pk}-feedback")
    expect(panel).to_contain_text("Hva trenger du fra meg denne uka?")
    assert lead.evaluate("window.__stillHere") is True  # swapped in place over htmx, no page load
    comment = Feedback.objects.get(body="Hva trenger du fra meg denne uka?")
    assert_accessible(lead)

    owner = log_in(new_page(), "member")
    owner.goto(f"{live_server.url}/")
    expect(owner.locator(f"#unread-feedback-{comment.pk}")).to_contain_text("Hva trenger du fra meg")
    owner.goto(team_page)
    owner.evaluate("window.__stillHere = true")
    thread = owner.locator(f"#feedback-thread-{comment.pk}")
    thread.get_by_label("Reply").fill("En time med Kari på torsdag.")
    thread.get_by_role("button", name="Send reply").click()
    expect(owner.locator(f"#feedback-thread-{comment.pk}")).to_contain_text("Reply from Jonas Haugen")
    assert owner.evaluate("window.__stillHere") is True
    screenshot(owner, "feedback-thread")
    assert_accessible(owner)
    reply = Feedback.objects.get(parent=comment)
    comment.refresh_from_db()
    assert comment.read_at is not None  # replying shows the owner read it

    # The reply is unread for the lead, on My week, and marked read there in place.
    lead.goto(f"{live_server.url}/")
    unread = lead.locator(f"#unread-feedback-{reply.pk}")
    expect(unread).to_contain_text("En time med Kari på torsdag.")
    unread.get_by_role("button", name="Mark as read").click()
    expect(lead.locator(f"#unread-feedback-{reply.pk}")).to_have_count(0)
    reply.refresh_from_db()
    assert reply.read_at is not None


def test_a_norwegian_member_checks_in_with_a_decimal_comma(
    demo, live_server, page, log_in, assert_accessible
):
    key_result = _members_key_result()
    log_in(page, "member", language="nb")
    page.goto(f"{live_server.url}/key-results/{key_result.pk}/")
    field = page.locator("#kr-checkin").get_by_label("Verdi", exact=False).first
    assert field.get_attribute("inputmode") == "decimal" and field.get_attribute("type") == "text"
    field.fill("12,5")
    page.locator("#kr-checkin").get_by_role("button", name="Sjekk inn").click()
    page.wait_for_load_state("networkidle")
    key_result.refresh_from_db()
    assert key_result.current_value == Decimal("12.5")
    expect(page.locator("#kr-summary")).to_contain_text("12,5")
    assert_accessible(page)
