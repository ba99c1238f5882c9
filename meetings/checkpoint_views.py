"""The leader's checkpoint (sjekkpunkt), /dashboards/checkpoints/: a section lead's periodic review across the
teams of their sections, with a short written assessment per team."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from meetings import selectors, services
from meetings.forms import AssessmentForm
from meetings.permissions import can_hold_checkpoint
from objectives.permissions import access_for
from teams.models import Team

ONLY_SECTION_LEADS = _("Only the section's leads hold its checkpoint.")


def _page(request: HttpRequest, *, errors: dict | None = None) -> HttpResponse:
    sections = selectors.checkpoint_page(user=request.user)
    return render(
        request,
        "meetings/checkpoints.html",
        {"sections": sections, "form": AssessmentForm(), "errors": errors or {}},
        status=400 if errors else 200,
    )


@login_required
@require_http_methods(["GET"])
def checkpoints(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_http_methods(["POST"])
def assess(request: HttpRequest, section_id: int, team_id: int) -> HttpResponse:
    section = get_object_or_404(Team, pk=section_id)
    team = get_object_or_404(Team, pk=team_id)
    if not can_hold_checkpoint(access_for(request.user), section):
        raise PermissionDenied(ONLY_SECTION_LEADS)
    form = AssessmentForm(request.POST)
    if form.is_valid():
        try:
            services.checkpoint_assess(
                section=section, team=team, author=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
    if form.errors:
        return _page(request, errors={team.pk: [e for errs in form.errors.values() for e in errs]})
    messages.success(request, _("Assessment of %(team)s saved.") % {"team": team.name})
    return redirect(f"{reverse('checkpoints:index')}#checkpoint-team-{team.pk}")
