"""Goal workshop pages: the live drafting board, publishing, adjustments, closing, carrying over and KPIs.

The board is one page; its list region polls a changed-since URL every few seconds and is swapped only when
something changed. The drafting forms live outside that region, so nobody loses what they are typing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import reswap, retarget, trigger_client_event

from meetings.selectors import cycle_meetings
from objectives import charts, quality
from objectives.history import key_result_timeline
from objectives.labels import REASON_LABELS
from objectives.models import KeyResult, Kpi, Objective
from objectives.permissions import (
    access_for,
    can_check_in_kpi,
    can_create_objective,
    can_draft,
    can_edit_objective,
    can_grade_key_result,
    can_import,
    can_lead_team,
    can_manage_cycles,
    can_publish,
    can_run_workshop,
)
from objectives.progress import OWNER_DEACTIVATED, PACED_KINDS
from objectives.selectors import initiative_get_for_user, key_result_get_for_user, objective_get_for_user
from objectives.services import (
    initiative_create,
    initiative_delete,
    initiative_update,
    key_result_adjust,
    key_result_create,
    key_result_delete,
    objective_create,
    objective_delete,
    objective_update,
)
from objectives.services import key_result_plan_set as services_key_result_plan_set
from objectives.writability import is_published, is_writable, require_writable, write_refusal
from okrhub.lib import apply_errors
from okrhub.numbers import decimal_mark, parse_number
from workshops import coach as coach_rules
from workshops import selectors, services
from workshops.forms import (
    InitiativeDraftForm,
    InitiativeEditForm,
    KeyResultAdjustForm,
    KeyResultDraftEditForm,
    KeyResultDraftForm,
    KeyResultEditForm,
    KpiCheckInForm,
    KpiPromoteForm,
    ObjectiveDraftForm,
    ObjectiveEditForm,
    ReasonForm,
    RetrospectiveForm,
    milestone_formset,
)

POLL_SECONDS = 3  # the board refreshes for the others within this (plus the request time), well under 5 s


def _board_url(team, cycle) -> str:
    return reverse("workshops:board", args=[team.slug, cycle.pk])


def _board_context(request: HttpRequest, team, cycle, **forms) -> dict:
    access = access_for(request.user)
    objectives = selectors.board_objectives(team=team, cycle=cycle)
    board_coach = coach_rules.board_coach(
        objectives=objectives, members=selectors.team_member_names(team=team)
    )
    coach_rules.attach(objectives, board_coach)
    _attach_edit_flags(access, objectives)
    drafts = [o for o in objectives if o.status == Objective.Status.DRAFT]
    owners = selectors.team_owner_candidates(team=team)
    parents = selectors.parent_objectives(user=request.user, team=team, cycle=cycle)
    # New key results and initiatives go under the newest draft by default: the objective just created.
    newest = max(drafts, key=lambda objective: objective.pk, default=None)
    under_newest = {"objective": newest.pk} if newest else {}
    return {
        "team": team,
        "cycle": cycle,
        "objectives": objectives,
        "drafts": drafts,
        "parents": parents,
        "coach": board_coach,
        "version": selectors.board_version(team=team, cycle=cycle),
        "poll_seconds": POLL_SECONDS,
        "can_publish": can_publish(access, team_id=team.pk),
        "can_lead": can_lead_team(access, team.pk),
        # The needs-attention label, shown beside a key result whose owner left (progress.OWNER_DEACTIVATED).
        "owner_deactivated_label": REASON_LABELS[OWNER_DEACTIVATED],
        "objective_form": forms.get("objective_form")
        or ObjectiveDraftForm(owners=owners, parents=parents, prefix="objective"),
        "kr_form": forms.get("kr_form")
        or KeyResultDraftForm(owners=owners, objectives=drafts, prefix="kr", initial=under_newest),
        "initiative_form": forms.get("initiative_form")
        or InitiativeDraftForm(owners=owners, objectives=drafts, prefix="initiative", initial=under_newest),
    }


def _attach_edit_flags(access, objectives) -> None:
    """What the board offers to edit, decided here (permissions and writability) so the template only shows
    it: drafts are edited by the workshop, published key results adjusted by the team's leads."""
    for objective in objectives:
        draftable = can_draft(access, objective) and is_writable(objective)
        objective.can_edit = draftable
        adjustable = is_published(objective) and can_edit_objective(access, objective)
        for key_result in objective.key_results.all():
            key_result.can_edit = (draftable or adjustable) and is_writable(key_result)
        for initiative in objective.initiatives.all():
            initiative.can_edit = draftable


