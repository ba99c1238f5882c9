"""The dashboard's filter: a plain GET form, so every view of the dashboard is a shareable URL."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from dashboards.selectors import team_query_clean
from objectives.models import Cycle
from teams.tree import TeamTree


class PlainSelect(forms.Select):
    """The same markup as ``forms.Select`` built in one pass: Django's widget templates per option cost more
    than the dashboard's figures for the teams shown (the scope was a select of every team before the team
    picker; the cycles still are one)."""

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
    """The cycle, the scope (a team's slug; "" is the whole organisation) and the team picker's typed name.

    The scope is not a list of every team (thousands in a municipality): the picker searches
    (``dashboards.selectors.team_search``), and a typed name that is not the scope's own asks for a search.
    """

    cycle = forms.TypedChoiceField(label=_("Cycle"), coerce=int, required=False, widget=PlainSelect)
    scope = forms.CharField(label=_("Scope"), required=False, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Team"), required=False)

    def __init__(self, data, *, cycles: Sequence[Cycle], tree: TeamTree, default_cycle: Cycle | None):
        # Missing parameters take their defaults, so the form is always bound and its errors are real ones.
        merged = {"cycle": default_cycle.pk if default_cycle else "", "scope": ""}
        merged.update({key: data[key] for key in ("cycle", "scope", "q") if data.get(key) is not None})
        super().__init__(merged)
        self.tree = tree
        self.cycles = {cycle.pk: cycle for cycle in cycles}
        self.fields["cycle"].choices = [
            (cycle.pk, f"{cycle.name} ({cycle.get_status_display()})") for cycle in cycles
        ]
        self.default_cycle = default_cycle

    def clean_scope(self) -> str:
        slug = self.cleaned_data["scope"]
        if slug and self.tree.by_slug(slug) is None:
            raise forms.ValidationError(_("No such team."), code="invalid_choice")
        return slug

    def clean_q(self) -> str:
        return team_query_clean(self.cleaned_data["q"])

    def selected_cycle(self) -> Cycle | None:
        """The chosen cycle; the default one when the choice was missing or invalid."""
        if self.is_valid() or "cycle" not in self.errors:
            return self.cycles.get(self.cleaned_data.get("cycle"), self.default_cycle)
        return self.default_cycle

    def selected_scope(self) -> str:
        """The scope's slug; "" (the organisation) when it was unknown or the picker was emptied."""
        self.is_valid()
        if "scope" in self.errors or ("q" in self.data and not self.cleaned_data.get("q")):
            return ""
        return self.cleaned_data.get("scope") or ""

    def team_query(self) -> str:
        """The name typed in the picker when it is not the scope's own ("": nothing to search for). Links
        carry only the scope; the form sends both, so changing only the cycle keeps the scope."""
        self.is_valid()
        query = self.cleaned_data.get("q") or ""
        team = self.tree.by_slug(self.cleaned_data.get("scope") or "")
        if team is not None and query.casefold() == team.name.casefold():
            return ""
        return query
