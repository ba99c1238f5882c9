"""The dashboard and the team page in a real browser: the scope changes over htmx, the URL follows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from okrhub.demo import COURSES_SLUG

pytestmark = pytest.mark.e2e


def test_the_leader_narrows_the_dashboard_to_one_team_without_a_reload(
    demo, live_server, page, log_in, screenshot, assert_accessible
):
    log_in(page, "leader")
    page.goto(f"{live_server.url}/dashboards/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    rows = page.locator("#team-table tbody tr")
    teams_in_organisation = rows.count()
    assert teams_in_organisation > 1
    assert_accessible(page)
    # A marker on window survives only if the page does not navigate.
    page.evaluate("window.__stillHere = true")

    # The team picker: part of a name, the matches under the field, chosen with the keyboard.
    field = page.get_by_role("searchbox", name="Team")
    field.press_sequentially("ar")
    matches = page.locator("#team-picker-results a")
    expect(matches).to_have_count(2)  # Karriere og rådgivning, Kurs og arrangementer (in name order)
    expect(page.locator("#team-picker-status")).to_have_text("2 teams match “ar”.")
    expect(matches.nth(1)).to_have_accessible_name(
        "Norsk Kompetanseforbund › Kompetansesenteret › Kurs og arrangementer"
    )
    assert_accessible(page)
    field.press("ArrowDown")
    expect(matches.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(matches.nth(1)).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/dashboards/\?.*scope={COURSES_SLUG}"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Kurs")
    assert page.evaluate("window.__stillHere") is True
    expect(page.locator("#dashboard-status")).to_contain_text("Showing Kurs og arrangementer")
    # The field shows the scope chosen and has the keyboard again; the breadcrumbs lead back up.
    expect(field).to_have_value("Kurs og arrangementer")
    expect(field).to_be_focused()
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Kompetansesenteret")
    expect(page.get_by_role("heading", name="Needs attention")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "dashboard")

    # The back button brings the organisation back, still without a reload.
    page.go_back()
    expect(page).not_to_have_url(re.compile("scope="))
    expect(rows).to_have_count(teams_in_organisation)
    assert page.evaluate("window.__stillHere") is True


def test_the_team_picker_works_without_javascript(demo, live_server, new_page, log_in):
    # (No axe-core here: it is a script. The page walk checks the dashboard with its scripts.)
    page = new_page(scripts=False, width=360, height=800)
    log_in(page, "leader")
    page.goto(f"{live_server.url}/dashboards/")
    field = page.get_by_label("Team", exact=True)
    # Several matches: the dashboard lists them to choose from, each under its path.
    field.fill("ar")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/dashboards/\?.*q=ar"))
    expect(page.locator("#team-picker-status")).to_have_text("2 teams match “ar”.")
    page.get_by_role("link", name="Kompetansesenteret › Karriere og rådgivning").click()
    expect(page).to_have_url(re.compile(r"scope=karriere-og-radgivning"))
    expect(page.locator("#team-table tbody tr")).to_have_count(1)
    expect(field).to_have_value("Karriere og rådgivning")

    # One match: straight to that team.
    field.fill("kurs og")
    field.press("Enter")
    expect(page.locator("#dashboard-title")).to_contain_text("Kurs og arrangementer")
    expect(page.locator("#team-table tbody tr")).to_have_count(1)

    # An empty field: the whole organisation again.
    field.fill("")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#dashboard-title")).to_contain_text("Whole organisation")


def test_the_team_page_from_the_teams_menu(demo, live_server, page, log_in, screenshot, assert_accessible):
    log_in(page, "leader")
    page.goto(f"{live_server.url}/teams/")
    page.get_by_role("link", name=re.compile("^Kurs")).first.click()
    expect(page).to_have_url(re.compile(rf"/teams/{COURSES_SLUG}/$"))
    expect(page.get_by_role("heading", level=2, name="Members")).to_be_visible()
    expect(page.get_by_role("progressbar").first).to_be_visible()
    expect(page.locator("svg.sparkline").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "team-page")


def test_the_dashboard_prints_without_controls(demo, live_server, page, log_in, screenshot):
    log_in(page, "leader")
    page.goto(f"{live_server.url}/dashboards/")
    expect(page.locator("#dashboard-filters")).to_be_visible()
    page.emulate_media(media="print")
    # The filters, export links, navigation and pagination are for the screen; the figures are for paper.
    for selector in ("#dashboard-filters", ".dashboard-actions", ".site-header"):
        expect(page.locator(selector)).to_be_hidden()
    expect(page.locator("#team-table")).to_be_visible()
    expect(page.locator("#needs-attention")).to_be_visible()
    screenshot(page, "dashboard-print")


def test_a_lead_adds_and_removes_a_member_on_the_team_page_in_place(demo, live_server, page, log_in):
    log_in(page, "leader")
    page.goto(f"{live_server.url}/teams/{COURSES_SLUG}/")
    page.evaluate("window.__stillHere = true")
    members = page.locator("#members tbody tr")
    before = members.count()

    page.get_by_label("Username or email").fill("thea")
    page.get_by_label("Role", exact=True).select_option("member")
    page.get_by_role("button", name="Add member").click()
    expect(members).to_have_count(before + 1)
    expect(page.locator("#members")).to_contain_text("Thea Kristiansen was added")

    page.get_by_label("Username or email").fill("nobody-here")
    page.get_by_role("button", name="Add member").click()
    expect(page.locator("#members")).to_contain_text("No active user has this username or email.")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove Thea Kristiansen").click()
    expect(members).to_have_count(before)
    assert page.evaluate("window.__stillHere") is True
