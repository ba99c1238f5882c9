"""Files as people make them: CSV the way Excel saves it, XLSX with numeric cells."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook

ENGLISH = [
    "team", "objective", "key_result", "kind", "start", "target", "unit",
    "owner", "current", "confidence", "initiative", "initiative_owner",
]  # fmt: skip
NORWEGIAN = [
    "team", "mål", "nøkkelresultat", "type", "start", "målverdi", "enhet",
    "eier", "nå", "tillit", "tiltak", "tiltakseier",
]  # fmt: skip


def csv_bytes(rows: list[list[object]], *, delimiter: str = ",", encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def english_rows(org):
    """Two key results of one objective for Kurs, one with a current value and an initiative."""
    return [
        ENGLISH,
        ["kurs", "Flere medlemmer", "Øke antall medlemmer", "increase", "1 000", "1 400", "medlemmer",
         "member", "1 100", "7", "Rekrutteringskampanje", "teammate"],
        ["Kurs", "Flere medlemmer", "Holde frafallet under 5 %", "stay below", "5", "5", "%",
         "teammate@example.org", "", "", "", ""],
    ]  # fmt: skip
