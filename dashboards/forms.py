"""The dashboard's filter: a plain GET form, so every view of the dashboard is a shareable URL."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from dashboards.selectors import TreeNode
from objectives.models import Cycle

# Option labels cannot be styled; an em space per level shows the tree in the native select.
INDENT = "\u2003"


class PlainSelect(forms.Select):
    """The same markup as ``forms.Select`` built in one pass: the scope lists every team (214 in the
    benchmark's organisation), and Django's widget templates per option cost more than the dashboard's
    figures for the teams shown."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        selected = mark_safe(" selected")
        options = format_html_join(
            "\n",
            '<option value="{}"{}>{}</option>',
            ((key, selected if str(key) in chosen else "", label) for key, label in self.choices),
        )
        return format_html(
            '<select name="{}"{}>\n{}\n</select>', name, flatatt(self.build_attrs(self.attrs, attrs)), options
        )


class DashboardFilterForm(forms.Form):
    cycle = forms.TypedChoiceField(label=_("Cycle"), coerce=int, required=False, widget=PlainSelect)
    scope = forms.ChoiceField(label=_("Scope"), required=False, widget=PlainSelect)

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
