"""A real organisation starts in the browser, from an EMPTY database: bootstrap → the first organisation admin
follows the one-time link and sets a password → builds two teams and a tertial → starts planning and
activates it. Never /admin/. axe-core on every page of the way; the Organisation page fits 360 px."""

from __future__ import annotations

import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from objectives import periods
from objectives.models import Cycle
from teams.models import Team

pytestmark = pytest.mark.e2e
PASSWORD = "Et-langt-passord-2027"


def test_an_organisation_sets_itself_up(
    transactional_db, live_server, new_page, screenshot, assert_accessible
):
    assert not Team.objects.exists() and not get_user_model().objects.exists()
    out = StringIO()
    call_command("bootstrap", org="Norsk Fagforbund", admin_email="kari@fagforbund.no", stdout=out)
    link = re.search(r"(https?://\S+/accounts/reset/\S+/)", out.getvalue()).group(1)
    assert link in mail.outbox[0].body

    page = new_page()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    # The one-time link (SITE_URL points elsewhere in tests; its path is what matters).
    page.goto(live_server.url + urlsplit(link).path)
    page.fill("#id_new_password1", PASSWORD)
    page.fill("#id_new_password2", PASSWORD)
    assert_accessible(page)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "kari")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")

    # The Organisation page, from the navigation.
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisation")
    top = Team.objects.get()
    row = page.locator(f"#team-{top.pk}")
    expect(row).to_contain_text("Norsk Fagforbund")
    assert_accessible(page)

    # Two teams, inline over htmx: the form opens in the row, the tree re-renders in place.
    for name in ("Kurs og rådgiving", "Medlemsservice"):
        page.locator(f"#team-{top.pk}").get_by_role("link", name="Add a sub-team to Norsk Fagforbund").click()
        panel = page.locator(f"#team-{top.pk}-panel")
        panel.get_by_label("Name").fill(name)
        assert_accessible(page)
        panel.get_by_role("button", name="Create team").click()
        expect(page.get_by_role("status")).to_contain_text(f"Created the team “{name}”.")
    assert set(top.children.values_list("slug", flat=True)) == {"kurs-og-radgiving", "medlemsservice"}
    expect(page.locator("#organisation-tree")).to_contain_text("Medlemsservice")

    # A move below its own sub-team is refused with the message, in the row.
    course = Team.objects.get(slug="kurs-og-radgiving")
    page.locator(f"#team-{course.pk}").get_by_role("link", name="Move Kurs og rådgiving").click()
    panel = page.locator(f"#team-{course.pk}-panel")
    panel.get_by_label("New parent team").fill("medlems")
    panel.get_by_role("button", name=re.compile("Medlemsservice")).click()
    expect(panel.get_by_label("New parent team")).to_have_value("Medlemsservice")
    page.locator(f"#team-{course.pk}-panel").get_by_role("button", name="Move").click()
    expect(page.locator("#organisation-tree .message[role=status]")).to_contain_text(
        "Moved “Kurs og rådgiving” below “Medlemsservice”."
    )
    screenshot(page, "organisation")

    # Phones: no horizontal scroll at 360 px.
    page.set_viewport_size({"width": 360, "height": 800})
    # Anything wider than the screen, named for the failure message.
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 361)"
        ".map(e => e.tagName + ' ' + e.textContent.trim().slice(0, 20))"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide[:15]
    page.set_viewport_size({"width": 1280, "height": 900})

    # A tertial of this year, created from the preset, then started and activated.
    tertial = periods.containing(periods.TERTIAL, timezone.localdate())
    page.get_by_role("navigation", name="Organisation").get_by_role("link", name="Cycles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cycles")
    assert_accessible(page)
    page.get_by_label("Period").select_option(tertial.name.split()[0])
    page.get_by_label("Year").fill(str(tertial.start.year))
    page.get_by_role("button", name="Create cycle").click()
    expect(page.get_by_text(f"Created {tertial.name}.")).to_be_visible()
    cycle = Cycle.objects.get(name=tertial.name)
    assert cycle.status == Cycle.Status.UPCOMING

    page.locator(f"#cycle-{cycle.pk}").get_by_role("link", name=f"Start planning {tertial.name}").click()
    expect(page.get_by_text("The goal workshops open for 3 teams")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Start planning").click()
    expect(page.get_by_text(f"{tertial.name} is in planning")).to_be_visible()

    page.locator(f"#cycle-{cycle.pk}").get_by_role("link", name=f"Activate {tertial.name}").click()
    expect(page.get_by_text("0 published objectives become active.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text(f"{tertial.name} is active")).to_be_visible()
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.ACTIVE
    # The next tertial is suggested, prefilled.
    expect(page.get_by_role("region", name="Next cycle")).to_contain_text("Suggested:")
    assert_accessible(page)
    screenshot(page, "cycles")
    assert "/admin/" not in page.url
