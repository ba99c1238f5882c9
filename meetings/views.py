"""The team meeting pages: the list, the agenda (live for every participant), the presenter view, the
minutes, and one short view per action (note, decision, action, attend, end).

Like the workshop board, the agenda's live region polls a changed-since URL and is swapped only when something
changed; the forms live outside it, so nobody loses what they are typing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import reswap, retarget

from meetings import selectors, services
from meetings.forms import ActionForm, AttendanceForm, DecisionForm, NoteForm
from meetings.permissions import can_comment_meeting, can_run_meeting
from objectives.models import KeyResult
from objectives.permissions import access_for
from okrhub.lib import save_form

POLL_SECONDS = 3  # as the workshop board: the others see a change within this, plus the request time

ONLY_MEMBERS_RUN = _("Only the team's members run its meeting.")
ONLY_PARTICIPANTS_COMMENT = _("Only the team and the leads above it comment in its meeting.")


def _detail_url(meeting) -> str:
    return reverse("meetings:detail", args=[meeting.team.slug, meeting.pk])


def _forms(meeting, agenda, **bound) -> dict:
    ids = [item.key_result.pk for item in agenda.key_results]
    key_results = KeyResult.objects.filter(pk__in=ids).order_by(
        "objective__position", "objective_id", "position", "id"
    )
    members = _members(meeting)
    return {
        "note_form": bound.get("note_form") or NoteForm(key_results=key_results),
        "decision_form": bound.get("decision_form") or DecisionForm(),
        "action_form": bound.get("action_form") or ActionForm(key_results=key_results, owners=members),
        "attendance_form": bound.get("attendance_form")
        # (read only where the form is shown: the poll does not show it)
        or AttendanceForm(members=members, initial={"attendees": lambda: [u.pk for u in agenda.attendees]}),
    }


def _members(meeting):
    """The team's active members: who may own an action, and who may be marked present."""
    return (
        get_user_model()
        .objects.filter(memberships__team=meeting.team, is_active=True)
        .order_by("first_name", "last_name", "username")
    )


def _agenda_context(request: HttpRequest, meeting, **bound) -> dict:
    agenda = selectors.agenda_get(user=request.user, meeting=meeting)
    return {
        "team": meeting.team,
        "meeting": meeting,
        "agenda": agenda,
        "version": selectors.meeting_version(meeting=meeting),
        "poll_seconds": POLL_SECONDS,
        "next_url": request.get_full_path(),
        **_forms(meeting, agenda, **bound),
    }


# --- The list and starting ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def meeting_list(request: HttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_get(slug=slug)
    access = access_for(request.user)
    meetings = selectors.meetings_for_team(team=team).filter(selectors.meetings_visible_q(request.user))
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "team": team,
            "meetings": meetings,
            "open_meeting": selectors.meeting_open_this_week(team=team),
            "can_run": can_run_meeting(access, team),
        },
    )


