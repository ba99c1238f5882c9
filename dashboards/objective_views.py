"""The objective page: its key results with their figures, what it is aligned to and what aligns to it.

It reads the objectives' progress and the key results' latest figures, so it lives on top with the team page
(``/objectives/<id>/``, mounted in ``okrhub/urls.py``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from dashboards.selectors import objective_page_for_user
from objectives.selectors import objective_get_for_user


@login_required
@require_http_methods(["GET"])
def objective_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # 404 for a draft the user may not see, as everywhere else.
    objective = objective_get_for_user(user=request.user, pk=pk)
    page = objective_page_for_user(user=request.user, objective=objective)
    return render(request, "dashboards/objective_detail.html", {"objective": objective, "page": page})
