"""My week, inline check-ins (htmx, with a plain POST fallback) and the key result page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from checkins import selectors
from checkins.forms import CheckInForm, FeedbackForm, FeedbackReplyForm
from checkins.services import checkin_delete, checkin_submit, checkin_update
from checkins.services import feedback_create as services_feedback_create
from checkins.services import feedback_mark_read as services_feedback_mark_read
from checkins.services import feedback_reply as services_feedback_reply
from checkins.signals import key_result_page_sections
from objectives import progress as rules
from objectives.charts import BurnupLabels, burnup_chart
from objectives.forms import InitiativeStatusForm
from objectives.models import KeyResult
from objectives.permissions import (
    access_for,
    can_change_checkin,
    can_check_in,
    can_give_feedback,
    can_reply_to_feedback,
)
from objectives.selectors import key_result_history_panel
from objectives.writability import checkin_refusal


def _next_url(request: HttpRequest, default: str) -> str:
    """Where a plain (no-JavaScript) form goes back to: the page it came from, if it is ours."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _apply_service_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
@require_http_methods(["GET"])
def my_week(request: HttpRequest) -> HttpResponse:
    include_team = request.GET.get("show") == "team"
    week = selectors.my_week(user=request.user, include_team=include_team)
    for team_group in week.teams:
        for group in team_group.objectives:
            for row in group.key_results:
                if row.can_check_in:
                    row.form = CheckInForm(key_result=row.key_result)
            for item in group.initiatives:
                if item.can_update:
                    item.form = InitiativeStatusForm(initiative=item.initiative)
    access = access_for(request.user)
    rows = (row for team in week.teams for group in team.objectives for row in group.key_results)
    first_form = next((row for row in rows if row.form), None)
    context = {
        "week": week,
        # The skip link's target: the first check-in form, so Tab from there lands in its value field.
        "first_checkin_id": f"kr-{first_form.key_result.pk}-form" if first_form else "",
        "counter": week.counter,
        "include_team": include_team,
        "has_teams": bool(access.member_team_ids),
        "iso_week": timezone.localdate().isocalendar().week,
        "next_url": request.get_full_path(),
        # Feedback for the user (checkins/_feedback.html#unread-feedback): leads' comments on what they own,
        # owners' replies to what they asked.
        "unread_feedback": selectors.feedback_unread_for_user(user=request.user),
    }
    return render(request, "checkins/my_week.html", context)


def _row_response(request: HttpRequest, row, *, next_url: str, with_counter: bool) -> HttpResponse:
    """The re-rendered row, plus the week counter as an out-of-band swap when it may have changed."""
    html = render_to_string(
        "checkins/my_week.html#kr-row", {"row": row, "next_url": next_url}, request=request
    )
    if with_counter:
        counter = selectors.my_week_counter(user=request.user)
        html += render_to_string(
            "checkins/my_week.html#counter", {"counter": counter, "oob": True}, request=request
        )
    return HttpResponse(html)


