"""The one import service: what a file creates, and that a wrong file changes nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.utils import timezone

from checkins.models import CheckIn
from imports.services import okr_import
from objectives.models import Cycle, Initiative, KeyResult, Objective
from teams.models import Team
from tests.factories import CycleFactory, ObjectiveFactory
from tests.imports.conftest import ENGLISH, NORWEGIAN, csv_bytes, xlsx_bytes
from workshops import services as workshop_services


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def run(content: bytes, *, cycle, actor, name="okr.csv", **options):
    return okr_import(source=io.BytesIO(content), file_name=name, cycle=cycle, actor=actor, **options)


def counts() -> tuple[int, int, int, int]:
    return (
        Objective.objects.count(),
        KeyResult.objects.count(),
        Initiative.objects.count(),
        CheckIn.objects.count(),
    )


def test_a_file_creates_objectives_key_results_initiatives_and_first_check_ins(org, english_rows):
    cycle = CycleFactory(name="Q2 import")
    report = run(csv_bytes(english_rows), cycle=cycle, actor=org.ambassador)
    assert report.ok, report.problems
    objective = Objective.objects.get(cycle=cycle)
    assert objective.team == org.team and objective.title == "Flere medlemmer"
    # An active cycle: the objective is published like a workshop's drafts are.
    assert objective.status == Objective.Status.ACTIVE
    members, dropout = objective.key_results.order_by("position")
    assert (members.kind, members.start_value, members.target_value) == ("increase_to", 1000, 1400)
    assert members.owner == org.member and members.unit == "medlemmer"
    assert members.current_value == 1100 and members.confidence == 7
    checkin = members.checkins.get()
    assert checkin.author == org.ambassador and "okr.csv" in checkin.note
    assert (dropout.kind, dropout.owner) == ("stay_below", org.teammate)
    assert dropout.checkins.count() == 0
    initiative = Initiative.objects.get(objective=objective)
    assert (initiative.title, initiative.key_result, initiative.owner) == (
        "Rekrutteringskampanje",
        members,
        org.teammate,
    )
    assert report.as_dict() == {
        "rows": 2,
        "objectives_created": 1,
        "key_results_created": 2,
        "key_results_updated": 0,
        "initiatives_created": 1,
        "checkins_created": 1,
        "team_ids": [org.team.pk],
    }


def test_a_norwegian_excel_csv_semicolons_decimal_commas_windows_1252(org):
    cycle = CycleFactory(name="T2 import")
    rows = [
        NORWEGIAN,
        ["Kurs", "Økt kompetanse", "Øke andel fornøyde deltakere", "Øke til", "72,5", "85", "%", "member",
         "74,5", "6", "", ""],
        ["Kurs", "Økt kompetanse", "Redusere ventetid", "redusere", "1 400", "900", "dager", "MEMBER",
         "", "", "", ""],
        ["Kurs", "Økt kompetanse", "Lansere ny kursportal", "oppnå", "", "", "", "teammate", "ferdig", "9",
         "", ""],
    ]  # fmt: skip
    content = csv_bytes(rows, delimiter=";", encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # really Windows-1252
    report = run(content, cycle=cycle, actor=org.ambassador)
    assert report.ok, report.problems
    share, waiting, portal = KeyResult.objects.filter(objective__cycle=cycle).order_by("position")
    assert share.title == "Øke andel fornøyde deltakere"
    assert (share.start_value, share.target_value, share.current_value) == (
        Decimal("72.5"),
        Decimal("85"),
        Decimal("74.5"),
    )
    assert (waiting.kind, waiting.start_value, waiting.target_value) == ("decrease_to", 1400, 900)
    assert waiting.owner == org.member  # usernames forgive case
    assert (portal.kind, portal.current_value, portal.confidence) == ("achieve", 1, 9)


def test_utf8_without_bom_comma_separated_and_xlsx_with_numeric_cells(org, english_rows):
    plain = run(csv_bytes(english_rows, encoding="utf-8"), cycle=CycleFactory(name="A"), actor=org.ambassador)
    assert plain.ok, plain.problems
    numeric = [english_rows[0], ["kurs", "Mål", "Øke salg", "increase", 12.5, 1400, "", "", 100, 8, "", ""]]
    report = run(xlsx_bytes(numeric), cycle=CycleFactory(name="B"), actor=org.ambassador, name="okr.xlsx")
    assert report.ok, report.problems
    key_result = KeyResult.objects.get(objective__cycle__name="B")
    assert (key_result.start_value, key_result.target_value, key_result.current_value) == (
        Decimal("12.5"),
        1400,
        100,
    )
    assert key_result.confidence == 8


def test_imported_objectives_follow_the_cycle_like_published_ones(org, english_rows):
    planning = CycleFactory(name="Neste tertial", status=Cycle.Status.PLANNING)
    published = ObjectiveFactory(team=org.other_team, cycle=planning, status=Objective.Status.DRAFT)
    workshop_services.team_cycle_publish(team=org.other_team, cycle=planning)
    published.refresh_from_db()
    rows = [row[:8] for row in english_rows]  # no current values: a planning cycle takes no check-ins yet
    assert run(csv_bytes(rows), cycle=planning, actor=org.ambassador).ok
    assert Objective.objects.get(cycle=planning, team=org.team).status == published.status


def test_draft_puts_the_objectives_on_the_board_and_skips_check_ins_with_a_note(org, english_rows):
    cycle = CycleFactory(name="Utkast")
    report = run(csv_bytes(english_rows), cycle=cycle, actor=org.ambassador, draft=True)
    assert report.ok, report.problems
    assert Objective.objects.get(cycle=cycle).status == Objective.Status.DRAFT
    assert not CheckIn.objects.filter(key_result__objective__cycle=cycle).exists()
    assert [(note.row, note.column) for note in report.notes] == [(2, "current")]
    assert "still a draft" in report.notes[0].message


@pytest.mark.parametrize(
    ("change", "row", "column", "message"),
    [
        ({0: "finnes-ikke"}, 2, "team", "Unknown team “finnes-ikke”."),
        ({7: "nobody@example.org"}, 2, "owner", "No active person"),
        ({11: "ghost"}, 2, "initiative_owner", "No active person"),
        ({4: "1 400", 5: "1 400"}, 2, "target", "Start and target are equal"),
        ({4: "mange"}, 2, "start", "“mange” is not a number."),
        ({5: ""}, 2, "target", "A number is required"),
        ({3: "kanskje"}, 2, "kind", "Unknown kind “kanskje”"),
        ({9: "11"}, 2, "confidence", "Confidence is a whole number from 1 to 10."),
        ({9: "0"}, 2, "confidence", "Confidence is a whole number from 1 to 10."),
        ({9: "6,5"}, 2, "confidence", "Confidence is a whole number from 1 to 10."),
        ({8: "ti"}, 2, "current", "“ti” is not a number."),
        ({5: "1e20"}, 2, "target", "digits"),
        ({5: "10"}, 2, "target", "cannot be below the start value"),
        ({2: ""}, 2, "key_result", "This column is required."),
        ({1: "x" * 201}, 2, "objective", "At most 200 characters."),
        ({2: "Holde frafallet under 5 %"}, 3, "key_result", "already in row 2"),
    ],
)
def test_a_wrong_row_is_reported_at_its_row_and_column_and_nothing_is_saved(
    org, english_rows, change, row, column, message
):
    for index, value in change.items():
        english_rows[1][index] = value
    before = counts()
    report = run(csv_bytes(english_rows), cycle=CycleFactory(name="Feil"), actor=org.ambassador)
    assert not report.ok
    assert any(p.row == row and p.column == column and message in p.message for p in report.problems), [
        str(p) for p in report.problems
    ]
    assert counts() == before


def test_every_problem_is_listed_not_only_the_first(org, english_rows):
    english_rows[1][0] = "ukjent"
    english_rows[2][4] = "fem"
    report = run(csv_bytes(english_rows), cycle=CycleFactory(name="Feil"), actor=org.ambassador)
    assert [(p.row, p.column) for p in report.problems] == [(2, "team"), (3, "start")]


def test_a_closed_cycle_an_archived_objective_state_and_files_that_are_not_spreadsheets(org, english_rows):
    closed = CycleFactory(name="Lukket", status=Cycle.Status.CLOSED)
    report = run(csv_bytes(english_rows), cycle=closed, actor=org.ambassador)
    assert [p.row for p in report.problems] == [0] and "closed" in report.problems[0].message
    assert not Objective.objects.filter(cycle=closed).exists()
    cycle = CycleFactory(name="Åpen")
    for content, message in (
        (b"", "The file is empty."),
        (b"   \r\n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a spreadsheet"),
        (b"PK\x03\x04 this is a broken zip", "not a spreadsheet"),
        (csv_bytes([ENGLISH]), "no rows below its header"),
        (csv_bytes([["Goal", "Metric"], ["a", "b"]]), "The column is missing."),
    ):
        report = run(content, cycle=cycle, actor=org.ambassador)
        assert not report.ok and message in report.problems[0].message, (content, report.problems)
    assert not Objective.objects.filter(cycle=cycle).exists()


def test_an_archived_team_is_refused(org, english_rows):
    Team.objects.filter(pk=org.team.pk).update(archived_at=timezone.now())
    report = run(csv_bytes(english_rows), cycle=CycleFactory(name="X"), actor=org.ambassador)
    assert [(p.row, p.column) for p in report.problems] == [(2, "team"), (3, "team")]


def test_html_in_text_is_kept_as_text(org, english_rows):
    english_rows[1][2] = "<script>alert(1)</script> Øke"
    assert run(csv_bytes(english_rows), cycle=CycleFactory(name="H"), actor=org.ambassador).ok
    assert KeyResult.objects.filter(title="<script>alert(1)</script> Øke").exists()


def test_a_second_import_creates_nothing_new_and_adjusts_what_changed(org, english_rows):
    cycle = CycleFactory(name="To ganger")
    content = csv_bytes(english_rows)
    assert run(content, cycle=cycle, actor=org.ambassador).ok
    before = counts()
    again = run(content, cycle=cycle, actor=org.ambassador)
    assert again.ok and not again.changed_anything
    assert counts() == before

    english_rows[1][5] = "1 500"  # a new target
    english_rows[1][8] = "1 200"  # and a new current value
    report = run(csv_bytes(english_rows), cycle=cycle, actor=org.lead, name="okr-v2.csv")
    assert report.ok, report.problems
    assert (report.key_results_created, report.key_results_updated, report.checkins_created) == (0, 1, 1)
    key_result = KeyResult.objects.get(objective__cycle=cycle, title="Øke antall medlemmer")
    assert key_result.target_value == 1500 and key_result.current_value == 1200
    assert set(key_result.checkins.values_list("source", flat=True)) == {CheckIn.Source.IMPORT}
    latest = key_result.history.first()
    assert latest.history_change_reason == "Imported from okr-v2.csv"
    assert latest.history_user == org.lead
    assert counts() == (before[0], before[1], before[2], before[3] + 1)


def test_a_dry_run_reports_what_would_be_created_and_saves_nothing(org, english_rows):
    before = counts()
    report = run(
        csv_bytes(english_rows), cycle=CycleFactory(name="Prøve"), actor=org.ambassador, dry_run=True
    )
    assert report.ok and report.dry_run
    assert (report.objectives_created, report.key_results_created, report.checkins_created) == (1, 2, 1)
    assert counts() == before


def test_a_team_for_the_whole_file_fills_rows_without_one_and_refuses_others(org, english_rows):
    english_rows[1][0] = ""
    report = run(csv_bytes(english_rows), cycle=CycleFactory(name="T"), actor=org.ambassador, team=org.team)
    assert report.ok, report.problems
    english_rows[2][0] = "karriere"
    report = run(csv_bytes(english_rows), cycle=CycleFactory(name="U"), actor=org.ambassador, team=org.team)
    assert [(p.row, p.column) for p in report.problems] == [(3, "team")]


def test_ten_thousand_rows_are_checked_without_saving_when_one_is_wrong(org):
    rows = [ENGLISH] + [
        ["kurs", f"Mål {n // 5}", f"Nøkkelresultat {n}", "øke", "0", "100", "", "", "", "", "", ""]
        for n in range(10_000)
    ]
    rows[-1][4] = "feil"
    report = run(csv_bytes(rows), cycle=CycleFactory(name="Stor"), actor=org.ambassador)
    assert report.rows == 10_000
    assert [(p.row, p.column) for p in report.problems] == [(10_001, "start")]
    assert not Objective.objects.filter(cycle__name="Stor").exists()
