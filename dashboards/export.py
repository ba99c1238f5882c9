"""The scope's objectives and key results as CSV or XLSX, for the review meeting and for spreadsheets."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
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


CSV_ROWS_PER_CHUNK = 500  # rows per piece of a streamed CSV


def csv_chunks(rows: Iterable[ExportRow]) -> Iterator[bytes]:
    """A CSV the active language's spreadsheet programs open as columns of numbers, in pieces for a
    streaming response: UTF-8 with a byte order mark (æ, ø and å read correctly); where the decimal mark is
    a comma (nb), fields are separated by semicolons, as Excel with Norwegian regional settings expects; in
    English by commas, with points. The language is the one active now, also while the pieces are read
    after the view has returned."""
    language = translation.get_language()

    def pieces() -> Iterator[bytes]:
        with translation.override(language):
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=";" if decimal_mark() == "," else ",")
            buffer.write("\ufeff")
            writer.writerow(headers())
            for index, row in enumerate(rows, start=1):
                writer.writerow([_csv_cell(value) for value in _values(row)])
                if index % CSV_ROWS_PER_CHUNK == 0:
                    yield buffer.getvalue().encode("utf-8")
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue().encode("utf-8")

    return pieces()


def to_csv(rows: Iterable[ExportRow]) -> bytes:
    return b"".join(csv_chunks(rows))


WIDTHS = (20, 40, 14, 40, 20, 16, 10, 12, 12, 12, 12, 12, 12, 11, 14, 16)
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # an XLSX up to this size stays in memory, a larger one goes to a file


def xlsx_file(rows: Iterable[ExportRow], *, title: str):
    """The workbook in openpyxl's write-only mode (each row goes straight to the file: memory does not grow
    with the rows, and no row reads the sheet back), in a spooled temporary file at its start."""
    workbook = Workbook(write_only=True)
    # Sheet names may not hold []:*?/\ and are at most 31 characters long.
    sheet = workbook.create_sheet(("".join(ch for ch in title if ch not in "[]:*?/\\") or "OKR")[:31])
    sheet.freeze_panes = "A2"
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    header = []
    for text in headers():
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        cells = []
        for value in _values(row):
            if isinstance(value, str):
                # Text stays text: openpyxl would store a title starting with "=" as a formula.
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(WIDTHS))}{count + 1}"
    # Closed by the caller: FileResponse closes it once sent, to_xlsx with its block.
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    workbook.save(spooled)
    spooled.seek(0)
    return spooled


def to_xlsx(rows: Iterable[ExportRow], *, title: str) -> bytes:
    with xlsx_file(rows, title=title) as spooled:
        return spooled.read()