def _board_list_response(
    request: HttpRequest, team, cycle, *, clear_editor: bool = False, created=None
) -> HttpResponse:
    context = _board_context(request, team, cycle)
    context["clear_editor"] = clear_editor
    # The one who just added an objective gets it chosen in the key result and initiative forms.
    context["created_objective"] = created.pk if isinstance(created, Objective) else None
    response = render(request, "workshops/board.html#board-list", context)
    response = reswap(retarget(response, "#board-list"), "outerHTML")
    return trigger_client_event(response, "okr-saved", after="receive")


def _form_errors_response(request: HttpRequest, form, form_id: str) -> HttpResponse:
    response = render(request, "workshops/board.html#form-errors", {"form": form})
    return reswap(retarget(response, f"#{form_id}-errors"), "innerHTML")


# --- Index and board ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def index(request: HttpRequest) -> HttpResponse:
    rows = selectors.workshop_index_for_user(user=request.user)
    return render(
        request, "workshops/index.html", {"rows": rows, "can_import": can_import(access_for(request.user))}
    )


@login_required
@require_http_methods(["GET"])
def board(request: HttpRequest, team_slug: str, cycle_id: int) -> HttpResponse:
    team, cycle = selectors.workshop_get_for_user(user=request.user, team_slug=team_slug, cycle_id=cycle_id)
    since = request.GET.get("since")
    if since is not None:
        # The poll: nothing changed → 204, htmx leaves the page alone; otherwise only the list region.
        if since == selectors.board_version(team=team, cycle=cycle):
            return HttpResponse(status=204)
        return render(request, "workshops/board.html#board-list", _board_context(request, team, cycle))
    return render(request, "workshops/board.html", _board_context(request, team, cycle))


def _create(request, team_slug, cycle_id, *, form_key: str, form_id: str, build, save) -> HttpResponse:
    team, cycle = selectors.workshop_get_for_user(user=request.user, team_slug=team_slug, cycle_id=cycle_id)
    form = build(request, team, cycle)
    created = None
    if form.is_valid():
        try:
            created = save(request, team, cycle, form)
        except ValidationError as error:
            apply_errors(form, error)
    if form.is_valid() and not form.errors:
        if request.htmx:
            return _board_list_response(request, team, cycle, created=created)
        return redirect(_board_url(team, cycle))
    if request.htmx:
        return _form_errors_response(request, form, form_id)
    return render(
        request, "workshops/board.html", _board_context(request, team, cycle, **{form_key: form}), status=400
    )


@login_required
@require_http_methods(["POST"])
def objective_new(request: HttpRequest, team_slug: str, cycle_id: int) -> HttpResponse:
    def build(request, team, cycle):
        parents = selectors.parent_objectives(user=request.user, team=team, cycle=cycle)
        owners = selectors.team_owner_candidates(team=team)
        return ObjectiveDraftForm(request.POST, owners=owners, parents=parents, prefix="objective")

    def save(request, team, cycle, form):
        data = form.cleaned_data
        return objective_create(
            team=team, cycle=cycle, title=data["title"], owner=data["owner"], parent=data["parent"]
        )

    return _create(
        request,
        team_slug,
        cycle_id,
        form_key="objective_form",
        form_id="new-objective",
        build=build,
        save=save,
    )


def _draft_objectives(team, cycle) -> list[Objective]:
    return list(
        Objective.objects.filter(team=team, cycle=cycle, status=Objective.Status.DRAFT).order_by(
            "position", "id"
        )
    )


