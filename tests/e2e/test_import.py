"""Import in the browser, as an OKR ambassador: template → upload → a problem shown at its cell → fixed file →
import → the board shows the objectives. axe-core clean on every step."""

from __future__ import annotations

import pytest

from objectives.models import Cycle, KeyResult
from tests.imports.conftest import NORWEGIAN, csv_bytes

pytestmark = pytest.mark.e2e


def test_an_ambassador_imports_a_norwegian_excel_csv(demo, page, log_in, live_server, screenshot,
                                                     assert_accessible, tmp_path):  # fmt: skip
    cycle = Cycle.objects.filter(status=Cycle.Status.ACTIVE).first()
    team = "Kurs og arrangementer"  # the demo team, by its exact name
    rows = [
        NORWEGIAN,
        [team, "Importert mål", "Øke antall deltakere", "øke", "1 000", "1 400,5", "deltakere", "kari",
         "1 100", "7", "Vårkampanje", "lars"],
        [team, "Importert mål", "Redusere frafall", "redusere", "12,5", "5", "%", "ukjent-person", "", "",
         "", ""],
    ]  # fmt: skip
    wrong = tmp_path / "okr.csv"
    wrong.write_bytes(csv_bytes(rows, delimiter=";", encoding="cp1252"))
    log_in(page, "ambassador")
    page.goto(f"{live_server.url}/workshops/")
    page.click("text=Import OKRs from a spreadsheet")
    page.wait_for_url("**/imports/")
    assert_accessible(page)
    page.set_input_files("#id_file", str(wrong))
    page.select_option("#id_cycle", str(cycle.pk))
    page.click("text=Upload and check")
    page.wait_for_selector("#job-state")
    assert "1 row has problems; nothing was imported." in page.inner_text("#job-state")
    problem_cell = page.locator("#row-3 td.import-problem")
    assert "ukjent-person" in problem_cell.inner_text()
    assert "No active person" in problem_cell.inner_text()
    assert_accessible(page)
    screenshot(page, "import-problems")

    rows[2][7] = "lars"
    fixed = tmp_path / "okr-fixed.csv"
    fixed.write_bytes(csv_bytes(rows, delimiter=";", encoding="cp1252"))
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#id_file", str(fixed))
    page.select_option("#id_cycle", str(cycle.pk))
    page.click("text=Upload and check")
    page.wait_for_selector("text=Everything is in order")
    page.click("#job-state button:text-is('Import')")
    page.wait_for_selector("text=Created 1 objectives")
    assert_accessible(page)
    screenshot(page, "import-done")
    assert KeyResult.objects.get(title="Øke antall deltakere").current_value == 1100

    page.click("text=Workshop board of")
    page.wait_for_selector("text=Importert mål")
    assert "Redusere frafall" in page.content()
