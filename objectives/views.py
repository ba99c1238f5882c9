"""HTML views for objectives: an initiative's status, changed inline (htmx) or by a plain POST."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from objectives.forms import InitiativeStatusForm
from objectives.permissions import access_for, can_update_initiative
from objectives.selectors import initiative_get_for_user
from objectives.services import initiative_set_status


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


@login_required
@require_http_methods(["POST"])
def initiative_status(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = initiative_get_for_user(user=request.user, pk=pk)
    if not can_update_initiative(access_for(request.user), initiative):
        raise PermissionDenied(_("Only the initiative's owner and the team's leads may change its status."))
    next_url = _next_url(request)
    form = InitiativeStatusForm(request.POST, initiative=initiative)
    if form.is_valid():
        try:
            initiative_set_status(initiative=initiative, status=form.cleaned_data["status"])
        except ValidationError as error:
            form.add_error(None, error)
    if form.is_valid() and not request.htmx:
        messages.success(
            request,
            _("“%(title)s” is now %(status)s.")
            % {"title": initiative.title, "status": initiative.get_status_display()},
        )
        return redirect(next_url)
    if not form.is_valid():
        initiative.refresh_from_db(fields=["status"])
    context = {"initiative": initiative, "form": form, "can_update": True, "next_url": next_url}
    if form.is_valid():
        context["form"] = InitiativeStatusForm(initiative=initiative)
        context["saved"] = True
    if request.htmx:
        return render(request, "objectives/_initiative_row.html", context)
    return render(request, "objectives/initiative_status.html", context, status=400)
