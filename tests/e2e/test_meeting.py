"""Two participants run a whole team meeting: the agenda, an inline check-in, the presenter view by keyboard,
a note, a decision, an action that becomes an initiative, and the end → one email per member through the
Celery path (eager here; tests/meetings/test_minutes_worker.py runs the same tasks on a real worker)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings.models import Meeting, MeetingAction
from objectives.models import Initiative
from okrhub.demo import COURSES_SLUG
from teams.models import Membership

pytestmark = pytest.mark.e2e

# The agenda polls every 3 s (as the workshop board); the rest is the request's time on a busy machine.
REFRESH_MS = 8_000


def test_two_participants_run_a_whole_meeting(
    demo, live_server, new_page, log_in, celery_eager, mailoutbox, screenshot, assert_accessible
):
    Meeting.objects.filter(team__slug=COURSES_SLUG, ended_at=None).delete()  # the demo's open one: start anew
    list_url = f"{live_server.url}/teams/{COURSES_SLUG}/meetings/"

    host = log_in(new_page(), "member")
    guest = log_in(new_page(), "kari")
    host.goto(list_url)
    host.get_by_role("button", name="Start this week's meeting").click()
    expect(host.get_by_role("heading", level=1)).to_contain_text("Meeting of Kurs og arrangementer")
    guest.goto(list_url)
    guest.locator("#meeting-open").click()
    expect(guest.locator("#agenda-attention")).to_contain_text("Needs attention")
    assert_accessible(host)

    # The guest is halfway through a decision while the host works.
    guest.locator("#id_decision-body").fill("Vi flytter fagdagen")

    # An inline check-in on a key result without one this week: My week's form, the row updates in place.
    row = host.locator("#agenda-unchecked li.kr-row", has=host.locator("input[inputmode=decimal]")).first
    row_id = row.get_attribute("id")
    row.locator("input[inputmode=decimal]").fill("3")
    row.locator("input[name=confidence]").fill("6")
    row.get_by_role("button", name="Check in").click()
    expect(host.locator(f"#{row_id}")).to_contain_text("Checked in this week")

    # A note on a key result, seen live by the guest, whose half-typed decision stays as it was.
    host.locator("#id_note-key_result").select_option(index=1)
    host.locator("#id_note-body").fill("Nyhetsbrevet virket")
    host.locator("#note-submit").click()
    expect(host.locator("#meeting-notes")).to_contain_text("Nyhetsbrevet virket")
    expect(host.locator("#id_note-body")).to_have_value("")
    expect(guest.locator("#meeting-notes")).to_contain_text("Nyhetsbrevet virket", timeout=REFRESH_MS)
    expect(guest.locator("#id_decision-body")).to_have_value("Vi flytter fagdagen")

    # The guest's decision, the host's action: an initiative with owner and due date on its key result.
    guest.locator("#id_decision-body").fill("Vi flytter fagdagen til november")
    guest.locator("#decision-submit").click()
    expect(host.locator("#meeting-decisions")).to_contain_text("til november", timeout=REFRESH_MS)
    due = timezone.localdate() + dt.timedelta(days=10)
    host.locator("#id_action-key_result").select_option(index=1)
    host.locator("#id_action-title").fill("Ringe regionkontorene")
    host.locator("#id_action-owner").select_option(label="Ole Hansen")
    host.locator("#id_action-due_date").fill(due.isoformat())
    host.locator("#action-submit").click()
    expect(host.locator("#meeting-actions")).to_contain_text("Ringe regionkontorene")
    initiative = Initiative.objects.get(title="Ringe regionkontorene")
    assert initiative.owner.username == "ole" and initiative.due_date == due and initiative.key_result_id
    assert MeetingAction.objects.filter(initiative=initiative).exists()
    screenshot(host, "meeting-agenda")

    # The presenter view, by keyboard and without page reloads.
    host.locator("#meeting-present").click()
    host.wait_for_url("**/present/")
    # The keys are meetings.js's, the swap htmx's: both run once the new page has loaded (before that, the
    # links still work, as full page loads).
    host.wait_for_function("document.readyState === 'complete' && window.htmx !== undefined")
    expect(host.locator("#slide-progress")).to_contain_text("1 of")
    host.evaluate("window.__stillTheSamePage = true")
    host.keyboard.press("ArrowRight")
    expect(host.locator("#slide-progress")).to_contain_text("2 of")
    host.keyboard.press("ArrowRight")
    expect(host.locator("#slide-progress")).to_contain_text("3 of")
    host.keyboard.press("ArrowLeft")
    expect(host.locator("#slide-progress")).to_contain_text("2 of")
    assert host.evaluate("window.__stillTheSamePage === true")
    # Two keys at once: the second waits for the first slide, rather than loading the whole page.
    host.keyboard.press("ArrowRight")
    host.keyboard.press("ArrowRight")
    expect(host.locator("#slide-progress")).to_contain_text("4 of")
    assert host.evaluate("window.__stillTheSamePage === true")
    host.wait_for_url("**/present/?n=4")  # shareable
    assert_accessible(host)
    screenshot(host, "meeting-presenter")

    # End: the minutes are frozen and each member gets one email.
    host.locator("a", has_text="Back to the agenda").click()
    host.wait_for_url(lambda url: not url.split("?")[0].endswith("/present/"))
    host.get_by_role("button", name="End meeting").click()
    expect(host.get_by_role("heading", level=1)).to_contain_text("Minutes")
    expect(host.locator("#minutes-decisions")).to_contain_text("til november")
    expect(host.locator("#minutes-actions")).to_contain_text("Ringe regionkontorene")
    members = set(
        Membership.objects.filter(team__slug=COURSES_SLUG, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    assert sorted(m.to[0] for m in mailoutbox) == sorted(members)
    assert all("Nyhetsbrevet virket" in m.body for m in mailoutbox)
