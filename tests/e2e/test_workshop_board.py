"""Two people on one workshop board: one adds a key result, the other sees it appear within the refresh
interval while keeping their own half-typed form."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from objectives.models import Cycle
from okrhub.demo import COURSES_SLUG

pytestmark = pytest.mark.e2e

REFRESH_MS = 5_000  # the promise: others see changes within 5 seconds


def test_two_participants_draft_on_one_board(
    demo, live_server, new_page, log_in, screenshot, assert_accessible
):
    planning = Cycle.objects.get(status=Cycle.Status.PLANNING)
    url = f"{live_server.url}/workshops/{COURSES_SLUG}/{planning.pk}/"

    writer = log_in(new_page(), "member")
    watcher = log_in(new_page(), "kari")
    writer.goto(url)
    watcher.goto(url)
    expect(watcher.get_by_role("heading", level=1)).to_contain_text("Goal workshop")
    assert_accessible(watcher)

    # The watcher is halfway through their own key result and has a draft objective title typed.
    watcher.get_by_label("Objective", exact=True).first.fill("Et halvferdig mål")
    watcher.locator("#id_kr-title").fill("Øke antall påmeldte fra")
    watcher.locator("#id_kr-start_value").fill("12")
    watcher.locator("#id_kr-title").focus()
    # The live coach already has something to say about the half-typed key result.
    expect(watcher.locator("#new-kr-coach")).to_contain_text("Not measurable")

    # The writer adds a key result to the first draft objective.
    writer.locator("#id_kr-title").fill("Øke antall webinarer fra 4 til 10")
    writer.locator("#id_kr-kind").select_option("increase_to")
    writer.locator("#id_kr-unit").fill("webinarer")
    writer.locator("#id_kr-start_value").fill("4")
    writer.locator("#id_kr-target_value").fill("10")
    writer.get_by_role("button", name="Add key result").click()
    expect(writer.locator("#board-list")).to_contain_text("Øke antall webinarer fra 4 til 10")
    expect(writer.locator("#id_kr-title")).to_have_value("")  # the writer's form is ready for the next one

    # The watcher sees it appear, and nothing they typed is lost.
    expect(watcher.locator("#board-list")).to_contain_text(
        "Øke antall webinarer fra 4 til 10", timeout=REFRESH_MS
    )
    expect(watcher.locator("#id_kr-title")).to_have_value("Øke antall påmeldte fra")
    expect(watcher.locator("#id_kr-start_value")).to_have_value("12")
    expect(watcher.get_by_label("Objective", exact=True).first).to_have_value("Et halvferdig mål")
    expect(watcher.locator("#id_kr-title")).to_be_focused()
    # The coach flags the new key result's missing owner beside it.
    new_kr = watcher.locator("#board-list li.board-kr", has_text="Øke antall webinarer fra 4 til 10")
    expect(new_kr).to_contain_text("No owner")
    assert_accessible(watcher)
    screenshot(watcher, "workshop-board")

    # A new objective from the writer becomes a choice in the watcher's key result form, keeping their choice.
    chosen = watcher.locator("#id_kr-objective").input_value()
    writer.locator("#id_objective-title").fill("Flere deltakere fra regionene")
    writer.get_by_role("button", name="Add objective").click()
    expect(
        watcher.locator("#id_kr-objective option", has_text="Flere deltakere fra regionene")
    ).to_have_count(1, timeout=REFRESH_MS)
    expect(watcher.locator("#id_kr-objective")).to_have_value(chosen)
    expect(watcher.locator("#id_kr-title")).to_have_value("Øke antall påmeldte fra")