@login_required
@require_http_methods(["POST"])
def key_result_new(request: HttpRequest, team_slug: str, cycle_id: int) -> HttpResponse:
    def build(request, team, cycle):
        owners = selectors.team_owner_candidates(team=team)
        return KeyResultDraftForm(
            request.POST, owners=owners, objectives=_draft_objectives(team, cycle), prefix="kr"
        )

    def save(request, team, cycle, form):
        key_result_create(objective=form.cleaned_data["objective"], **form.service_data())

    return _create(request, team_slug, cycle_id, form_key="kr_form", form_id="new-kr", build=build, save=save)


@login_required
@require_http_methods(["POST"])
def initiative_new(request: HttpRequest, team_slug: str, cycle_id: int) -> HttpResponse:
    def build(request, team, cycle):
        owners = selectors.team_owner_candidates(team=team)
        return InitiativeDraftForm(
            request.POST, owners=owners, objectives=_draft_objectives(team, cycle), prefix="initiative"
        )

    def save(request, team, cycle, form):
        data = form.cleaned_data
        initiative_create(objective=data["objective"], title=data["title"], owner=data["owner"])

    return _create(
        request,
        team_slug,
        cycle_id,
        form_key="initiative_form",
        form_id="new-initiative",
        build=build,
        save=save,
    )


@login_required
@require_http_methods(["POST"])
def coach_preview(request: HttpRequest, team_slug: str, cycle_id: int) -> HttpResponse:
    """The coach's warnings for the key result being typed (no writes)."""
    team, cycle = selectors.workshop_get_for_user(user=request.user, team_slug=team_slug, cycle_id=cycle_id)
    form = KeyResultDraftForm(request.POST, owners=selectors.team_owner_candidates(team=team), prefix="kr")
    form.is_valid()  # a half-typed form: read what parsed, warn about the rest
    data = form.cleaned_data
    warnings = coach_rules.preview(
        title=data.get("title") or request.POST.get("kr-title", ""),
        kind=data.get("kind") or KeyResult.Kind.INCREASE_TO,
        start=data.get("start_value"),
        target=data.get("target_value"),
        owner_id=data["owner"].pk if data.get("owner") else None,
    )
    return render(request, "workshops/board.html#coach-preview", {"warnings": warnings})


# --- Editing and deleting drafts, adjusting published key results ---------------------------------------


EDIT_URLS = {
    "objective": "workshops:objective_edit",
    "key_result": "workshops:key_result_edit",
    "initiative": "workshops:initiative_edit",
}


def _edit_response(request, template_context: dict, *, status: int = 200) -> HttpResponse:
    template_context["edit_url"] = reverse(
        EDIT_URLS[template_context["kind"]], args=[template_context["object"].pk]
    )
    objective = template_context["objective"]
    # Decided here, shown by the template: drafts are edited and deleted, published key results adjusted.
    template_context["is_draft"] = objective.status == Objective.Status.DRAFT
    template_context["can_delete_draft"] = template_context["is_draft"] and is_writable(
        template_context["object"]
    )
    if request.htmx:
        return render(request, "workshops/edit.html#editor", template_context)
    return render(request, "workshops/edit.html", template_context, status=status)


def _after_edit(request, objective) -> HttpResponse:
    if request.htmx:
        return _board_list_response(request, objective.team, objective.cycle, clear_editor=True)
    if objective.cycle.status in selectors.WORKSHOP_CYCLE_STATUSES:
        return redirect(_board_url(objective.team, objective.cycle))
    return redirect(reverse("workshops:index"))


