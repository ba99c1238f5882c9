"""The import in the browser: upload → (mapping) → preview, every problem at its cell → import → summary."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from imports.models import ImportJob, ImportMapping
from objectives.models import Cycle, KeyResult, Objective
from tests.factories import CycleFactory, ProfileFactory, TeamFactory, UserFactory
from tests.imports.conftest import csv_bytes

INDEX = reverse("imports:index")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def cycle(db):
    return CycleFactory(name="Q3 import")


def upload(client, content: bytes, cycle, *, name="okr.csv", draft=False):
    data = {"file": SimpleUploadedFile(name, content), "cycle": cycle.pk}
    if draft:
        data["draft"] = "on"
    return client.post(INDEX, data)


def job_of(response) -> ImportJob:
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("member", 403),
        ("lead", 403),
        ("section_leader", 403),
        ("outsider", 403),
        ("ambassador", 200),
        ("staff", 200),
    ],
)
def test_only_ambassadors_and_staff_import(org, login, persona, status):
    client = login(getattr(org, persona))
    assert client.get(INDEX).status_code == status
    assert client.get(reverse("imports:template", args=["nb"])).status_code == status
    response = client.post(INDEX, {"file": SimpleUploadedFile("a.csv", b"x"), "cycle": org.cycle.pk})
    assert response.status_code == (302 if status == 200 else 403)
    assert ImportJob.objects.count() == (1 if status == 200 else 0)


def test_anonymous_visitors_are_sent_to_the_login(client, org):
    assert client.get(INDEX).status_code == 302


def test_our_headers_go_straight_to_the_preview_and_one_click_imports(org, login, english_rows, cycle):
    client = login(org.ambassador)
    job = job_of(upload(client, csv_bytes(english_rows), cycle))
    assert job.state == ImportJob.State.CHECKED and job.problems == []
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "Everything is in order" in page
    assert "creates 1 objectives, 2 key results, 1 initiatives and 1 check-ins" in page
    assert not Objective.objects.filter(cycle=cycle).exists()  # the check saved nothing

    response = client.post(reverse("imports:run", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert KeyResult.objects.filter(objective__cycle=cycle).count() == 2
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert reverse("workshops:board", args=["kurs", cycle.pk]) in page
    assert f"{reverse('dashboards:index')}?cycle={cycle.pk}" in page

    # A second click (another tab, a double submit) imports nothing twice.
    client.post(reverse("imports:run", args=[job.pk]))
    assert KeyResult.objects.filter(objective__cycle=cycle).count() == 2


def test_every_problem_is_shown_at_its_row_and_cell_and_import_is_refused(org, login, english_rows, cycle):
    english_rows[2][7] = "ukjent@example.org"
    english_rows[1][4] = "<b>mye</b>"
    client = login(org.ambassador)
    job = job_of(upload(client, csv_bytes(english_rows), cycle))
    assert job.state == ImportJob.State.CHECKED
    assert sorted((row, column) for row, column, _m in job.problems) == [(2, "start"), (3, "owner")]
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "2 rows have problems; nothing was imported." in page
    assert 'id="row-3"' in page and "No active person with the username or email address" in page
    assert "&lt;b&gt;mye&lt;/b&gt;" in page and "<b>mye</b>" not in page  # HTML in a cell stays text
    assert page.count('class="import-problem"') == 2
    assert client.post(reverse("imports:run", args=[job.pk])).status_code == 302
    assert not Objective.objects.filter(cycle=cycle).exists()


def test_unknown_headers_ask_for_a_mapping_which_is_remembered(org, login, cycle):
    headers = ["Goal name", "Key Result Name", "Team name", "Metric start", "Metric target", "Owner email"]
    rows = [headers, ["Flere medlemmer", "Øke medlemstallet", "kurs", "100", "150", "member@example.org"]]
    client = login(org.ambassador)
    job = job_of(upload(client, csv_bytes(rows), cycle, name="viva-goals.csv"))
    assert job.state == ImportJob.State.MAPPING
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "Which column is which?" in page and "Goal name" in page

    incomplete = client.post(reverse("imports:mapping", args=[job.pk]), {"column_0": "objective"})
    assert incomplete.status_code == 400
    assert "Choose the columns for: team, key_result." in incomplete.content.decode()
    doubled = client.post(
        reverse("imports:mapping", args=[job.pk]),
        {"column_0": "objective", "column_1": "objective", "column_2": "team"},
    )
    assert "Each field can come from one column only: objective." in doubled.content.decode()

    mapping = {
        "column_0": "objective",
        "column_1": "key_result",
        "column_2": "team",
        "column_3": "start",
        "column_4": "target",
        "column_5": "owner",
    }
    assert client.post(reverse("imports:mapping", args=[job.pk]), mapping).status_code == 302
    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED and job.problems == []
    assert ImportMapping.objects.count() == 1

    # The next export from the same tool is mapped already.
    again = job_of(upload(login(org.staff), csv_bytes(rows), cycle, name="viva-goals-2.csv"))
    assert again.state == ImportJob.State.CHECKED
    assert again.column_mapping == {
        0: "objective",
        1: "key_result",
        2: "team",
        3: "start",
        4: "target",
        5: "owner",
    }


def test_bad_files_and_closed_cycles_are_refused_on_the_form(org, login, cycle):
    client = login(org.ambassador)
    response = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00", cycle, name="bilde.png")
    assert response.status_code == 400
    assert "not a spreadsheet" in response.content.decode()
    response = upload(client, b"", cycle)
    assert response.status_code == 400
    closed = CycleFactory(name="Lukket", status=Cycle.Status.CLOSED)
    response = upload(client, csv_bytes([["team"], ["kurs"]]), closed)
    assert response.status_code == 400
    assert ImportJob.objects.count() == 0


def test_another_persons_import_does_not_exist_for_you(org, login, english_rows, cycle):
    job = job_of(upload(login(org.ambassador), csv_bytes(english_rows), cycle))
    other = UserFactory(username="ambassador2")
    ProfileFactory(user=other, is_ambassador=True)
    client = login(other)
    for name in ("imports:job",):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    for name in ("imports:run", "imports:mapping", "imports:remap"):
        assert client.post(reverse(name, args=[job.pk])).status_code == 404
    assert login(org.member).get(reverse("imports:job", args=[job.pk])).status_code == 403
    assert login(org.staff).get(reverse("imports:job", args=[job.pk])).status_code == 200
    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED


def test_get_is_not_allowed_on_the_actions(org, login, english_rows, cycle):
    client = login(org.ambassador)
    job = job_of(upload(client, csv_bytes(english_rows), cycle))
    assert client.get(reverse("imports:run", args=[job.pk])).status_code == 405


@pytest.mark.parametrize(
    ("language", "headers"),
    [
        ("nb", ["team", "mål", "nøkkelresultat", "type", "start", "målverdi", "enhet", "eier", "nå", "tillit",
                "tiltak", "tiltakseier"]),
        ("en", ["team", "objective", "key_result", "kind", "start", "target", "unit", "owner", "current",
                "confidence", "initiative", "initiative_owner"]),
    ],
)  # fmt: skip
def test_the_templates_in_both_languages_are_valid_import_files(org, login, cycle, language, headers):
    UserFactory(username="kari", email="kari@example.org")
    UserFactory(username="lars", email="lars@example.org")
    TeamFactory(name="Courses", slug="courses")  # the English example's team (the Norwegian one is "kurs")
    client = login(org.ambassador)
    response = client.get(reverse("imports:template", args=[language]))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]] == headers
    words = " ".join(
        str(cell.value) for row in workbook.worksheets[1].iter_rows() for cell in row if cell.value
    )
    for word in ("øke", "increase", "holde over", "stay below", "oppnå", "achieve"):
        assert word in words
    # The example row imports as it stands.
    job = job_of(upload(client, response.content, cycle, name=f"mal-{language}.xlsx"))
    assert job.state == ImportJob.State.CHECKED and job.problems == [], job.problems


def test_a_large_file_runs_on_the_worker_and_the_page_shows_its_progress(
    org, login, english_rows, cycle, settings, celery_eager, django_capture_on_commit_callbacks
):
    settings.IMPORT_SYNC_ROWS = 1
    client = login(org.ambassador)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = job_of(upload(client, csv_bytes(english_rows), cycle))
    assert job.state == ImportJob.State.CHECKING
    page = client.get(reverse("imports:job", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in page and "<progress" in page and "0 of 2 rows" in page
    assert "<html" not in page  # the poll swaps only the job's state
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED
    page = client.get(reverse("imports:job", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in page  # polling stops

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:run", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert KeyResult.objects.filter(objective__cycle=cycle).count() == 2
