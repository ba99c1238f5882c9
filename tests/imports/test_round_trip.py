"""The dashboard's XLSX export is a valid import file: exporting a cycle and importing it into an empty cycle
reproduces every objective, key result, owner and current value."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from checkins.services import checkin_submit
from imports.services import okr_import
from objectives.models import KeyResult, Objective
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory


def snapshot(cycle) -> set[tuple]:
    key_results = {
        (kr.objective.team.slug, kr.objective.title, kr.title, kr.owner_id, kr.kind, kr.start_value,
         kr.target_value, kr.unit, kr.current_value)
        for kr in KeyResult.objects.filter(objective__cycle=cycle).select_related("objective__team")
    }  # fmt: skip
    objectives = {
        (o.team.slug, o.title) for o in Objective.objects.filter(cycle=cycle).select_related("team")
    }
    return key_results | objectives


@pytest.mark.parametrize("language", ["nb", "en"])
def test_export_then_import_into_an_empty_cycle_reproduces_the_okrs(org, login, settings, language):
    settings.LANGUAGE_CODE = language
    checkin_submit(key_result=org.key_result, author=org.member, value=25, confidence=6)
    achieve = KeyResultFactory(
        objective=org.objective, owner=org.teammate, title="Ny kursportal", kind="achieve", start_value=0,
        target_value=1,
    )  # fmt: skip
    checkin_submit(key_result=achieve, author=org.teammate, value=1, confidence=9)
    KeyResultFactory(
        objective=org.other_objective, owner=None, title="Redusere ventetid", kind="decrease_to",
        start_value=1400.5, target_value=900, unit="dager",
    )  # fmt: skip
    KeyResultFactory(objective=org.other_objective, owner=org.outsider, title="Holde over 80 %",
                     kind="stay_above", start_value=70, target_value=80, unit="%")  # fmt: skip
    ObjectiveFactory(team=org.team, cycle=org.cycle, title="Et mål uten nøkkelresultater")

    response = login(org.staff).get(reverse("dashboards:export_xlsx"), {"cycle": org.cycle.pk})
    assert response.status_code == 200
    empty = CycleFactory(name="Kopi")
    report = okr_import(
        source=io.BytesIO(b"".join(response.streaming_content)),  # the export streams
        file_name="eksport.xlsx",
        cycle=empty,
        actor=org.ambassador,
    )
    assert report.ok, [str(problem) for problem in report.problems]

    assert snapshot(empty) == snapshot(org.cycle)
    assert KeyResult.objects.get(objective__cycle=empty, title="Ny kursportal").current_value == 1
