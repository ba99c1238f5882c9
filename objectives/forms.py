"""Forms for objectives: an initiative's status, changed inline on My week."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from objectives import periods
from objectives.models import Cycle, Initiative
from objectives.validators import MAX_YEAR, MIN_YEAR


class InitiativeStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Initiative.Status.choices)

    def __init__(self, *args, initiative: Initiative, **kwargs):
        kwargs.setdefault("auto_id", f"id_initiative{initiative.pk}_%s")
        kwargs.setdefault("initial", {"status": initiative.status})
        super().__init__(*args, **kwargs)
        self.initiative = initiative


# --- The cycles page -------------------------------------------------------------------------------------

CUSTOM_PRESET = "custom"
CYCLE_CUSTOM_NEEDS_DATES = _("For custom dates, give a name, a start date and an end date.")


def _preset_choices() -> list[tuple[str, str]]:
    year = 2000  # the labels name the months only, the same every year
    choices = [
        (p.name.split()[0], f"{p.name.split()[0]} ({p.start:%d.%m}–{p.end:%d.%m})")
        for p in periods.presets_for(year)
    ]
    return [*choices, (CUSTOM_PRESET, _("Custom dates"))]


class CycleCreateForm(forms.Form):
    """A tertial or quarter of a year, or custom dates. The model bounds the years and the services refuse
    overlaps of the same kind; the view shows their errors on these fields."""

    preset = forms.ChoiceField(label=_("Period"), choices=_preset_choices, initial="T1")
    year = forms.IntegerField(label=_("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR, required=False)
    name = forms.CharField(
        label=_("Name"),
        max_length=Cycle._meta.get_field("name").max_length,
        required=False,
        help_text=_("Custom dates only; a preset is named after it, e.g. “T1 2027”."),
    )
    start_date = forms.DateField(
        label=_("Start date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end_date = forms.DateField(
        label=_("End date (the last day)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("preset")
        if preset is None or self.errors:
            return cleaned
        if preset == CUSTOM_PRESET:
            if not (
                cleaned.get("name", "").strip() and cleaned.get("start_date") and cleaned.get("end_date")
            ):
                raise forms.ValidationError(CYCLE_CUSTOM_NEEDS_DATES)
            return cleaned
        year = cleaned.get("year")
        if year is None:
            self.add_error("year", _("Choose the year of the period."))
            return cleaned
        kind = periods.TERTIAL if preset.startswith("T") else periods.QUARTER
        period = periods.preset(kind, year=year, number=int(preset[1:]))
        cleaned.update(name=period.name, start_date=period.start, end_date=period.end)
        return cleaned
