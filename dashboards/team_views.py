"""The team list and the team page: the dashboard's drill-down, and where leads manage their members.

These pages read every layer (teams, the objectives' progress, the latest check-ins and feedback), so they
live here on top rather than in ``teams``, which the other apps build on. URLs stay under ``/teams/`` with
the ``teams:`` names (see ``team_urlpatterns`` in ``dashboards/urls.py``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from checkins.forms import FeedbackForm
from dashboards.selectors import cycle_default, cycle_list, scope_resolve, team_okrs_for_user
from meetings.selectors import latest_assessments
from objectives.charts import sparkline
from objectives.permissions import access_for, can_manage_members, forget_access
from okrhub.versioning import Change, StaleVersion, stale_message
from teams.forms import MemberAddForm, MemberRoleForm
from teams.models import Membership, Team
from teams.selectors import team_members, user_display_name
from teams.services import membership_create, membership_delete, membership_update
from teams.tree import TeamTree
from workshops.selectors import team_kpis

TEAMS_PER_PAGE = 100  # a municipality has thousands: the tree a page at a time, one's own teams on top


@login_required
@require_http_methods(["GET"])
def team_list(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    tree = TeamTree.load()
    page = Paginator(tree.nodes(), TEAMS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {"team": node.team, "depth": node.depth, "is_mine": node.team.pk in access.team_ids} for node in page
    ]
    mine = sorted(
        (tree.by_id[pk] for pk in access.team_ids if pk in tree.by_id), key=lambda team: (team.name, team.pk)
    )
    return render(request, "dashboards/team_list.html", {"rows": rows, "page": page, "mine": mine})


def _team_page_context(request: HttpRequest, team: Team, *, add_form: MemberAddForm | None = None) -> dict:
    access = access_for(request.user)
    cycles = cycle_list()
    by_pk = {str(cycle.pk): cycle for cycle in cycles}
    cycle = by_pk.get(request.GET.get("cycle", "")) or cycle_default(cycles)
    scope = scope_resolve(slug=team.slug, tree=TeamTree.load())
    # The dashboard's read model, so the team page and the dashboard show the same figures.
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
        "kpis": team_kpis(team_ids=[team.pk]),  # lazy: read only where the page shows them
        "kpis_show_team": False,
        # The section leader's latest checkpoint assessment of the team (meetings app).
        "assessment": latest_assessments([team.pk]).get(team.pk),
    }


@login_required
@require_http_methods(["GET"])
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    return render(request, "dashboards/team_detail.html", _team_page_context(request, team))


def _managed_team(request: HttpRequest, slug: str) -> Team:
    team = get_object_or_404(Team, slug=slug)
    if not can_manage_members(access_for(request.user), team):
        raise PermissionDenied(_("Only the team's leads can change its members."))
    return team


def _members_response(
    request: HttpRequest, team: Team, *, add_form: MemberAddForm | None = None, status: int = 200
) -> HttpResponse:
    """htmx: the members section again; without JavaScript: back to the team page, or the page with errors."""
    forget_access(request.user)  # a lead may just have changed their own role
    if request.htmx:
        # Errors come back as 200 too: htmx does not swap 4xx responses, and the errors belong in place.
        context = _team_page_context(request, team, add_form=add_form)
        return render(request, "dashboards/team_detail.html#members", context)
    if add_form is not None and add_form.errors:
        context = _team_page_context(request, team, add_form=add_form)
        return render(request, "dashboards/team_detail.html", context, status=status)
    return redirect("teams:detail", slug=team.slug)


@login_required
@require_http_methods(["POST"])
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
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
                _("%(name)s was added to %(team)s.")
                % {"name": user_display_name(membership.user), "team": team.name},
            )
            return _members_response(request, team)
    return _members_response(request, team, add_form=form, status=422)


@login_required
@require_http_methods(["POST"])
def member_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team = _managed_team(request, slug)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, team=team)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return _members_response(request, team, status=422)
    role = form.cleaned_data["role"]
    try:
        membership_update(membership=membership, data={"role": role}, version=form.cleaned_data["version"])
    except StaleVersion as stale:
        changes = []
        if stale.current.role != role:  # shown by the role's label, not its stored value
            changes.append(
                Change(
                    label=_("Role"),
                    theirs=stale.current.get_role_display(),
                    yours=Membership.Role(role).label,
                )
            )
        messages.error(request, stale_message(changes))
        return _members_response(request, team, status=409)
    messages.success(
        request,
        _("%(name)s is now %(role)s.")
        % {"name": user_display_name(membership.user), "role": membership.get_role_display()},
    )
    return _members_response(request, team)


@login_required
@require_http_methods(["POST"])
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team = _managed_team(request, slug)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, team=team)
    membership_delete(membership=membership)
    messages.success(
        request,
        _("%(name)s was removed from %(team)s.")
        % {"name": user_display_name(membership.user), "team": team.name},
    )
    return _members_response(request, team)
