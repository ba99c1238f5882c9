"""Template tags the team and dashboard pages use to show KPIs: ``{% load workshops %}``."""

from __future__ import annotations

from django import template

from objectives.permissions import access_for
from workshops.selectors import team_kpis

register = template.Library()


@register.inclusion_tag("objectives/_team_kpis.html", takes_context=True)
def team_kpis_panel(context, teams):
    """KPIs of one team or of several (a dashboard's scope), with the check-in link where allowed."""
    team_ids = [teams.pk] if hasattr(teams, "pk") else [t if isinstance(t, int) else t.pk for t in teams]
    access = access_for(context["request"].user)
    kpis = list(team_kpis(team_ids=team_ids))
    for kpi in kpis:
        kpi.can_check_in = access.is_staff or kpi.team_id in access.team_ids
    return {"kpis": kpis, "show_team": len(team_ids) > 1, "request": context["request"]}
