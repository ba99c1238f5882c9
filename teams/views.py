from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_htmx.http import reswap, retarget
from rest_framework.authtoken.models import Token

from okrhub.lib import apply_errors
from teams import selectors, services
from teams.forms import PersonLookupForm, ProfileForm, TeamCreateForm, TeamMoveForm, TeamRenameForm
from teams.models import Profile, Team
from teams.people_forms import AccountForm
from teams.permissions import (
    Access,
    access_for,
    can_create_team,
    can_invite,
    can_manage_organisation,
    can_manage_people,
    can_rename_team,
    can_restructure_team,
)
from teams.pickers import move_parents, pickable_teams
from teams.search import team_search
from teams.selectors import user_display_name
from teams.services import api_token_rotate, profile_update
from teams.tree import TeamTree
from teams.two_factor import has_two_factor

ORG_ADMIN_REVOKE_SELF = gettext_lazy(
    "You cannot revoke your own organisation admin role; ask another organisation admin."
)


def set_language_cookie(response: HttpResponse, language: str) -> None:
    """Remember the language for the browser, as Django's set_language view does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@login_required
@never_cache  # shows the API token: no browser or proxy may keep a copy (Cache-Control: no-store)
@require_http_methods(["GET", "POST"])
def profile(request):
    """The signed-in user's own settings (there is no id in the URL: nobody reaches another's profile)."""
    profile = Profile.objects.filter(user=request.user).first() or Profile(user=request.user)
    leads = access_for(request.user).leads_a_team
    form = ProfileForm(instance=profile, leads_a_team=leads)
    if request.method == "POST" and request.POST.get("action") == "rotate_token":
        api_token_rotate(user=request.user)
        messages.success(request, _("Your API token was replaced. The old token no longer works."))
        return redirect("profile")
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=profile, leads_a_team=leads)
        if form.is_valid():
            profile = profile_update(user=request.user, **form.cleaned_data)
            language = profile.language or settings.LANGUAGE_CODE
            # The choice takes effect at once: for this confirmation and, through the cookie, the session.
            translation.activate(language)
            messages.success(request, _("Your settings were saved."))
            response = redirect("profile")
            set_language_cookie(response, language)
            return response
    return render(request, "teams/profile.html", profile_context(request, form=form))


def profile_context(
    request, *, form: ProfileForm | None = None, account_form: AccountForm | None = None
) -> dict:
    """What the profile page shows; the account view re-renders it with its form's errors."""
    if form is None:
        profile = Profile.objects.filter(user=request.user).first() or Profile(user=request.user)
        form = ProfileForm(instance=profile, leads_a_team=access_for(request.user).leads_a_team)
    user = request.user
    if account_form is None:
        account_form = AccountForm(
            initial={"first_name": user.first_name, "last_name": user.last_name, "email": user.email}
        )
    token = Token.objects.filter(user=user).first()
    access = access_for(user)
    return {
        "form": form,
        "account_form": account_form,
        "token": token,
        "can_invite": can_invite(access),
        "may_manage_people": can_manage_people(access),
        "has_two_factor": has_two_factor(user),
        "two_factor_required": settings.REQUIRE_2FA_FOR_STAFF and user.is_staff,
    }


# --- The Organisation page: the team tree and the organisation admins --------------------------------------
# One URL and one short view per action. Each works as a plain form (POST, then redirect back to the page)
# and inline over htmx, where a success re-renders the tree region at the page and search the user is on.

TREE_TARGET = "#organisation-tree"


def _organisation_access(request: HttpRequest) -> Access:
    access = access_for(request.user)
    if not access.may_open_organisation:
        raise PermissionDenied(_("The Organisation page is for organisation admins and team leads."))
    return access


def _tree_params(request: HttpRequest) -> QueryDict:
    """The search and page the user is looking at: the request's own for GET, else the page htmx came from."""
    if request.method == "GET" or not request.htmx or not request.htmx.current_url:
        return request.GET
    return QueryDict(urlsplit(request.htmx.current_url).query)


def _tree_context(request: HttpRequest, access: Access, *, notice: str = "") -> dict:
    params = _tree_params(request)
    query = params.get("q", "")[:100]
    rows = selectors.organisation_rows(
        team_ids=None if access.manages_organisation else access.led_team_ids, query=query
    )
    page = selectors.organisation_page(rows=rows, number=params.get("page"))
    for row in page.object_list:
        row.may_rename = can_rename_team(access, row)
        row.may_restructure = can_restructure_team(access, row)
        row.may_add_sub_team = not row.is_archived and can_create_team(access, parent_id=row.id)
    other = urlencode({"q": query}) if query else ""
    return {"page": page, "query": query, "other": other, "notice": notice, "here": request.get_full_path()}


