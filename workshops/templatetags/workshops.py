"""Template tags other apps' pages use to show workshop features: ``{% load workshops %}``."""

from __future__ import annotations

from django import template

from objectives.models import Kpi
from objectives.permissions import access_for, can_edit_objective, can_lead_team
from workshops.history import key_result_timeline
from workshops.selectors import team_kpis

register = template.Library()


@register.inclusion_tag("objectives/_kr_history.html", takes_context=True)
def kr_history(context, key_result):
    """The timeline of changes (who, when, old → new, why), with adjust and KPI links for leads."""
    access = access_for(context["request"].user)
    objective = key_result.objective
    may_lead = can_lead_team(access, objective.team_id) and objective.status == "active"
    return {
        "key_result": key_result,
        "timeline": key_result_timeline(key_result=key_result),
        "kpi": Kpi.objects.filter(source_key_result=key_result).first(),
        "can_adjust": may_lead and can_edit_objective(access, objective) and key_result.retired_at is None,
        "can_promote": may_lead,
    }


@register.inclusion_tag("objectives/_team_kpis.html", takes_context=True)
def team_kpis_panel(context, teams):
    """KPIs of one team or of several (a dashboard's scope), with the check-in link where allowed."""
    team_ids = [teams.pk] if hasattr(teams, "pk") else [t if isinstance(t, int) else t.pk for t in teams]
    access = access_for(context["request"].user)
    kpis = list(team_kpis(team_ids=team_ids))
    for kpi in kpis:
        kpi.can_check_in = access.is_staff or kpi.team_id in access.team_ids
    return {"kpis": kpis, "show_team": len(team_ids) > 1, "request": context["request"]}
