"""HTML views for objectives: an initiative's status (inline over htmx or by POST), and the cycles page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from objectives import periods, selectors
from objectives.forms import CUSTOM_PRESET, CycleCreateForm, InitiativeStatusForm
from objectives.models import Cycle
from objectives.permissions import access_for, can_manage_cycles, can_update_initiative
from objectives.selectors import initiative_get_for_user
from objectives.services import (
    cycle_activate,
    cycle_close,
    cycle_create,
    cycle_start_planning,
    initiative_set_status,
)
from okrhub.lib import apply_errors


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


# --- The cycles page: create with presets, and one URL and one short view per lifecycle action -------------


def _cycle_manager(request: HttpRequest) -> None:
    if not can_manage_cycles(access_for(request.user)):
        raise PermissionDenied(_("Only organisation admins manage cycles."))


def _cycle_index_response(request: HttpRequest, form: CycleCreateForm | None = None, *, status: int = 200):
    rows = selectors.cycle_rows()
    suggestion = selectors.cycle_next_suggestion(rows)
    if form is None:
        initial = {"year": timezone.localdate().year}
        if suggestion is not None:
            initial.update(
                {
                    "preset": CUSTOM_PRESET,
                    "name": "",
                    "start_date": suggestion.start,
                    "end_date": suggestion.end,
                }
                if suggestion.kind == periods.CUSTOM
                else {"preset": suggestion.name.split()[0], "year": suggestion.start.year}
            )
        form = CycleCreateForm(initial=initial)
    context = {"rows": rows, "form": form, "suggestion": suggestion}
    return render(request, "objectives/cycles.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def cycle_index(request: HttpRequest) -> HttpResponse:
    _cycle_manager(request)
    return _cycle_index_response(request)


@login_required
@require_http_methods(["POST"])
def cycle_new(request: HttpRequest) -> HttpResponse:
    _cycle_manager(request)
    form = CycleCreateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            cycle = cycle_create(
                name=data["name"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                status=Cycle.Status.UPCOMING,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Created %(cycle)s. Start planning when the teams are ready for their goal workshops.")
                % {"cycle": cycle.name},
            )
            return redirect("cycles:index")
    return _cycle_index_response(request, form, status=400)


def _confirm(
    request: HttpRequest, cycle: Cycle, *, heading: str, facts: list[str], button: str
) -> HttpResponse:
    context = {"cycle": cycle, "heading": heading, "facts": facts, "button": button}
    return render(request, "objectives/cycle_confirm.html", context)


def _refused(request: HttpRequest, error: ValidationError) -> HttpResponse:
    messages.error(request, " ".join(error.messages))
    return redirect("cycles:index")


@login_required
@require_http_methods(["GET", "POST"])
def cycle_start_planning_view(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = selectors.cycle_get_for_manager(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            cycle_start_planning(cycle=cycle)
        except ValidationError as error:
            return _refused(request, error)
        messages.success(
            request, _("%(cycle)s is in planning: the goal workshops are open.") % {"cycle": cycle}
        )
        return redirect("cycles:index")
    preview = selectors.cycle_lifecycle_preview(cycle=cycle)
    facts = [
        ngettext(
            "The goal workshops open for %(count)d team: its members draft objectives and key results.",
            "The goal workshops open for %(count)d teams: their members draft objectives and key results.",
            preview.teams,
        )
        % {"count": preview.teams},
        _("Objectives published in planning become active when you activate the cycle."),
    ]
    heading = _("Start planning %(cycle)s") % {"cycle": cycle}
    return _confirm(request, cycle, heading=heading, facts=facts, button=_("Start planning"))


@login_required
@require_http_methods(["GET", "POST"])
def cycle_activate_view(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = selectors.cycle_get_for_manager(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            count = cycle_activate(cycle=cycle)
        except ValidationError as error:
            return _refused(request, error)
        message = ngettext(
            "%(cycle)s is active: %(count)d objective became active.",
            "%(cycle)s is active: %(count)d objectives became active.",
            count,
        )
        messages.success(request, message % {"cycle": cycle, "count": count})
        return redirect("cycles:index")
    preview = selectors.cycle_lifecycle_preview(cycle=cycle)
    facts = [
        ngettext(
            "%(count)d published objective becomes active.",
            "%(count)d published objectives become active.",
            preview.published,
        )
        % {"count": preview.published},
        _("Check-ins, weekly reminders, digests and dashboards start for the cycle."),
    ]
    if preview.drafts:
        facts.append(
            ngettext(
                "%(count)d draft stays a draft until its team publishes it.",
                "%(count)d drafts stay drafts until their teams publish them.",
                preview.drafts,
            )
            % {"count": preview.drafts}
        )
    heading = _("Activate %(cycle)s") % {"cycle": cycle}
    return _confirm(request, cycle, heading=heading, facts=facts, button=_("Activate"))


@login_required
@require_http_methods(["GET", "POST"])
def cycle_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = selectors.cycle_get_for_manager(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            cycle_close(cycle=cycle, actor=request.user)
        except ValidationError as error:
            return _refused(request, error)
        messages.success(request, _("%(cycle)s is closed. Its scores are frozen.") % {"cycle": cycle})
        return redirect("cycles:index")
    preview = selectors.cycle_lifecycle_preview(cycle=cycle)
    facts = [
        ngettext("%(count)d objective is archived.", "%(count)d objectives are archived.", preview.to_archive)
        % {"count": preview.to_archive},
        ngettext(
            "%(count)d key result without a final score gets its progress as score.",
            "%(count)d key results without a final score get their progress as score.",
            preview.ungraded_key_results,
        )
        % {"count": preview.ungraded_key_results},
        _("Scores are frozen and everything in the cycle becomes read-only, for every team."),
    ]
    if preview.drafts:
        facts.append(
            ngettext(
                "%(count)d unpublished draft stays as it is, read-only.",
                "%(count)d unpublished drafts stay as they are, read-only.",
                preview.drafts,
            )
            % {"count": preview.drafts}
        )
    heading = _("Close %(cycle)s") % {"cycle": cycle}
    return _confirm(request, cycle, heading=heading, facts=facts, button=_("Close the cycle"))
