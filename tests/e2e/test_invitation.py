"""Joining in a real browser: an admin invites a new colleague, who opens the link from the email, chooses a
name and password, lands on My week and checks in. axe-core on every page of it."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from okrhub.demo import COURSES_SLUG
from teams.models import Invitation, Membership

pytestmark = pytest.mark.e2e


def test_an_invited_member_sets_a_password_and_checks_in_on_my_week(
    demo, live_server, new_page, log_in, screenshot, assert_accessible, celery_eager
):
    mail.outbox.clear()
    admin = log_in(new_page(), "admin")
    admin.goto(f"{live_server.url}/organisation/people/")
    expect(admin.get_by_role("heading", level=1)).to_have_text("People")
    admin.get_by_label("Search by name, username or email").fill("kari")
    admin.get_by_role("button", name="Search").click()
    expect(admin.locator("tbody tr")).to_have_count(1)
    assert_accessible(admin)

    admin.get_by_role("link", name="Invite people").first.click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Invite people")
    assert_accessible(admin)
    # The team by the keyboard: typed, ↓ to the first match, ↑ back to the field, ↓ and Enter to choose it.
    field = admin.get_by_label("Team", exact=True)
    field.press_sequentially("kurs og")
    match = admin.locator("#id_team-results").get_by_role("button", name="Kurs og arrangementer")
    expect(match).to_be_visible()
    expect(admin.locator("#id_team-status")).to_contain_text("team matches “kurs og”")
    assert "<option" not in admin.locator("form[enctype]").inner_html().split('name="role"', 1)[0]
    field.press("ArrowDown")
    expect(match).to_be_focused()
    admin.keyboard.press("ArrowUp")
    expect(field).to_be_focused()
    field.press("ArrowDown")
    admin.keyboard.press("Enter")
    expect(field).to_be_focused()
    expect(field).to_have_value("Kurs og arrangementer")
    expect(admin.locator("#id_team-status")).to_have_text("“Kurs og arrangementer” chosen.")
    expect(admin.locator("input[name=team]")).to_have_value(COURSES_SLUG)
    assert_accessible(admin)
    admin.get_by_label("Email addresses").fill("nina.ny@example.org")
    admin.get_by_role("button", name="Send invitations").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Pending invitations")
    expect(admin.locator("tbody")).to_contain_text("nina.ny@example.org")
    assert_accessible(admin)
    screenshot(admin, "invitations")

    # The email's link, as the invitee receives it.
    (message,) = [m for m in mail.outbox if m.to == ["nina.ny@example.org"]]
    link = re.search(r"https?://\S+/invitations/\S+/", message.body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)

    invitee = new_page()
    invitee.goto(f"{live_server.url}{path}")
    invitee.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    invitee.goto(f"{live_server.url}{path}")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Join Kurs og arrangementer")
    assert_accessible(invitee)
    invitee.get_by_label("First name").fill("Nina")
    invitee.get_by_label("Last name").fill("Ny")
    invitee.get_by_label("New password", exact=True).fill("kursdeltaker-2027")
    invitee.get_by_label("New password confirmation").fill("kursdeltaker-2027")
    invitee.get_by_role("button", name="Create my account").click()

    expect(invitee.get_by_role("heading", level=1)).to_contain_text("My week")
    expect(invitee.get_by_text("Welcome to Kurs og arrangementer!")).to_be_visible()
    assert Membership.objects.filter(user__email="nina.ny@example.org", team__slug=COURSES_SLUG).exists()

    # A new member owns nothing yet: they check in on what the team owns.
    invitee.get_by_label("Also show key results and initiatives my teammates own").check()
    invitee.locator("#my-week-filter").get_by_role("button", name="Show").click()
    row = invitee.locator("[id^=kr-]:has(button:text('Check in'))").first
    row.get_by_label(re.compile("^Value")).fill("3")
    row.get_by_label("Confidence").fill("7")
    row.get_by_role("button", name="Check in").click()
    expect(row.get_by_text("Checked in this week")).to_be_visible()
    assert_accessible(invitee)
    screenshot(invitee, "invited-member-my-week")

    # The link is used up: opening it again offers nothing.
    again = new_page()
    again.goto(f"{live_server.url}{path}")
    expect(again.get_by_role("alert")).to_be_visible()
    expect(again.locator("input[type=password]")).to_have_count(0)
    assert_accessible(again)
    assert Invitation.objects.get(email="nina.ny@example.org").accepted_at is not None


PHONE = {"width": 360, "height": 800}


def _fits_a_phone(page) -> None:
    # The page's own content (the shared site header is the base layout's business).
    width = page.evaluate("document.querySelector('main').scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways at 360 px ({width} px wide)"


def test_the_people_and_password_pages_work_on_a_phone_and_pass_axe(
    demo, live_server, new_page, log_in, screenshot, assert_accessible
):
    visitor = new_page()
    visitor.set_viewport_size(PHONE)
    visitor.goto(f"{live_server.url}/accounts/login/")
    visitor.context.add_cookies([{"name": "django_language", "value": "nb", "url": live_server.url}])
    visitor.goto(f"{live_server.url}/accounts/login/")
    visitor.get_by_role("link", name="Glemt passordet?").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Glemt passordet?")
    _fits_a_phone(visitor)
    assert_accessible(visitor)
    visitor.get_by_label("E-post").fill("ingen@example.org")
    visitor.get_by_role("button", name="Send meg en lenke").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Sjekk e-posten din")
    _fits_a_phone(visitor)
    assert_accessible(visitor)

    admin = log_in(new_page(), "admin")
    admin.set_viewport_size(PHONE)
    for path, heading in [
        ("/organisation/people/", "People"),
        ("/organisation/invitations/", "Pending invitations"),
        ("/organisation/invitations/new/", "Invite people"),
        ("/accounts/password_change/", "Change password"),
        ("/accounts/profile/", "Profile"),
    ]:
        admin.goto(f"{live_server.url}{path}")
        expect(admin.get_by_role("heading", level=1)).to_have_text(heading)
        _fits_a_phone(admin)
        assert_accessible(admin)
    screenshot(admin, "people-phone")
    admin.goto(f"{live_server.url}/organisation/people/?q=ole")
    admin.get_by_role("link", name=re.compile("^Anonymise")).first.click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text("Anonymise")
    _fits_a_phone(admin)
    assert_accessible(admin)


def test_the_invitation_team_is_chosen_without_javascript(demo, live_server, new_page, log_in):
    # (No axe-core here: it is a script. The walk above checks the form with its scripts.)
    page = new_page(scripts=False, width=360, height=800)
    log_in(page, "admin")
    page.goto(f"{live_server.url}/organisation/invitations/new/")
    page.get_by_label("Team", exact=True).fill("ar")
    page.get_by_label("Email addresses").fill("uten.skript@example.org")
    page.get_by_role("button", name="Send invitations").click()
    # Several teams match: they come back as radio buttons, each with its path; nothing was sent.
    expect(page.get_by_role("alert").first).to_contain_text("Several teams match “ar”")
    assert not Invitation.objects.filter(email="uten.skript@example.org").exists()
    choices = page.get_by_role("group", name="Choose the team")
    expect(choices.get_by_role("radio")).not_to_have_count(0)
    choices.get_by_label(re.compile("Karriere og rådgivning")).check()
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pending invitations")
    invitation = Invitation.objects.get(email="uten.skript@example.org")
    assert invitation.team.name == "Karriere og rådgivning"


def test_several_matches_offered_as_radio_buttons_are_accessible(
    demo, live_server, new_page, log_in, assert_accessible
):
    page = log_in(new_page(), "admin")
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_server.url}/organisation/invitations/new/")
    field = page.get_by_label("Team", exact=True)
    field.fill("ar")
    page.get_by_label("Email addresses").fill("flere@example.org")
    page.get_by_role("button", name="Send invitations").click()
    choices = page.get_by_role("group", name="Choose the team")
    expect(choices.get_by_role("radio").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    # Typing again forgets the offered choices and searches as usual.
    page.get_by_label("Team", exact=True).press_sequentially("x")
    expect(choices).to_have_count(0)
    assert not Invitation.objects.filter(email="flere@example.org").exists()
