"""Every page, as member, section leader, OKR ambassador and organisation admin, at 360 and 1280 px wide.

On each page: nothing is wider than the window, axe-core finds nothing serious or critical, the browser
reports no Content-Security-Policy violation, help text does not cover its input, and (at 360 px) buttons,
menus and selects are at least 44 × 44 px. A full-page screenshot of each page that fails lands in
``test-artifacts/pages/`` (CI keeps it as an artefact). The pages come from the URL resolver and the demo
organisation (tests/e2e/walk.py), so a page added later is walked without editing this file.
"""

from __future__ import annotations

import re

import pytest

from objectives.models import Cycle
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.walk import walk

pytestmark = pytest.mark.e2e

WIDTHS = (1280, 360)
# Third-party pages: checked for width and the security policy, not for axe-core and touch targets (the
# accessibility statement names them as a known gap).
THIRD_PARTY = ("/api/v1/docs/",)

# Records Content-Security-Policy violations in every document the page opens, before any script runs.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
      `at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""

# Layout problems the eye sees at once; returns a list of sentences.
LAYOUT_PROBLEMS = """
(narrow) => {
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className
      ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth > width) {
    const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(p).overflowX)) return true;
    } return false; };
    const wide = [...document.body.querySelectorAll("*")]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && el.checkVisibility() && !scrolls(el))
      .slice(0, 6).map(name);
    const actual = document.documentElement.scrollWidth;
    problems.push(`page is ${actual}px wide in a ${width}px window: ${wide.join(", ")}`);
  }
  for (const help of document.querySelectorAll("input + small, select + small, textarea + small")) {
    const field = help.previousElementSibling;
    if (!help.checkVisibility() || !field.checkVisibility()) continue;
    // Each line box of the help text against the field (an inline help text may wrap around it).
    const b = field.getBoundingClientRect();
    const covers = (a) =>
      a.top < b.bottom - 1 && a.bottom > b.top + 1 && a.left < b.right - 1 && a.right > b.left + 1;
    if ([...help.getClientRects()].some(covers)) {
      problems.push(`help text ${name(help)} overlaps ${name(field)}`);
    }
  }
  if (!narrow) {
    // On a desktop the tables fit: a scroll region that scrolls there cuts the table off.
    for (const region of document.querySelectorAll(".table-scroll")) {
      if (region.scrollWidth > region.clientWidth + 1) {
        problems.push(`${name(region)} scrolls sideways (${region.scrollWidth} > ${region.clientWidth} px)`);
      }
    }
  }
  if (narrow) {
    const targets = "button, [role=button], input[type=submit], select, summary, .site-menu a";
    for (const el of document.querySelectorAll(targets)) {
      if (!el.checkVisibility()) continue;
      const box = el.getBoundingClientRect();
      if (box.width < 44 || box.height < 44) {
        problems.push(`touch target ${name(el)} "${el.textContent.trim().slice(0, 30)}" is ` +
          `${Math.round(box.width)}×${Math.round(box.height)} px`);
      }
    }
  }
  return problems;
}
"""


# After a load or a resize: two frames (style and layout done, and a part htmx loads on "revealed" or
# "intersect" asked for), then until htmx has nothing in flight or being swapped in, so a part loaded by
# hx-trigger="load" is there before the checks. Not "networkidle": that always waits half a second of
# silence, and a polling page need never be quiet.
SETTLE = """
async () => {
  const frame = () => new Promise((done) => requestAnimationFrame(done));
  await frame();
  await frame();
  const busy = () => document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling");
  for (const until = performance.now() + 10000; busy(); await frame()) {
    if (performance.now() > until) return `htmx still busy after 10 s: ${busy().outerHTML.slice(0, 120)}`;
  }
  return null;
}
"""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


# The three roles of the issue, and the organisation admin for the pages only they see (cycles, people).
@pytest.mark.parametrize("username", ["member", "leader", "ambassador", "orgadmin"])
def test_every_page_fits_is_accessible_and_keeps_to_the_security_policy(
    username, demo, live_server, new_page, log_in
):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = new_page()
    page.context.add_init_script(RECORD_CSP_VIOLATIONS)
    log_in(page, username)
    failures: list[str] = []
    shots = ARTIFACTS / "pages"
    shots.mkdir(parents=True, exist_ok=True)

    def check(key: str, path: str) -> None:
        ours = not path.startswith(THIRD_PARTY)
        for width in WIDTHS:
            where = f"{path} ({key}, {width} px)"
            before = len(failures)
            page.set_viewport_size({"width": width, "height": 900})
            # Our pages are loaded once, at the first width: their layout is CSS (media queries apply on a
            # resize; the menu is a <details> the CSS opens on wide screens), and no script of theirs reads
            # the width. Swagger UI fetches its schema and lays itself out in JavaScript: loaded at each
            # width, until the network is quiet.
            if not ours:
                page.goto(live_server.url + path, wait_until="networkidle")
            else:
                if width == WIDTHS[0]:
                    page.goto(live_server.url + path, wait_until="load")
                if busy := page.evaluate(SETTLE):
                    failures.append(f"{where}: {busy}")
            failures.extend(
                f"{where}: {problem}" for problem in page.evaluate(LAYOUT_PROBLEMS, width < 600 and ours)
            )
            violations = axe.run(page).response["violations"] if ours else []
            failures.extend(
                f"{where}: axe {v['id']} ({v['impact']}) "
                + ", ".join(str(n["target"]) for n in v["nodes"][:3])
                for v in violations
                if v.get("impact") in ("serious", "critical")
            )
            # Read last (the browser reports a violation in a task of its own, after what caused it), and
            # taken out of the list: at the second width, what the resize caused (a background image of a
            # media query…).
            failures.extend(
                f"{where}: CSP {v}" for v in page.evaluate("(window.__cspViolations || []).splice(0)")
            )
            if len(failures) > before:  # a picture of what failed (every page's picture took minutes of CI)
                page.screenshot(path=str(shots / f"{username}-{width}-{_slug(key)}.png"), full_page=True)

    # The dashboard of every cycle (planning, active, closed): its team table differs by status.
    cycles = [f"/dashboards/?cycle={pk}" for pk in Cycle.objects.order_by("pk").values_list("pk", flat=True)]
    result = walk(page, live_server.url, visit=check, extra_paths=cycles)

    # The walk found the app's pages, not an empty loop that passes by itself.
    assert {
        "checkins:my_week",
        "checkins:key_result_detail",
        "teams:detail",
        "dashboards:index",
    } <= result.names
    assert "accessibility" in result.names
    (ARTIFACTS / f"pages-{username}.txt").write_text(
        "".join(f"{key}\t{path}\n" for key, path in sorted(result.pages.items()))
        + "".join(f"not a page\t{name}\t{why}\n" for name, why in sorted(result.not_pages.items()))
    )
    failures.extend(f"{error} (server error)" for error in result.server_errors)
    failures.extend(
        f"{name}: not reached (no link to it and no argument values to try); link it from a page or give the "
        "demo data what it shows"
        for name in result.unreached
    )
    assert failures == [], "\n".join(failures)
