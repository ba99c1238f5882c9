"""Forms for objectives: an initiative's status, changed inline on My week."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from objectives.models import Initiative


class InitiativeStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Initiative.Status.choices)

    def __init__(self, *args, initiative: Initiative, **kwargs):
        kwargs.setdefault("auto_id", f"id_initiative{initiative.pk}_%s")
        kwargs.setdefault("initial", {"status": initiative.status})
        super().__init__(*args, **kwargs)
        self.initiative = initiative