@login_required
@require_http_methods(["GET", "POST"])
def objective_edit(request: HttpRequest, pk: int) -> HttpResponse:
    objective = objective_get_for_user(user=request.user, pk=pk)
    if not can_draft(access_for(request.user), objective):
        raise PermissionDenied(
            _("Only drafts can be changed in the workshop, by the team and OKR ambassadors.")
        )
    require_writable(objective)
    parents = selectors.parent_objectives(user=request.user, team=objective.team, cycle=objective.cycle)
    owners = selectors.team_owner_candidates(team=objective.team)
    initial = {
        "title": objective.title,
        "owner": objective.owner_id,
        "parent": objective.parent_id,
        "version": objective.version,
    }
    form = ObjectiveEditForm(
        request.POST or None, owners=owners, parents=parents, initial=initial, prefix="edit"
    )
    status = 200
    if request.method == "POST":
        status = form.save_with(
            lambda: objective_update(
                objective=objective, data=form.service_data(), version=form.cleaned_data["version"]
            ),
        )
        if status is None:
            return _after_edit(request, objective)
    context = {"form": form, "object": objective, "objective": objective, "kind": "objective"}
    return _edit_response(request, context, status=status)


def _changeable_key_result(request: HttpRequest, pk: int) -> KeyResult:
    """The key result, if the user may change it in the workshop (its plan too); 404 or 403 otherwise."""
    key_result = key_result_get_for_user(user=request.user, pk=pk)
    objective = key_result.objective
    access = access_for(request.user)
    is_draft = objective.status == Objective.Status.DRAFT
    allowed = can_draft(access, objective) if is_draft else can_edit_objective(access, objective)
    if not allowed:
        raise PermissionDenied(_("You may not change this key result."))
    require_writable(key_result)
    return key_result


@login_required
@require_http_methods(["GET", "POST"])
def key_result_edit(request: HttpRequest, pk: int) -> HttpResponse:
    key_result = _changeable_key_result(request, pk)
    objective = key_result.objective
    access = access_for(request.user)
    is_draft = objective.status == Objective.Status.DRAFT
    owners = selectors.team_owner_candidates(team=objective.team)
    initial = {
        name: getattr(key_result, name) for name in ("title", "kind", "unit", "start_value", "target_value")
    }
    initial["owner"] = key_result.owner_id
    initial["version"] = key_result.version
    form_class = KeyResultDraftEditForm if is_draft else KeyResultAdjustForm
    form = form_class(request.POST or None, owners=owners, initial=initial, prefix="edit")
    status, title_suggestion, offer_title = 200, None, False
    if request.method == "POST":
        choice = request.POST.get("title_choice")
        if form.is_valid():
            title_suggestion = _title_with_new_numbers(key_result, form.service_data())
        # The title still says the old start or target: once the change is otherwise fine, offer the title
        # with the new numbers (a trial run, rolled back, so every rule of the adjustment is checked first).
        offer_title = title_suggestion is not None and choice not in TITLE_CHOICES

        def adjust() -> None:
            data = form.service_data()
            if title_suggestion and choice == "suggested":
                data["title"] = title_suggestion
            with transaction.atomic():
                key_result_adjust(
                    key_result=key_result,
                    actor=request.user,
                    data=data,
                    reason=form.cleaned_data.get("reason", ""),
                    version=form.cleaned_data["version"],
                )
                if offer_title:
                    raise _TitleOffer

        try:
            status = form.save_with(adjust)
        except _TitleOffer:
            key_result.refresh_from_db()
            status = 200
        else:
            offer_title = False
            if status is None:
                return _after_edit(request, objective)
    context = {
        "form": form,
        "title_suggestion": title_suggestion if offer_title else None,
        "object": key_result,
        "objective": objective,
        "kind": "key_result",
        "timeline": key_result_timeline(key_result=key_result),
        "can_retire": not is_draft and can_edit_objective(access, objective),
        "retire_form": ReasonForm(prefix="retire"),
        "plan_formset": milestone_formset(key_result) if key_result.kind in PACED_KINDS else None,
    }
    return _edit_response(request, context, status=status)


TITLE_CHOICES = ("suggested", "keep")  # the buttons under a title suggestion (workshops/edit.html)


class _TitleOffer(Exception):
    """Rolls back the trial run of an adjustment whose title is offered with the new numbers first."""


