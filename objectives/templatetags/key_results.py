"""Template tags for key result pages: ``{% load key_results %}``."""

from __future__ import annotations

from django import template

from objectives.history import key_result_timeline
from objectives.models import Kpi
from objectives.permissions import access_for, can_edit_objective, can_lead_team
from objectives.writability import is_published, is_writable

register = template.Library()


@register.inclusion_tag("objectives/_kr_history.html", takes_context=True)
def kr_history(context, key_result):
    """The timeline of changes (who, when, old → new, why), with adjust and KPI links for leads."""
    access = access_for(context["request"].user)
    objective = key_result.objective
    may_lead = can_lead_team(access, objective.team_id) and is_published(objective)
    return {
        "key_result": key_result,
        "timeline": key_result_timeline(key_result=key_result),
        "kpi": Kpi.objects.filter(source_key_result=key_result).first(),
        "can_adjust": may_lead and can_edit_objective(access, objective) and is_writable(key_result),
        "can_promote": may_lead,
    }
