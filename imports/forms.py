from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from imports import columns as c
from objectives.models import Cycle
from objectives.writability import writable_cycles_q

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv," + XLSX_TYPE}),
    )
    cycle = forms.ModelChoiceField(
        label=_("Cycle"), queryset=Cycle.objects.filter(writable_cycles_q()).order_by("-start_date")
    )
    draft = forms.BooleanField(
        label=_("Put the objectives on the workshop board as drafts"),
        required=False,
        help_text=_("Otherwise they are published as the cycle's state says (planning or active)."),
    )


class MappingForm(forms.Form):
    """One choice per column of the file: which of our fields it holds, or none."""

    def __init__(self, *args, headers: list[str], mapping: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not imported —"))] + [(field, c.LABELS[field]) for field in c.FIELDS]
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header or _("Column %(number)d") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=mapping.get(index, ""),
            )

    def mapping(self) -> dict[int, str]:
        return {
            int(name.removeprefix("column_")): value for name, value in self.cleaned_data.items() if value
        }