@login_required
@require_http_methods(["GET", "POST"])
def checkin_create(request: HttpRequest, pk: int) -> HttpResponse:
    key_result = selectors.key_result_for_checkin(user=request.user, pk=pk)
    access = access_for(request.user)
    if not can_check_in(access, key_result):
        raise PermissionDenied(_("Only members and leads of this key result's team may check in."))
    next_url = _next_url(request, reverse("checkins:my_week"))
    if request.method == "GET" and checkin_refusal(key_result) is not None:
        # Nothing to check in on (retired, archived, closed, a draft): the key result page says why.
        return redirect("checkins:key_result_detail", pk=key_result.pk)
    if request.method == "GET":
        form = CheckInForm(key_result=key_result)
        return render(
            request,
            "checkins/checkin_form.html",
            {"form": form, "key_result": key_result, "next_url": next_url},
        )

    form = CheckInForm(request.POST, key_result=key_result)
    if form.is_valid():
        try:
            checkin_submit(
                key_result=key_result,
                author=request.user,
                value=form.cleaned_data["value"],
                confidence=form.cleaned_data["confidence"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            _apply_service_errors(form, error)

    if request.htmx:
        row = selectors.key_result_row(key_result, access=access)
        if form.errors:
            row.form = form
            return _row_response(request, row, next_url=next_url, with_counter=False)
        row.form = CheckInForm(key_result=key_result)
        return _row_response(request, row, next_url=next_url, with_counter=True)

    if form.errors:
        return render(
            request,
            "checkins/checkin_form.html",
            {"form": form, "key_result": key_result, "next_url": next_url},
            status=400,
        )
    messages.success(request, _("Checked in on “%(title)s”.") % {"title": key_result.title})
    return redirect(next_url)


def _changeable_checkin(request: HttpRequest, pk: int):
    checkin = selectors.checkin_get_for_user(user=request.user, pk=pk)
    if not can_change_checkin(access_for(request.user), checkin):
        raise PermissionDenied(_("You can only change your own check-ins, in the week you made them."))
    return checkin


@login_required
@require_http_methods(["GET", "POST"])
def checkin_edit(request: HttpRequest, pk: int) -> HttpResponse:
    checkin = _changeable_checkin(request, pk)
    key_result = checkin.key_result
    next_url = _next_url(request, reverse("checkins:key_result_detail", args=[key_result.pk]))
    if request.method == "POST":
        form = CheckInForm(request.POST, key_result=key_result, checkin=checkin)
        if form.is_valid():
            try:
                checkin_update(
                    checkin=checkin,
                    value=form.cleaned_data["value"],
                    confidence=form.cleaned_data["confidence"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                _apply_service_errors(form, error)
            else:
                messages.success(request, _("Your check-in was updated."))
                return redirect(next_url)
        status = 400
    else:
        form = CheckInForm(key_result=key_result, checkin=checkin)
        status = 200
    context = {"form": form, "checkin": checkin, "key_result": key_result, "next_url": next_url}
    return render(request, "checkins/checkin_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def checkin_remove(request: HttpRequest, pk: int) -> HttpResponse:
    checkin = _changeable_checkin(request, pk)
    key_result = checkin.key_result
    next_url = _next_url(request, reverse("checkins:key_result_detail", args=[key_result.pk]))
    error = None
    if request.method == "POST":
        try:
            checkin_delete(checkin=checkin)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Your check-in was deleted."))
            return redirect(next_url)
    context = {"checkin": checkin, "key_result": key_result, "next_url": next_url, "error": error}
    return render(request, "checkins/checkin_delete.html", context, status=400 if error else 200)


def _burnup_description(key_result, *, row, kind_text: str) -> str:
    if key_result.kind in rules.PACED_KINDS:
        return _(
            "%(kind)s. Value now %(current)s; expected pace by today %(expected)s %% of the way, progress "
            "%(progress)s %%."
        ) % {
            "kind": kind_text,
            "current": row.current_display,
            "expected": row.expected_percent,
            "progress": row.progress_percent,
        }
    # Done/not done and "stay" key results have no pace (objectives.progress.PACED_KINDS).
    return _("%(kind)s. Value now %(current)s.") % {"kind": kind_text, "current": row.current_display}


def _burnup_legend(key_result) -> str:
    """What the burn-up chart's lines are, in words, for the lines ``burnup_chart`` draws for the kind."""
    kind = key_result.kind
    if kind in (rules.STAY_ABOVE, rules.STAY_BELOW):
        return _("Value over the cycle's weeks (solid) and the line to hold (dash-dot).")
    if kind in rules.PACED_KINDS and key_result.plan:
        return _(
            "Value over the cycle's weeks (solid), the target (dashed) and the planned path from start "
            "through the milestones to target (dotted, a point per milestone)."
        )
    if kind in rules.PACED_KINDS:
        return _(
            "Value over the cycle's weeks (solid), the target (dashed) and the expected pace from start to "
            "target (dotted)."
        )
    return _("Value over the cycle's weeks (solid: 1 is done, 0 not yet) and the target (dashed).")


@login_required
@require_http_methods(["GET"])
def key_result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    key_result = selectors.key_result_for_checkin(user=request.user, pk=pk)
    access = access_for(request.user)
    page, entries = selectors.checkin_history(
        key_result=key_result, user=request.user, page_number=request.GET.get("page")
    )
    if request.htmx and request.htmx.target == "checkin-history":
        context = {"key_result": key_result, "page": page, "entries": entries}
        return render(request, "checkins/key_result_detail.html#history", context)

    row = selectors.key_result_row(key_result, access=access)
    if row.can_check_in:
        row.form = CheckInForm(key_result=key_result)
    cycle = key_result.objective.cycle
    unit = key_result.unit
    kind_text = selectors.key_result_kind_text(key_result)
    chart = burnup_chart(
        chart_id=f"burnup-{key_result.pk}",
        kind=key_result.kind,
        start=cycle.start_date,
        end=cycle.end_date,
        start_value=key_result.start_value,
        target_value=key_result.target_value,
        points=selectors.weekly_values(key_result=key_result),
        labels=BurnupLabels.for_key_result(),
        title=_("Burn-up: %(title)s") % {"title": key_result.title},
        description=_burnup_description(key_result, row=row, kind_text=kind_text),
        y_unit=unit,
        today=timezone.localdate(),
        milestones=key_result.plan,
    )
    context = {
        "key_result": key_result,
        "row": row,
        "kind_text": kind_text,
        "chart": chart,
        "chart_legend": _burnup_legend(key_result),
        # The planned path in words, beside the chart (kinds without a pace have none to follow).
        "plan": [
            (day, selectors.value_display(value, unit))
            for day, value in (key_result.plan if key_result.kind in rules.PACED_KINDS else ())
        ],
        "page": page,
        "entries": entries,
        "next_url": request.get_full_path(),
        **key_result_history_panel(user=request.user, key_result=key_result),
        # Why no check-in form is shown, when the key result takes none (objectives/writability.py).
        "checkin_refusal": checkin_refusal(key_result),
    }
    # Feedback from the team's leads (checkins/_feedback.html): the owner reads it here, leads write it.
    panel = selectors.feedback_panel(user=request.user, key_result=key_result)
    context.update(
        feedback=panel.feedback,
        threads=panel.threads,
        can_give_feedback=panel.can_give_feedback,
        can_reply=panel.can_reply,
        feedback_form=None,
    )
    if panel.can_give_feedback:
        context["feedback_form"] = FeedbackForm(key_result=key_result, checkins=panel.checkins)
    # Sections of the apps above (checkins/signals.py), rendered by them.
    responses = key_result_page_sections.send(sender=KeyResult, request=request, key_result=key_result)
    context["extra_sections"] = [html for _receiver, html in responses if html]
    return render(request, "checkins/key_result_detail.html", context)


# --- Feedback: leads comment on a key result or one check-in; the owner marks it read ----------------------


HEADINGS = ("h2", "h3", "h4", "h5")  # the panel's heading level follows the page it sits in


def _feedback_panel_response(request: HttpRequest, key_result, *, form=None, reply_form=None) -> HttpResponse:
    panel = selectors.feedback_panel(user=request.user, key_result=key_result)
    if form is None and panel.can_give_feedback:
        form = FeedbackForm(key_result=key_result, checkins=panel.checkins)
    context = {
        "key_result": key_result,
        "feedback": panel.feedback,
        "threads": panel.threads,
        "can_give_feedback": panel.can_give_feedback,
        "can_reply": panel.can_reply,
        "feedback_form": form,
        "reply_form": reply_form,
        "feedback_heading": request.POST.get("heading") if request.POST.get("heading") in HEADINGS else "h2",
        "next_url": _next_url(request, reverse("checkins:key_result_detail", args=[key_result.pk])),
    }
    # Errors come back as 200: htmx does not swap 4xx responses, and the errors belong in place.
    return render(request, "checkins/_feedback.html#feedback-panel", context)


@login_required
@require_http_methods(["POST"])
def feedback_create(request: HttpRequest, pk: int) -> HttpResponse:
    key_result = selectors.key_result_for_checkin(user=request.user, pk=pk)
    if not can_give_feedback(access_for(request.user), key_result):
        raise PermissionDenied(_("Only leads of this team, or of a team above it, give feedback."))
    panel = selectors.feedback_panel(user=request.user, key_result=key_result)
    form = FeedbackForm(request.POST, key_result=key_result, checkins=panel.checkins)
    if form.is_valid():
        try:
            services_feedback_create(
                key_result=key_result,
                author=request.user,
                body=form.cleaned_data["body"],
                checkin=form.cleaned_data["checkin"],
            )
        except ValidationError as error:
            _apply_service_errors(form, error)
    if request.htmx:
        return _feedback_panel_response(request, key_result, form=form if form.errors else None)
    if form.errors:
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    else:
        messages.success(request, _("Your feedback was sent to the owner."))
    return redirect(_next_url(request, reverse("checkins:key_result_detail", args=[key_result.pk])))


@login_required
@require_http_methods(["POST"])
def feedback_read(request: HttpRequest, pk: int) -> HttpResponse:
    feedback = selectors.feedback_get_for_user(user=request.user, pk=pk)
    if feedback.recipient_id != request.user.pk:
        raise PermissionDenied(_("Only the person the feedback is for marks it as read."))
    services_feedback_mark_read(feedback=feedback)
    if request.htmx:
        if request.POST.get("from") == "panel":
            return _feedback_panel_response(request, feedback.key_result)
        # From My week's list of unread feedback: the item goes away.
        return HttpResponse("")
    return redirect(_next_url(request, reverse("checkins:key_result_detail", args=[feedback.key_result_id])))


@login_required
@require_http_methods(["POST"])
def feedback_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """A reply in a feedback thread: the owner answers, or a lead follows up (inline over htmx, or a POST)."""
    parent = selectors.feedback_get_for_user(user=request.user, pk=pk)
    key_result = parent.key_result
    if not can_reply_to_feedback(access_for(request.user), key_result):
        raise PermissionDenied(_("Only the key result's owner and the leads of its team reply here."))
    form = FeedbackReplyForm(request.POST, parent=parent)
    if form.is_valid():
        try:
            services_feedback_reply(parent=parent, author=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            _apply_service_errors(form, error)
    if request.htmx:
        return _feedback_panel_response(request, key_result, reply_form=form if form.errors else None)
    if form.errors:
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    else:
        messages.success(request, _("Your reply was sent."))
    return redirect(_next_url(request, reverse("checkins:key_result_detail", args=[key_result.pk])))
