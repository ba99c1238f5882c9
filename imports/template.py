"""The downloadable import template: our headers in the reader's language, an example row, and the words
each column accepts (kinds in both languages)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from imports import columns as c
from objectives.models import KeyResult


def template_workbook() -> bytes:
    """In the active language: call it inside ``translation.override``."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("OKR")[:31]
    sheet.append([str(c.LABELS[field]) for field in c.FIELDS])
    example = {
        c.TEAM: _("courses"),
        c.OBJECTIVE: _("More members take our courses"),
        c.KEY_RESULT: _("Increase course sign-ups from 1 000 to 1 400"),
        c.KIND: str(KeyResult.Kind.INCREASE_TO.label),
        c.START: 1000,
        c.TARGET: 1400,
        c.UNIT: _("sign-ups"),
        c.OWNER: "kari@example.org",
        c.CURRENT: 1100,
        c.CONFIDENCE: 7,
        c.INITIATIVE: _("Autumn campaign for new members"),
        c.INITIATIVE_OWNER: "lars@example.org",
    }
    sheet.append([example[field] for field in c.FIELDS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 22

    guide = workbook.create_sheet(_("Columns")[:31])
    guide.append([_("Column"), _("What it holds")])
    for field in c.FIELDS:
        guide.append([str(c.LABELS[field]), str(c.DESCRIPTIONS[field])])
    guide.append([])
    guide.append([_("Kind"), _("Words accepted (either language)")])
    for kind, label in KeyResult.Kind.choices:
        guide.append([str(label), ", ".join(c.KIND_EXAMPLES[kind])])
    for row in (guide[1], guide[len(c.FIELDS) + 3]):
        for cell in row:
            cell.font = Font(bold=True)
    guide.column_dimensions["A"].width = 30
    guide.column_dimensions["B"].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