@login_required
@require_http_methods(["POST"])
def meeting_start(request: HttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_get(slug=slug)
    if not can_run_meeting(access_for(request.user), team):
        raise PermissionDenied(ONLY_MEMBERS_RUN)
    meeting = services.meeting_start(team=team, user=request.user)
    return redirect(_detail_url(meeting))


# --- The agenda, the minutes and the presenter --------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def meeting_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team = selectors.team_get(slug=slug)
    meeting = selectors.meeting_get_for_user(user=request.user, team=team, pk=pk)
    if not meeting.is_open:
        return render(
            request,
            "meetings/minutes.html",
            {"team": team, "meeting": meeting, "minutes": selectors.minutes_display(meeting)},
        )
    since = request.GET.get("since")
    if since is not None:
        # The poll: nothing changed → 204 and htmx leaves the page alone; otherwise only the live region.
        if since == selectors.meeting_version(meeting=meeting):
            return HttpResponse(status=204)
        return render(request, "meetings/agenda.html#agenda-poll", _agenda_context(request, meeting))
    return render(request, "meetings/agenda.html", _agenda_context(request, meeting))


def _slide_context(request: HttpRequest, meeting) -> dict:
    context = _agenda_context(request, meeting)
    items = context["agenda"].key_results
    try:
        index = int(request.GET.get("n") or request.POST.get("n") or "1") - 1
    except ValueError:
        index = 0
    index = max(0, min(index, len(items) - 1)) if items else 0
    slide = items[index] if items else None
    context.update(
        present_url=reverse("meetings:present", args=[meeting.team.slug, meeting.pk]),
        slide=slide,
        position=index + 1,
        total=len(items),
        previous_n=index if index > 0 else None,
        next_n=index + 2 if index + 1 < len(items) else None,
        chart=selectors.slide_chart(slide) if slide else "",
        plan=selectors.slide_plan(slide) if slide else [],
        latest_checkins=selectors.slide_latest_checkins(slide) if slide else [],
        open_actions=selectors.open_actions_for(slide) if slide else [],
    )
    return context


@login_required
@require_http_methods(["GET"])
def meeting_present(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team = selectors.team_get(slug=slug)
    meeting = selectors.meeting_get_for_user(user=request.user, team=team, pk=pk)
    if not meeting.is_open:
        return redirect(_detail_url(meeting))
    context = _slide_context(request, meeting)
    since = request.GET.get("since")
    if since is not None:
        if since == context["version"]:
            return HttpResponse(status=204)
        return render(request, "meetings/present.html#slide-live", context)
    if request.htmx:
        return render(request, "meetings/present.html#slide", context)
    return render(request, "meetings/present.html", context)


# --- During the meeting -------------------------------------------------------------------------------------


def _open_meeting_for(request: HttpRequest, slug: str, pk: int, *, run: bool):
    team = selectors.team_get(slug=slug)
    meeting = selectors.meeting_get_for_user(user=request.user, team=team, pk=pk)
    access = access_for(request.user)
    if run and not can_run_meeting(access, team):
        raise PermissionDenied(ONLY_MEMBERS_RUN)
    if not run and not can_comment_meeting(access, team):
        raise PermissionDenied(ONLY_PARTICIPANTS_COMMENT)
    return meeting


def _after_write(
    request: HttpRequest, meeting, *, form_key: str, form, saved: bool, message: str
) -> HttpResponse:
    """htmx: the live region (saved) or the form with its errors; without JavaScript: back to the page."""
    from_presenter = request.POST.get("back") == "present"
    if request.htmx:
        if saved and from_presenter:
            response = render(request, "meetings/present.html#slide", _slide_context(request, meeting))
            return reswap(retarget(response, "#slide"), "outerHTML")
        if saved:
            response = render(request, "meetings/agenda.html#agenda-poll", _agenda_context(request, meeting))
            response = reswap(retarget(response, "#agenda-live"), "outerHTML")
            response["HX-Trigger"] = "meeting-saved"
            return response
        response = render(request, "meetings/agenda.html#form-errors", {"form": form})
        return reswap(retarget(response, f"#{form.prefix}-errors"), "innerHTML")
    if saved:
        messages.success(request, message)
        if from_presenter:
            url = reverse("meetings:present", args=[meeting.team.slug, meeting.pk])
            n = request.POST.get("n", "")
            return redirect(f"{url}?n={n if n.isdigit() else 1}")
        return redirect(_detail_url(meeting))
    return render(
        request, "meetings/agenda.html", _agenda_context(request, meeting, **{form_key: form}), status=400
    )


@login_required
@require_http_methods(["POST"])
def note_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = _open_meeting_for(request, slug, pk, run=False)
    # Any key result of the team's: the service says why one is refused (closed cycle, not on the agenda).
    form = NoteForm(request.POST, key_results=KeyResult.objects.filter(objective__team=meeting.team))
    saved = save_form(
        form,
        lambda: services.meeting_note_add(
            meeting=meeting,
            key_result=form.cleaned_data["key_result"],
            author=request.user,
            body=form.cleaned_data["body"],
        ),
    )
    return _after_write(
        request, meeting, form_key="note_form", form=form, saved=saved, message=_("Note saved.")
    )


@login_required
@require_http_methods(["POST"])
def decision_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = _open_meeting_for(request, slug, pk, run=True)
    form = DecisionForm(request.POST)
    saved = save_form(
        form,
        lambda: services.meeting_decision_add(
            meeting=meeting, author=request.user, body=form.cleaned_data["body"]
        ),
    )
    return _after_write(
        request, meeting, form_key="decision_form", form=form, saved=saved, message=_("Decision saved.")
    )


@login_required
@require_http_methods(["POST"])
def action_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = _open_meeting_for(request, slug, pk, run=True)
    owners = get_user_model().objects.filter(memberships__team=meeting.team, is_active=True)
    team_key_results = KeyResult.objects.filter(objective__team=meeting.team)
    form = ActionForm(request.POST, key_results=team_key_results, owners=owners)
    saved = save_form(
        form,
        lambda: services.meeting_action_add(
            meeting=meeting,
            key_result=form.cleaned_data["key_result"],
            title=form.cleaned_data["title"],
            owner=form.cleaned_data["owner"],
            due_date=form.cleaned_data["due_date"],
        ),
    )
    return _after_write(
        request,
        meeting,
        form_key="action_form",
        form=form,
        saved=saved,
        message=_("Action saved as an initiative."),
    )


@login_required
@require_http_methods(["POST"])
def meeting_attend(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = _open_meeting_for(request, slug, pk, run=True)
    try:
        services.meeting_attend(meeting=meeting, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(_detail_url(meeting))


@login_required
@require_http_methods(["POST"])
def meeting_attendance(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Whoever runs the meeting ticks who is present (people in the room need not open OKR Hub)."""
    meeting = _open_meeting_for(request, slug, pk, run=True)
    form = AttendanceForm(request.POST, members=_members(meeting))
    if save_form(
        form, lambda: services.meeting_attendance_set(meeting=meeting, users=form.cleaned_data["attendees"])
    ):
        messages.success(request, _("Saved who is present."))
        return redirect(_detail_url(meeting))
    context = _agenda_context(request, meeting, attendance_form=form)
    return render(request, "meetings/agenda.html", context, status=400)


@login_required
@require_http_methods(["POST"])
def meeting_end(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = _open_meeting_for(request, slug, pk, run=True)
    try:
        services.meeting_end(meeting=meeting, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_detail_url(meeting))
    messages.success(request, _("The meeting has ended; the minutes go to the team by email."))
    return redirect(_detail_url(meeting))
