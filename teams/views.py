from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

# The team page is the dashboard's drill-down: its OKRs come from the dashboard's read model, so both pages
# show the same figures.
from checkins.forms import FeedbackForm
from dashboards.selectors import cycle_default, cycle_list, scope_resolve, team_okrs_for_user, team_tree_nodes
from objectives.charts import sparkline
from objectives.permissions import access_for, can_manage_members, forget_access
from teams.forms import MemberAddForm, MemberRoleForm, ProfileForm
from teams.models import Membership, Profile, Team
from teams.selectors import team_members, team_tree
from teams.services import (
    api_token_rotate,
    membership_create,
    membership_delete,
    membership_update,
    profile_update,
)


@login_required
@require_http_methods(["GET"])
def team_list(request):
    access = access_for(request.user)
    rows = [
        {"team": team, "depth": depth, "is_mine": team.pk in access.team_ids} for team, depth in team_tree()
    ]
    return render(request, "teams/team_list.html", {"rows": rows})


# --- The team page: the dashboard's drill-down, and where leads manage members ---------------------------


def _team_page_context(request, team: Team, *, add_form: MemberAddForm | None = None) -> dict:
    access = access_for(request.user)
    cycles = cycle_list()
    by_pk = {str(cycle.pk): cycle for cycle in cycles}
    cycle = by_pk.get(request.GET.get("cycle", "")) or cycle_default(cycles)
    scope = scope_resolve(slug=team.slug, nodes=team_tree_nodes())
    objectives = team_okrs_for_user(user=request.user, team=team, cycle=cycle) if cycle else []
    for objective in objectives:
        for item in objective.key_results:
            values = ", ".join(str(value) for value in item.confidences)
            item.sparkline = sparkline(
                item.confidences,
                label=_("Confidence in the last check-ins, oldest first: %(values)s") % {"values": values},
            )
            if item.can_give_feedback:
                # Leads comment on the key result or on one of the check-ins already loaded for the sparkline.
                item.feedback_form = FeedbackForm(
                    key_result=item.key_result, checkins=list(reversed(item.latest_checkins))
                )
    can_manage = can_manage_members(access, team)
    return {
        "team": team,
        "ancestors": scope.ancestors,
        "children": [node.team for node in scope.nodes if node.depth == 1],
        "cycles": cycles,
        "cycle": cycle,
        "objectives": objectives,
        "memberships": team_members(team=team),
        "can_manage": can_manage,
        "add_form": add_form or (MemberAddForm(team=team) if can_manage else None),
        "role_choices": Membership.Role.choices,
    }


@login_required
@require_http_methods(["GET"])
def team_detail(request, slug: str):
    team = get_object_or_404(Team, slug=slug)
    return render(request, "teams/team_detail.html", _team_page_context(request, team))


def _managed_team(request, slug: str) -> Team:
    team = get_object_or_404(Team, slug=slug)
    if not can_manage_members(access_for(request.user), team):
        raise PermissionDenied(_("Only the team's leads can change its members."))
    return team


def _members_response(request, team: Team, *, add_form: MemberAddForm | None = None, status: int = 200):
    """htmx: the members section again; without JavaScript: back to the team page, or the page with errors."""
    forget_access(request.user)  # a lead may just have changed their own role
    if request.htmx:
        # Errors come back as 200 too: htmx does not swap 4xx responses, and the errors belong in place.
        context = _team_page_context(request, team, add_form=add_form)
        return render(request, "teams/team_detail.html#members", context)
    if add_form is not None and add_form.errors:
        context = _team_page_context(request, team, add_form=add_form)
        return render(request, "teams/team_detail.html", context, status=status)
    return redirect("teams:detail", slug=team.slug)


@login_required
@require_http_methods(["POST"])
def member_add(request, slug: str):
    team = _managed_team(request, slug)
    form = MemberAddForm(request.POST, team=team)
    if form.is_valid():
        try:
            membership = membership_create(
                team=team, user=form.cleaned_data["user"], role=form.cleaned_data["role"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(
                request,
                _("%(name)s was added to %(team)s.") % {"name": _name(membership.user), "team": team.name},
            )
            return _members_response(request, team)
    return _members_response(request, team, add_form=form, status=422)


@login_required
@require_http_methods(["POST"])
def member_role(request, slug: str, pk: int):
    team = _managed_team(request, slug)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, team=team)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return _members_response(request, team, status=422)
    membership_update(membership=membership, data={"role": form.cleaned_data["role"]})
    messages.success(
        request,
        _("%(name)s is now %(role)s.")
        % {"name": _name(membership.user), "role": membership.get_role_display()},
    )
    return _members_response(request, team)


@login_required
@require_http_methods(["POST"])
def member_remove(request, slug: str, pk: int):
    team = _managed_team(request, slug)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, team=team)
    membership_delete(membership=membership)
    messages.success(
        request,
        _("%(name)s was removed from %(team)s.") % {"name": _name(membership.user), "team": team.name},
    )
    return _members_response(request, team)


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The signed-in user's own settings (there is no id in the URL: nobody reaches another's profile)."""
    profile = Profile.objects.filter(user=request.user).first() or Profile(user=request.user)
    form = ProfileForm(instance=profile)
    if request.method == "POST" and request.POST.get("action") == "rotate_token":
        api_token_rotate(user=request.user)
        messages.success(request, _("Your API token was replaced. The old token no longer works."))
        return redirect("profile")
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=profile)
        if form.is_valid():
            profile = profile_update(user=request.user, **form.cleaned_data)
            language = profile.language or settings.LANGUAGE_CODE
            # The choice takes effect at once: for this confirmation and, through the cookie, the session.
            translation.activate(language)
            messages.success(request, _("Your settings were saved."))
            response = redirect("profile")
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
            return response
    token = Token.objects.filter(user=request.user).first()
    return render(request, "teams/profile.html", {"form": form, "token": token})
