"""The scope's objectives and key results as CSV or XLSX, for the review meeting and for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dashboards.selectors import ExportRow
from objectives.models import Cycle
from okrhub.numbers import decimal_mark, format_number

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


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        # Ungrouped, with the language's decimal mark: a Norwegian spreadsheet reads "1268,5" as a number.
        return format_number(value, grouping=False)
    if isinstance(value, date):
        return value.isoformat()
    return _text_safe(str(value))


def to_csv(rows: Sequence[ExportRow]) -> bytes:
    """A CSV the active language's spreadsheet programs open as columns of numbers: UTF-8 with a byte order
    mark (æ, ø and å read correctly); where the decimal mark is a comma (nb), fields are separated by
    semicolons, as Excel with Norwegian regional settings expects; in English by commas, with points."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if decimal_mark() == "," else ",")
    writer.writerow(headers())
    for row in rows:
        writer.writerow([_csv_cell(value) for value in _values(row)])
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
