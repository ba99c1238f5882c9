from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from objectives.permissions import access_for
from teams.selectors import team_tree


@login_required
@require_http_methods(["GET"])
def team_list(request):
    access = access_for(request.user)
    rows = [
        {"team": team, "depth": depth, "is_mine": team.pk in access.team_ids} for team, depth in team_tree()
    ]
    return render(request, "teams/team_list.html", {"rows": rows})