def _tree_response(request: HttpRequest, access: Access, *, notice: str) -> HttpResponse:
    response = render(request, "teams/organisation.html#tree", _tree_context(request, access, notice=notice))
    return reswap(retarget(response, TREE_TARGET), "outerHTML")


def _safe_next(value: str) -> str:
    """A page of the Organisation page to go back to (its search and page), or "" — never elsewhere."""
    home = reverse("organisation:index")
    if value.startswith(home) and url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return value
    return ""


def _back(request: HttpRequest) -> HttpResponse:
    return redirect(_safe_next(request.POST.get("next", "")) or reverse("organisation:index"))


def _done(request: HttpRequest, access: Access, notice: str) -> HttpResponse:
    if request.htmx:
        return _tree_response(request, access, notice=notice)
    messages.success(request, notice)
    return _back(request)


def _refused(request: HttpRequest, access: Access, error: ValidationError) -> HttpResponse:
    notice = " ".join(error.messages)
    if request.htmx:
        return _tree_response(request, access, notice=notice)
    messages.error(request, notice)
    return _back(request)


def _form_response(
    request: HttpRequest, context: dict, *, valid: bool = True, status: int = 400
) -> HttpResponse:
    """The action's form: inline into the team's row over htmx, else a page of its own (with errors: 400,
    or ``status``, 409 when the team changed since the form was opened)."""
    context["next"] = _safe_next(request.POST.get("next") or request.GET.get("next") or "")
    context["cancel"] = reverse("organisation:index")
    if request.htmx:
        return render(request, "teams/organisation_form.html#team-form", context)
    return render(request, "teams/organisation_form.html", context, status=200 if valid else status)


def _team_for_action(pk: int) -> Team:
    return get_object_or_404(Team.objects.select_related("parent"), pk=pk)


