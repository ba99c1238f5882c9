"""Export of the scope's objectives and key results as CSV and XLSX, with the dashboard's visibility rules."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from dashboards import export
from dashboards.selectors import export_rows, scope_resolve
from objectives.models import Objective
from okrhub.numbers import decimal_mark
from teams.tree import TeamTree
from tests.factories import CheckInFactory, KeyResultFactory, ObjectiveFactory, TeamFactory

CSV = reverse("dashboards:export_csv")
XLSX = reverse("dashboards:export_xlsx")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def body(response) -> bytes:
    """Both exports stream (the CSV in pieces, the XLSX from a spooled file)."""
    assert response.streaming
    return b"".join(response.streaming_content)


def read_csv(response) -> list[list[str]]:
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_has_every_key_result_with_its_figures(org, login):
    CheckInFactory(key_result=org.key_result, author=org.member, value=25, confidence=6)
    response = login(org.section_leader).get(CSV)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="okr-q1-test-organisation.csv"'
    rows = read_csv(response)
    assert rows[0][:4] == ["Team", "Objective", "Objective status", "Key result"]
    by_title = {row[3]: row for row in rows[1:]}
    row = by_title["Øke antall kurs fra 10 til 40"]
    assert row[0] == "Kurs" and row[1] == "Flere deltakere på kurs" and row[4] == "Maja Medlem"
    assert row[10] == "50"  # (25 − 10) / (40 − 10)
    assert row[13] == "6"
    assert row[14]  # the date of the last check-in
    assert "Karrieresamtaler" in by_title


def test_the_export_follows_the_scope(org, login):
    rows = read_csv(login(org.member).get(CSV, {"scope": "karriere"}))
    assert [row[3] for row in rows[1:]] == ["Karrieresamtaler"]


def test_an_objective_without_key_results_still_has_a_row(org, login):
    ObjectiveFactory(team=org.team, cycle=org.cycle, title="Tomt mål")
    rows = read_csv(login(org.member).get(CSV))
    empty = [row for row in rows if row[1] == "Tomt mål"]
    assert len(empty) == 1
    assert empty[0][:4] == ["Kurs", "Tomt mål", "active", ""]


@pytest.mark.parametrize(("persona", "sees"), [("member", True), ("ambassador", True), ("outsider", False)])
def test_drafts_are_exported_only_to_those_who_may_see_them(org, login, persona, sees):
    draft = ObjectiveFactory(
        team=org.team, cycle=org.cycle, title="Hemmelig utkast", status=Objective.Status.DRAFT
    )
    KeyResultFactory(objective=draft, title="Hemmelig nøkkelresultat")
    client = login(getattr(org, persona))
    assert ("Hemmelig nøkkelresultat" in body(client.get(CSV)).decode()) is sees
    sheet = load_workbook(io.BytesIO(body(client.get(XLSX)))).active
    titles = [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert ("Hemmelig nøkkelresultat" in titles) is sees


def test_formulas_are_never_exported_as_formulas(org, login):
    org.key_result.title = '=HYPERLINK("http://evil")'
    org.key_result.save()
    client = login(org.member)
    rows = read_csv(client.get(CSV))
    assert '\'=HYPERLINK("http://evil")' in [row[3] for row in rows]
    workbook = load_workbook(io.BytesIO(body(client.get(XLSX))))
    cells = [row[3] for row in workbook.active.iter_rows(min_row=2)]
    formula = next(cell for cell in cells if cell.value and cell.value.startswith("=HYPERLINK"))
    assert formula.data_type == "s"


def test_xlsx_is_a_real_workbook(org, login):
    response = login(org.member).get(XLSX)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(body(response))).active
    header = [cell.value for cell in sheet[1]]
    assert header[0] == "Team" and header[-2:] == ["Last check-in", "Owner's username"]
    assert sheet.title == "Q1 test"
    assert sheet.max_row == 3


def test_the_export_needs_login(client, org):
    assert client.get(CSV).status_code == 302
    assert client.get(XLSX).status_code == 302


def test_the_dashboard_links_both_exports_with_its_scope(org, login):
    content = login(org.member).get(reverse("dashboards:index"), {"scope": "kurs"}).content.decode()
    assert f"{CSV}?cycle={org.cycle.pk}&amp;scope=kurs" in content
    assert f"{XLSX}?cycle={org.cycle.pk}&amp;scope=kurs" in content


def test_there_is_nothing_to_export_without_a_cycle(db, login, django_user_model):
    user = django_user_model.objects.create_user("solo")
    assert login(user).get(CSV).status_code == 404


def _kr_with_decimals(org):
    key_result = KeyResultFactory(
        objective=org.objective, owner=org.member, title="Timer", start_value=0, target_value=1400
    )
    CheckInFactory(key_result=key_result, author=org.member, value="1268.5", confidence=7)
    return key_result


def test_the_norwegian_csv_opens_in_norwegian_excel(org, login):
    _kr_with_decimals(org)
    response = login(org.section_leader).get(CSV, HTTP_ACCEPT_LANGUAGE="nb")
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0][:2] == ["Team", "Mål"]
    row = next(row for row in rows if row[3] == "Timer")
    # Decimal comma, no thousands separator (Excel would read "1 268,5" as text), no trailing zeros.
    assert (row[7], row[8], row[9]) == ("0", "1400", "1268,5")
    assert row[10] == "91"


def test_the_english_csv_keeps_commas_and_points(org, login):
    _kr_with_decimals(org)
    rows = read_csv(login(org.section_leader).get(CSV, HTTP_ACCEPT_LANGUAGE="en"))
    row = next(row for row in rows if row[3] == "Timer")
    assert (row[7], row[8], row[9]) == ("0", "1400", "1268.5")


@pytest.mark.parametrize("language", ["nb", "en"])
def test_xlsx_cells_stay_numbers_in_either_language(org, login, language):
    _kr_with_decimals(org)
    response = login(org.section_leader).get(XLSX, HTTP_ACCEPT_LANGUAGE=language)
    sheet = load_workbook(io.BytesIO(body(response))).active
    row = next(row for row in sheet.iter_rows(min_row=2, values_only=True) if row[3] == "Timer")
    assert row[9] == 1268.5 and row[8] == 1400 and row[10] == 91


# --- Streaming writes the same files as the writers it replaced ---------------------------------------------


def _old_to_xlsx(rows, *, title: str) -> bytes:
    """The workbook as it was written before streaming (a normal worksheet, read back row by row)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = ("".join(ch for ch in title if ch not in "[]:*?/\\") or "OKR")[:31]
    sheet.append(export.headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(export._values(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for index, width in enumerate(export.WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _old_to_csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if decimal_mark() == "," else ",")
    writer.writerow(export.headers())
    for row in rows:
        writer.writerow([export._csv_cell(value) for value in export._values(row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cells(content: bytes) -> tuple:
    sheet = load_workbook(io.BytesIO(content)).active
    cells = [[(cell.value, cell.data_type, cell.font.b) for cell in row] for row in sheet.iter_rows()]
    widths = {key: sheet.column_dimensions[key].width for key in "ABCDEFGHIJKLMNOP"}
    return sheet.title, cells, sheet.freeze_panes, sheet.auto_filter.ref, widths


@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_streamed_exports_hold_what_the_old_writers_wrote(org, login, language, settings, monkeypatch):
    settings.LANGUAGE_CODE = language
    monkeypatch.setattr(export, "CSV_ROWS_PER_CHUNK", 4)
    _kr_with_decimals(org)
    org.key_result.title = '=HYPERLINK("http://evil")'
    org.key_result.save()
    # More rows than one streamed piece of CSV, so the pieces are joined at a seam.
    for index in range(export.CSV_ROWS_PER_CHUNK + 3):
        KeyResultFactory(
            objective=org.objective, title=f"Resultat {index}", start_value=0, target_value=index + 1
        )
    scope = scope_resolve(slug="", tree=TeamTree.load())
    with translation.override(language):
        rows = list(export_rows(user=org.section_leader, cycle=org.cycle, scope=scope))
        assert len(rows) > export.CSV_ROWS_PER_CHUNK
        assert b"".join(export.csv_chunks(rows)) == _old_to_csv(rows)
        assert _cells(export.to_xlsx(rows, title="Q1: test/[x]")) == _cells(
            _old_to_xlsx(rows, title="Q1: test/[x]")
        )
    client = login(org.section_leader)
    response = client.get(CSV, HTTP_ACCEPT_LANGUAGE=language)
    with translation.override(language):
        assert body(response) == _old_to_csv(rows)
    response = client.get(XLSX, HTTP_ACCEPT_LANGUAGE=language)
    with translation.override(language):
        assert _cells(body(response)) == _cells(_old_to_xlsx(rows, title=org.cycle.name))


def test_the_export_reads_in_chunks_in_the_trees_order_of_teams(
    org, monkeypatch, django_assert_max_num_queries
):
    from dashboards import selectors

    for n in range(4):
        team = TeamFactory(name=f"Aaa {n}", slug=f"aaa-{n}", parent=org.section)
        KeyResultFactory(objective=ObjectiveFactory(team=team, cycle=org.cycle, title=f"Mål {n}"))
    ObjectiveFactory(team=org.team, cycle=org.cycle, title="Tomt mål")
    tree = TeamTree.load()
    scope = scope_resolve(slug="", tree=tree)
    whole = list(export_rows(user=org.section_leader, cycle=org.cycle, scope=scope))
    monkeypatch.setattr(selectors, "EXPORT_CHUNK", 2)
    rows = export_rows(user=org.section_leader, cycle=org.cycle, scope=scope)
    with django_assert_max_num_queries(3):  # the objectives' cursor and the first chunk's key results
        first = next(rows)
    assert [first, *rows] == whole  # the same rows, whatever the chunk
    names = [node.team.name for node in tree.nodes()]
    teams = [row.team for row in whole]
    assert teams == sorted(teams, key=names.index)  # the tree's order, as the dashboard lists the teams
    assert teams[0].startswith("Aaa")  # the new teams sort before Kurs under the section