def _title_with_new_numbers(key_result: KeyResult, data: dict) -> str | None:
    """The title with the new start and target in place of the old ones, when the lead left it as it was."""
    if data["title"] != key_result.title:
        return None
    mark = decimal_mark()
    return quality.retitle(
        key_result.title,
        old_start=key_result.start_value,
        old_target=key_result.target_value,
        new_start=data["start_value"],
        new_target=data["target_value"],
        decimal_mark=mark,
        # Norwegian groups thousands with a space ("1 400"); an English comma would read as a decimal mark.
        group_separator="\u00a0" if mark == "," else "",
    )


@login_required
@require_http_methods(["GET", "POST"])
def key_result_plan(request: HttpRequest, pk: int) -> HttpResponse:
    """The planned path of a key result: its milestones, which expected progress then follows."""
    key_result = _changeable_key_result(request, pk)
    if key_result.kind not in PACED_KINDS:
        raise PermissionDenied(_("Only “increase to” and “decrease to” key results have a planned path."))
    formset = milestone_formset(key_result, request.POST if request.method == "POST" else None)
    saved, plan_errors = False, []
    if request.method == "POST" and formset.is_valid():
        try:
            services_key_result_plan_set(key_result=key_result, actor=request.user, milestones=formset.plan())
        except ValidationError as error:
            plan_errors = error.messages
        else:
            if not request.htmx:
                messages.success(request, _("The planned path was saved."))
                return redirect(reverse("workshops:key_result_edit", args=[key_result.pk]))
            formset, saved = milestone_formset(key_result), True
    context = {
        "key_result": key_result,
        "objective": key_result.objective,
        "plan_formset": formset,
        "plan_errors": plan_errors,
        "saved": saved,
    }
    if request.htmx:
        # Errors come back as 200 too: htmx does not swap 4xx responses, and the errors belong in place.
        return render(request, "workshops/_plan.html", context)
    return render(request, "workshops/plan.html", context, status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def initiative_edit(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = initiative_get_for_user(user=request.user, pk=pk)
    objective = initiative.objective
    if not can_draft(access_for(request.user), objective):
        raise PermissionDenied(
            _("Only drafts can be changed in the workshop, by the team and OKR ambassadors.")
        )
    require_writable(initiative)
    owners = selectors.team_owner_candidates(team=objective.team)
    initial = {"title": initiative.title, "owner": initiative.owner_id, "version": initiative.version}
    form = InitiativeEditForm(request.POST or None, owners=owners, initial=initial, prefix="edit")
    status = 200
    if request.method == "POST":
        status = form.save_with(
            lambda: initiative_update(
                initiative=initiative, data=form.service_data(), version=form.cleaned_data["version"]
            ),
        )
        if status is None:
            return _after_edit(request, objective)
    context = {"form": form, "object": initiative, "objective": objective, "kind": "initiative"}
    return _edit_response(request, context, status=status)


@login_required
@require_http_methods(["POST"])
def draft_delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    getters = {
        "objective": (objective_get_for_user, lambda o: o, objective_delete, "objective"),
        "key_result": (key_result_get_for_user, lambda o: o.objective, key_result_delete, "key_result"),
        "initiative": (initiative_get_for_user, lambda o: o.objective, initiative_delete, "initiative"),
    }
    getter, objective_of, delete, keyword = getters[kind]
    obj = getter(user=request.user, pk=pk)
    objective = objective_of(obj)
    if not can_draft(access_for(request.user), objective):
        raise PermissionDenied(_("Only drafts can be deleted in the workshop."))
    team, cycle = objective.team, objective.cycle
    delete(**{keyword: obj})
    return _after_edit(request, Objective(team=team, cycle=cycle))


@login_required
@require_http_methods(["POST"])
def key_result_retire(request: HttpRequest, pk: int) -> HttpResponse:
    key_result = key_result_get_for_user(user=request.user, pk=pk)
    objective = key_result.objective
    if not is_published(objective) or not can_edit_objective(access_for(request.user), objective):
        raise PermissionDenied(_("Only the team's leads retire published key results."))
    form = ReasonForm(request.POST, prefix="retire")
    if form.is_valid():
        try:
            services.key_result_retire(
                key_result=key_result, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The key result is retired. Its history is kept."))
            return _after_edit(request, objective)
    context = {
        "form": KeyResultEditForm(
            owners=selectors.team_owner_candidates(team=objective.team),
            prefix="edit",
            initial={"title": key_result.title},
        ),
        "object": key_result,
        "objective": objective,
        "kind": "key_result",
        "timeline": key_result_timeline(key_result=key_result),
        "can_retire": True,
        "retire_form": form,
    }
    return _edit_response(request, context, status=400)


@login_required
@require_http_methods(["GET"])
def key_result_history(request: HttpRequest, pk: int) -> HttpResponse:
    key_result = key_result_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "workshops/key_result_history.html",
        {"key_result": key_result, "timeline": key_result_timeline(key_result=key_result)},
    )


# --- Publishing ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest, team_slug: str, cycle_id: int) -> HttpResponse:
    team, cycle = selectors.workshop_get_for_user(user=request.user, team_slug=team_slug, cycle_id=cycle_id)
    if not can_publish(access_for(request.user), team_id=team.pk):
        raise PermissionDenied(_("Only the team's leads and OKR ambassadors publish."))
    if request.method == "POST":
        count = services.team_cycle_publish(team=team, cycle=cycle)
        messages.success(request, _("Published %(count)d objectives.") % {"count": count})
        return redirect(_board_url(team, cycle))
    context = _board_context(request, team, cycle)
    drafts = context["drafts"]
    context["draft_warnings"] = [
        (objective, objective.coach_warnings, [(kr, kr.coach_warnings) for kr in objective.key_results.all()])
        for objective in drafts
    ]
    return render(request, "workshops/publish.html", context)


# --- Closing a cycle: final scores and the retrospective ----------------------------------------------------


def _close_context(request, team, cycle, *, retro_form=None, score_errors=None) -> dict:
    access = access_for(request.user)
    objectives = selectors.board_objectives(
        team=team, cycle=cycle, statuses=(Objective.Status.ACTIVE, Objective.Status.ARCHIVED)
    )
    rows = []
    for objective in objectives:
        for key_result in objective.key_results.all():
            if key_result.retired_at is not None:
                continue
            score = key_result.final_score
            rows.append(
                {
                    "key_result": key_result,
                    "objective": objective,
                    "progress": key_result.progress,
                    "score": score if score is not None else round(key_result.progress, 2),
                    "graded": score is not None,
                    "can_grade": can_grade_key_result(access, key_result),
                }
            )
    retrospective = selectors.retrospective_get(team=team, cycle=cycle)
    if retro_form is None:
        initial = {}
        if retrospective is not None:
            initial = {
                "what_worked": retrospective.what_worked,
                "what_to_change": retrospective.what_to_change,
            }
        retro_form = RetrospectiveForm(initial=initial)
    read_only_reason = write_refusal(cycle)
    is_open = read_only_reason is None
    active_objectives = sum(1 for o in objectives if o.status == Objective.Status.ACTIVE)
    return {
        "team": team,
        "cycle": cycle,
        "rows": rows,
        "retrospective": retrospective,
        "retro_form": retro_form,
        # The retrospective starts from what the team's meetings decided during the cycle.
        "cycle_meetings": cycle_meetings(team=team, cycle=cycle),
        "score_errors": score_errors or [],
        "is_open": is_open,
        "read_only_reason": read_only_reason,
        "can_write_retro": is_open and can_run_workshop(access, team_id=team.pk),
        "can_close_team": cycle.is_closable and can_lead_team(access, team.pk) and active_objectives > 0,
        "can_close_cycle": cycle.is_closable and can_manage_cycles(access),
        # What closing will do, said before the lead confirms it.
        "active_objectives": active_objectives,
        "ungraded": sum(1 for row in rows if not row["graded"]),
        "can_grade_any": is_open and any(row["can_grade"] for row in rows),
    }


def _closing(request: HttpRequest, team_slug: str, cycle_id: int):
    """The team and cycle of a closing action, while the cycle may still change (409 otherwise)."""
    team, cycle = selectors.team_cycle_get_for_user(user=request.user, team_slug=team_slug, cycle_id=cycle_id)
    require_writable(cycle)
    return team, cycle


def _close_page(team, cycle) -> HttpResponse:
    return redirect(reverse("workshops:close", args=[team.slug, cycle.pk]))


@login_required
@require_http_methods(["GET"])
def close(request: HttpRequest, team_slug: str, cycle_id: int) -> HttpResponse:
    """The closing page: final scores, the retrospective and the close buttons, each posting to its URL."""
    team, cycle = selectors.team_cycle_get_for_user(user=request.user, team_slug=team_slug, cycle_id=cycle_id)
    return render(request, "workshops/close.html", _close_context(request, team, cycle))


@login_required
@require_http_methods(["POST"])
def close_scores(request: HttpRequest, team_slug: str, cycle_id: int) -> HttpResponse:
    team, cycle = _closing(request, team_slug, cycle_id)
    context = _close_context(request, team, cycle)
    to_grade, errors = [], []
    for row in context["rows"]:
        key_result = row["key_result"]
        raw = request.POST.get(f"score-{key_result.pk}")
        if raw is None or raw.strip() == "":
            continue
        if not row["can_grade"]:
            raise PermissionDenied(_("Only the key result's owner or a team lead gives its final score."))
        try:
            value = parse_number(raw)
        except ValueError:
            value = None
        if value is None or not (0 <= value <= 1):
            errors.append(_("“%(title)s”: enter a score between 0.0 and 1.0.") % {"title": key_result.title})
            continue
        to_grade.append((key_result, value))
    if errors:
        context["score_errors"] = errors
        return render(request, "workshops/close.html", context, status=400)
    for key_result, value in to_grade:
        if key_result.final_score != value.quantize(Decimal("0.01")):
            services.key_result_grade(key_result=key_result, actor=request.user, score=value)
    messages.success(request, _("Final scores saved."))
    return _close_page(team, cycle)


@login_required
@require_http_methods(["POST"])
def close_retrospective(request: HttpRequest, team_slug: str, cycle_id: int) -> HttpResponse:
    team, cycle = _closing(request, team_slug, cycle_id)
    if not can_run_workshop(access_for(request.user), team_id=team.pk):
        raise PermissionDenied(_("Only the team writes its retrospective."))
    form = RetrospectiveForm(request.POST)
    if not form.is_valid():
        context = _close_context(request, team, cycle, retro_form=form)
        return render(request, "workshops/close.html", context, status=400)
    services.retrospective_save(team=team, cycle=cycle, actor=request.user, **form.cleaned_data)
    messages.success(request, _("Retrospective saved."))
    return _close_page(team, cycle)


@login_required
@require_http_methods(["POST"])
def close_team(request: HttpRequest, team_slug: str, cycle_id: int) -> HttpResponse:
    team, cycle = _closing(request, team_slug, cycle_id)
    if not can_lead_team(access_for(request.user), team.pk):
        raise PermissionDenied(_("Only the team's leads close the team's cycle."))
    count = services.team_cycle_close(team=team, cycle=cycle, actor=request.user)
    messages.success(
        request, _("Closed: %(count)d objectives are now archived and read-only.") % {"count": count}
    )
    return _close_page(team, cycle)


# --- Carrying over ------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def carry_over(request: HttpRequest, team_slug: str, cycle_id: int) -> HttpResponse:
    team, cycle = selectors.team_cycle_get_for_user(user=request.user, team_slug=team_slug, cycle_id=cycle_id)
    if not can_create_objective(access_for(request.user), team_id=team.pk):
        raise PermissionDenied(_("Only the team's leads and OKR ambassadors carry objectives over."))
    objectives = selectors.board_objectives(
        team=team, cycle=cycle, statuses=(Objective.Status.ACTIVE, Objective.Status.ARCHIVED)
    )
    groups = []
    for objective in objectives:
        unfinished = [
            kr for kr in objective.key_results.all() if kr.retired_at is None and services.is_unfinished(kr)
        ]
        if unfinished:
            groups.append((objective, unfinished))
    targets = list(selectors.next_cycles(cycle=cycle))
    errors: list[str] = []
    if request.method == "POST":
        target = next((c for c in targets if str(c.pk) == request.POST.get("target")), None)
        if target is None:
            errors.append(_("Choose a later cycle that is not closed."))
        else:
            ids = [int(v) for v in request.POST.getlist("key_results") if v.isdigit()]
            try:
                copies = services.carry_over(team=team, source=cycle, target=target, key_result_ids=ids)
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                messages.success(
                    request,
                    _("Carried over %(count)d objectives into %(cycle)s as drafts.")
                    % {"count": len(copies), "cycle": target.name},
                )
                if target.status in selectors.WORKSHOP_CYCLE_STATUSES:
                    return redirect(_board_url(team, target))
                return redirect(reverse("workshops:index"))
    context = {"team": team, "cycle": cycle, "groups": groups, "targets": targets, "errors": errors}
    return render(request, "workshops/carry_over.html", context, status=400 if errors else 200)


# --- KPIs ---------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def kpi_promote(request: HttpRequest, pk: int) -> HttpResponse:
    key_result = key_result_get_for_user(user=request.user, pk=pk)
    objective = key_result.objective
    if not can_lead_team(access_for(request.user), objective.team_id):
        raise PermissionDenied(_("Only the team's leads promote a key result to a KPI."))
    kind = key_result.kind if key_result.kind in Kpi.Kind.values else Kpi.Kind.STAY_ABOVE
    initial = {
        "name": key_result.title,
        "unit": key_result.unit,
        "kind": kind,
        "target_value": key_result.target_value,
    }
    form = KpiPromoteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            kpi = services.kpi_promote(key_result=key_result, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("“%(name)s” is now a KPI of the team.") % {"name": kpi.name})
            return redirect(reverse("workshops:kpi_detail", args=[kpi.pk]))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "workshops/kpi_promote.html", {"form": form, "key_result": key_result}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def kpi_detail(request: HttpRequest, pk: int) -> HttpResponse:
    kpi = selectors.kpi_get_for_user(user=request.user, pk=pk)
    may_check_in = can_check_in_kpi(access_for(request.user), kpi)
    form = KpiCheckInForm(request.POST or None)
    if request.method == "POST":
        if not may_check_in:
            raise PermissionDenied(_("Only the team's members and leads check in on its KPIs."))
        if form.is_valid():
            try:
                services.kpi_checkin_submit(kpi=kpi, author=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Check-in saved."))
                return redirect(reverse("workshops:kpi_detail", args=[kpi.pk]))
    measurements = list(kpi.measurements.select_related("author")[:200])
    context = {
        "kpi": kpi,
        "form": form,
        "may_check_in": may_check_in,
        "measurements": measurements,
        "chart": kpi_chart(kpi, measurements),
    }
    return render(request, "workshops/kpi_detail.html", context, status=400 if form.errors else 200)


def kpi_chart(kpi, measurements):
    """The same line chart as a key result's, without a cycle: from the first check-in to today."""
    today = timezone.localdate()
    points = sorted((timezone.localtime(m.created_at).date(), m.value) for m in measurements)
    start = points[0][0] if points else today - timedelta(days=28)
    end = max(today, start + timedelta(days=7))
    series = [
        charts.Series(label=str(_("Actual")), points=points, style="actual"),
        charts.Series(
            label=str(_("Target")),
            points=[(start, kpi.target_value), (end, kpi.target_value)],
            style="target",
        ),
    ]
    return charts.line_chart(
        chart_id=f"kpi-{kpi.pk}-chart",
        series=series,
        start=start,
        end=end,
        title=kpi.name,
        description=_("Check-ins on the KPI over time, with the target or threshold as a dashed line."),
        y_unit=kpi.unit,
        today=today,
        today_label=_("Today"),
        # ISO weeks along the x axis, as on a key result's burn-up chart.
        week_label=lambda monday: _("W%(week)d") % {"week": monday.isocalendar().week},
    )