@login_required
@require_http_methods(["GET"])
def organisation(request: HttpRequest) -> HttpResponse:
    access = _organisation_access(request)
    context = _tree_context(request, access)
    if request.htmx and request.htmx.target == TREE_TARGET.lstrip("#"):
        return render(request, "teams/organisation.html#tree", context)
    context["may_create_top"] = can_create_team(access, parent_id=None)
    context["create_form"] = TeamCreateForm(prefix="top")
    if can_manage_organisation(access):
        context["admins"] = selectors.org_admin_profiles()
        context["grant_form"] = PersonLookupForm(prefix="admin")
    return render(request, "teams/organisation.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def team_new(request: HttpRequest) -> HttpResponse:
    access = _organisation_access(request)
    parent_id = request.POST.get("parent") or request.GET.get("parent") or ""
    parent = _team_for_action(int(parent_id)) if parent_id.isdigit() else None
    if parent_id and parent is None:
        raise Http404
    if not can_create_team(access, parent_id=parent.pk if parent else None):
        raise PermissionDenied(_("You may create teams only inside the teams you lead."))
    form = TeamCreateForm(request.POST or None, prefix="top" if parent is None else "new")
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(parent=parent, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _done(request, access, _("Created the team “%(team)s”.") % {"team": team.name})
    context = {
        "form": form,
        "parent": parent,
        "action": reverse("organisation:team_new"),
        "title": _("New sub-team of %(team)s") % {"team": parent.name} if parent else _("New top-level team"),
        "submit": _("Create team"),
        "slot": f"team-{parent.pk}-panel" if parent else "top-panel",
    }
    return _form_response(request, context, valid=request.method == "GET")


def _save_team(form, team: Team) -> int | None:
    """The rename or move form's change, saved over the version it was opened at (``save_with``)."""
    return form.save_with(
        lambda: services.team_update(
            team=team, data=form.service_data(), version=form.cleaned_data["version"]
        )
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_rename(request: HttpRequest, pk: int) -> HttpResponse:
    access = _organisation_access(request)
    team = _team_for_action(pk)
    if not can_rename_team(access, team):
        raise PermissionDenied(_("You may rename only the teams you lead and the teams below them."))
    form = TeamRenameForm(
        request.POST or None,
        initial={
            "name": team.name,
            "slug": team.slug,
            "checkpoint_weeks": team.checkpoint_weeks,
            "version": team.version,
        },
        prefix="rename",
        is_section=bool(TeamTree.load().children(team.pk)),
    )
    status = 400
    if request.method == "POST":
        status = _save_team(form, team)
        if status is None:
            return _done(request, access, _("Saved the team “%(team)s”.") % {"team": team.name})
    context = {
        "form": form,
        "team": team,
        "action": reverse("organisation:team_rename", args=[team.pk]),
        "title": _("Rename %(team)s") % {"team": team.name},
        "submit": _("Save"),
        "slot": f"team-{team.pk}-panel",
    }
    return _form_response(request, context, valid=request.method == "GET", status=status)


@login_required
@require_http_methods(["GET", "POST"])
def team_move(request: HttpRequest, pk: int) -> HttpResponse:
    access = _organisation_access(request)
    team = _team_for_action(pk)
    if not can_restructure_team(access, team):
        raise PermissionDenied(_("You may move only the teams below the teams you lead."))
    form = TeamMoveForm(
        request.POST or None,
        initial={"parent": team.parent_id, "version": team.version},
        team=team,
        parents=move_parents(access, team),
        allow_top_level=access.manages_organisation,
        prefix="move",
    )
    status = 400
    if request.method == "POST":
        status = _save_team(form, team)
        if status is None:
            parent = team.parent
            notice = (
                _("Moved “%(team)s” below “%(parent)s”.") % {"team": team.name, "parent": parent.name}
                if parent
                else _("Moved “%(team)s” to the top level.") % {"team": team.name}
            )
            return _done(request, access, notice)
    context = {
        "form": form,
        "team": team,
        "action": reverse("organisation:team_move", args=[team.pk]),
        "title": _("Move %(team)s") % {"team": team.name},
        "submit": _("Move"),
        "slot": f"team-{team.pk}-panel",
    }
    return _form_response(request, context, valid=request.method == "GET", status=status)


@login_required
@require_http_methods(["POST"])
def team_archive(request: HttpRequest, pk: int) -> HttpResponse:
    access = _organisation_access(request)
    team = _team_for_action(pk)
    if not can_restructure_team(access, team):
        raise PermissionDenied(_("You may archive only the teams below the teams you lead."))
    try:
        services.team_archive(team=team)
    except ValidationError as error:
        return _refused(request, access, error)
    return _done(request, access, _("Archived “%(team)s”. Its history is kept.") % {"team": team.name})


@login_required
@require_http_methods(["POST"])
def team_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    access = _organisation_access(request)
    team = _team_for_action(pk)
    if not can_restructure_team(access, team):
        raise PermissionDenied(_("You may reactivate only the teams below the teams you lead."))
    try:
        services.team_reactivate(team=team)
    except ValidationError as error:
        return _refused(request, access, error)
    return _done(request, access, _("Reactivated “%(team)s”.") % {"team": team.name})


def _admin_access(request: HttpRequest) -> Access:
    access = access_for(request.user)
    if not can_manage_organisation(access):
        raise PermissionDenied(_("Only organisation admins grant and revoke the role."))
    return access


@login_required
@require_http_methods(["POST"])
def org_admin_grant(request: HttpRequest) -> HttpResponse:
    _admin_access(request)
    form = PersonLookupForm(request.POST, prefix="admin")
    if not form.is_valid():
        for error in form.errors.get("user", []):
            messages.error(request, error)
        return redirect(f"{reverse('organisation:index')}#org-admins")
    user = form.cleaned_data["user"]
    services.org_admin_set(user=user, is_org_admin=True)
    messages.success(request, _("%(name)s is now an organisation admin.") % {"name": user_display_name(user)})
    return redirect(f"{reverse('organisation:index')}#org-admins")


@login_required
@require_http_methods(["POST"])
def org_admin_revoke(request: HttpRequest, user_id: int) -> HttpResponse:
    _admin_access(request)
    user = get_object_or_404(get_user_model(), pk=user_id)
    if user.pk == request.user.pk:
        messages.error(request, ORG_ADMIN_REVOKE_SELF)
    else:
        services.org_admin_set(user=user, is_org_admin=False)
        messages.success(
            request, _("%(name)s is no longer an organisation admin.") % {"name": user_display_name(user)}
        )
    return redirect(f"{reverse('organisation:index')}#org-admins")


@login_required
@require_http_methods(["GET"])
def team_pick(request: HttpRequest) -> HttpResponse:
    """A form's team picker (teams.forms.TeamField): the first matches of what was typed among the teams
    that form may choose (``purpose``: teams/pickers.py, permission-checked here as in the form), as JSON
    for static/js/team_picker.js: each match's slug, name and path, and the live status line."""
    teams = pickable_teams(access_for(request.user), request.GET.get("purpose", ""), request.GET)
    search = team_search(query=request.GET.get("q"), teams=teams)
    status = render_to_string("teams/_team_search_status.html", {"search": search}, request=request)
    return JsonResponse(
        {
            "status": status.strip(),
            "matches": [
                {"slug": match.team.slug, "name": match.team.name, "path": match.path_text}
                for match in search.matches
            ],
        }
    )
