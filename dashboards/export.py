"""The scope's objectives and key results as CSV or XLSX, for the review meeting and for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dashboards.selectors import ExportRow
from objectives.models import Cycle

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def headers() -> list[str]:
    return [
        _("Team"),
        _("Objective"),
        _("Objective status"),
        _("Key result"),
        _("Owner"),
        _("Kind"),
        _("Unit"),
        _("Start value"),
        _("Target value"),
        _("Current value"),
        _("Progress (%)"),
        _("Expected progress (%)"),
        _("Health"),
        _("Confidence"),
        _("Last check-in"),
        _("Owner's username"),
    ]


def _percent(value: float | None) -> int | None:
    return None if value is None else round(value * 100)


def _values(row: ExportRow) -> list:
    return [
        row.team,
        row.objective,
        row.objective_status,
        row.key_result,
        row.owner,
        row.kind,
        row.unit,
        row.start,
        row.target,
        row.current,
        _percent(row.progress),
        _percent(row.expected),
        row.health,
        row.confidence,
        row.last_checkin,
        row.owner_username,
    ]


def _text_safe(value) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def filename(*, cycle: Cycle, scope_slug: str, extension: str) -> str:
    scope = scope_slug or slugify(_("organisation"))
    return f"okr-{slugify(cycle.name) or cycle.pk}-{scope}.{extension}"


def to_csv(rows: Sequence[ExportRow]) -> bytes:
    """UTF-8 with a byte order mark, so spreadsheet programs read æ, ø and å correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers())
    for row in rows:
        writer.writerow(["" if value is None else _text_safe(value) for value in _values(row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[ExportRow], *, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    # Sheet names may not hold []:*?/\ and are at most 31 characters long.
    sheet.title = ("".join(ch for ch in title if ch not in "[]:*?/\\") or "OKR")[:31]
    sheet.append(headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(_values(row))
        # Text stays text: openpyxl would store a title starting with "=" as a formula.
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for index, width in enumerate((20, 40, 14, 40, 20, 16, 10, 12, 12, 12, 12, 12, 12, 11, 14, 16), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
