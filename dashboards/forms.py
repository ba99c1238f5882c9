"""The dashboard's filter: a plain GET form, so every view of the dashboard is a shareable URL."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from dashboards.selectors import TreeNode
from objectives.models import Cycle

# Option labels cannot be styled; an em space per level shows the tree in the native select.
INDENT = "\u2003"


class DashboardFilterForm(forms.Form):
    cycle = forms.TypedChoiceField(label=_("Cycle"), coerce=int, required=False)
    scope = forms.ChoiceField(label=_("Scope"), required=False)

    def __init__(
        self, data, *, cycles: Sequence[Cycle], nodes: Sequence[TreeNode], default_cycle: Cycle | None
    ):
        # Missing parameters take their defaults, so the form is always bound and its errors are real ones.
        merged = {"cycle": default_cycle.pk if default_cycle else "", "scope": ""}
        merged.update({key: data[key] for key in ("cycle", "scope") if data.get(key) is not None})
        super().__init__(merged)
        self.cycles = {cycle.pk: cycle for cycle in cycles}
        self.fields["cycle"].choices = [
            (cycle.pk, f"{cycle.name} ({cycle.get_status_display()})") for cycle in cycles
        ]
        self.fields["scope"].choices = [("", _("Whole organisation"))] + [
            (node.team.slug, INDENT * node.depth + node.team.name) for node in nodes
        ]
        self.default_cycle = default_cycle

    def selected_cycle(self) -> Cycle | None:
        """The chosen cycle; the default one when the choice was missing or invalid."""
        if self.is_valid() or "cycle" not in self.errors:
            return self.cycles.get(self.cleaned_data.get("cycle"), self.default_cycle)
        return self.default_cycle

    def selected_scope(self) -> str:
        if self.is_valid() or "scope" not in self.errors:
            return self.cleaned_data.get("scope") or ""
        return ""
