"""Pages for webhooks and Teams/Slack channels: organisation admins for the organisation's, team leads for
their teams' (teams/permissions.py ``can_manage_integrations``). Secrets are shown once, on the page that
answers the POST that made them, and never again."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from integrations import services
from integrations.events import send_test_event
from integrations.forms import EndpointForm, TeamEndpointStartForm
from integrations.models import Delivery, Endpoint
from integrations.selectors import delivery_log, endpoint_get_for_user, endpoints_for
from okrhub.lib import apply_errors
from teams.models import Team
from teams.permissions import access_for, can_manage_integrations
from teams.pickers import integration_teams


def _may_open(request: HttpRequest) -> None:
    access = access_for(request.user)
    if not (access.manages_organisation or access.led_team_ids):
        raise PermissionDenied(_("Only organisation admins and team leads set up integrations."))


@login_required
@require_http_methods(["GET"])
def index(request: HttpRequest) -> HttpResponse:
    _may_open(request)
    access = access_for(request.user)
    endpoints = endpoints_for(user=request.user)
    teams = integration_teams(access)
    # ?team=<slug>: one team's integrations (the team page links here).
    team = _scope(request) if request.GET.get("team") else None
    if team is not None:
        endpoints, teams = endpoints.filter(team=team), teams.filter(pk=team.pk)
    start = TeamEndpointStartForm(
        request.GET if "new-kind" in request.GET else None,
        teams=teams,
        initial={"team": team},
        prefix="new",
    )
    if start.is_bound and start.is_valid():
        query = urlencode({"kind": start.cleaned_data["kind"], "team": start.cleaned_data["team"].slug})
        return redirect(f"{reverse('integrations:new')}?{query}")
    endpoints = list(endpoints)
    return render(
        request,
        "integrations/index.html",
        {
            "organisation_endpoints": [e for e in endpoints if e.team_id is None],
            "team_endpoints": [e for e in endpoints if e.team_id is not None],
            "may_add_for_teams": teams.exists(),
            "start_form": start,
            "team": team,
            "manages_organisation": access.manages_organisation and team is None,
        },
        status=400 if start.errors else 200,
    )


def _scope(request: HttpRequest) -> Team | None:
    slug = request.POST.get("team") or request.GET.get("team") or ""
    team = get_object_or_404(Team, slug=slug) if slug else None
    if not can_manage_integrations(access_for(request.user), team):
        raise PermissionDenied(_("You may not set up integrations here."))
    return team


def _kind(request: HttpRequest, team: Team | None) -> str:
    kind = request.POST.get("kind") or request.GET.get("kind") or Endpoint.Kind.WEBHOOK
    if kind not in Endpoint.Kind.values or (kind != Endpoint.Kind.WEBHOOK and team is None):
        raise Http404
    return kind


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def endpoint_new(request: HttpRequest) -> HttpResponse:
    team = _scope(request)
    kind = _kind(request, team)
    form = EndpointForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint, secret = services.endpoint_create(
                kind=kind,
                team=team,
                name=data["name"],
                url=data["url"],
                events=data["events"],
                language=data.get("language", ""),
                owner=request.user,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return render(
                request,
                "integrations/secret.html",
                {"endpoint": endpoint, "secret": secret, "created": True},
                status=201,
            )
    status = 422 if form.errors else 200
    return render(
        request,
        "integrations/endpoint_form.html",
        {"form": form, "team": team, "kind": kind, "kind_label": Endpoint.Kind(kind).label},
        status=status,
    )


def _detail_context(request: HttpRequest, endpoint: Endpoint, form: EndpointForm | None = None) -> dict:
    if form is None:
        form = EndpointForm(
            kind=endpoint.kind,
            editing=True,
            initial={
                "name": endpoint.name,
                "events": endpoint.events,
                "language": endpoint.language,
                "version": endpoint.version,
            },
        )
    deliveries = delivery_log(endpoint=endpoint)
    return {
        "endpoint": endpoint,
        "form": form,
        "deliveries": deliveries,
        # The log refreshes itself only while something is still on its way.
        "log_pending": any(delivery.status == Delivery.Status.PENDING for delivery in deliveries),
    }


@login_required
@require_http_methods(["GET"])
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_get_for_user(user=request.user, pk=pk)
    template = "integrations/endpoint_detail.html"
    if request.htmx and request.GET.get("part") == "log":
        template += "#log"
    return render(request, template, _detail_context(request, endpoint))


@login_required
@require_http_methods(["POST"])
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_get_for_user(user=request.user, pk=pk)
    form = EndpointForm(request.POST, kind=endpoint.kind, editing=True)
    status = form.save_with(
        lambda: services.endpoint_update(
            endpoint=endpoint, data=form.service_data(), version=form.cleaned_data.get("version")
        ),
        invalid=422,
    )
    if status is None:
        messages.success(request, _("Saved."))
        return redirect("integrations:detail", pk=endpoint.pk)
    endpoint.refresh_from_db()
    return render(
        request, "integrations/endpoint_detail.html", _detail_context(request, endpoint, form), status=status
    )


@never_cache
@login_required
@require_http_methods(["POST"])
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_get_for_user(user=request.user, pk=pk)
    if endpoint.kind != Endpoint.Kind.WEBHOOK:
        raise Http404
    secret = services.endpoint_rotate_secret(endpoint=endpoint)
    return render(
        request, "integrations/secret.html", {"endpoint": endpoint, "secret": secret, "created": False}
    )


@login_required
@require_http_methods(["POST"])
def endpoint_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_get_for_user(user=request.user, pk=pk)
    if not endpoint.is_active:
        messages.error(request, _("Enable the endpoint before sending a test event."))
    else:
        send_test_event(endpoint=endpoint, actor=request.user)
        messages.success(request, _("A test event is on its way; the log below shows how it went."))
    if request.htmx:
        return render(request, "integrations/endpoint_detail.html#log", _detail_context(request, endpoint))
    return redirect("integrations:detail", pk=endpoint.pk)


ACTIVE_MESSAGES = {
    True: _lazy("The endpoint is enabled again."),
    False: _lazy("The endpoint is disabled; nothing is sent to it until you enable it."),
}


@login_required
@require_http_methods(["POST"])
def endpoint_set_active(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    """Enable (``active``) or disable an endpoint: two URLs, one rule (``services.endpoint_set_active``)."""
    endpoint = endpoint_get_for_user(user=request.user, pk=pk)
    services.endpoint_set_active(endpoint=endpoint, active=active)
    messages.success(request, ACTIVE_MESSAGES[active])
    return redirect("integrations:detail", pk=endpoint.pk)


@login_required
@require_http_methods(["POST"])
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_get_for_user(user=request.user, pk=pk)
    services.endpoint_delete(endpoint=endpoint)
    messages.success(request, _("%(name)s was deleted.") % {"name": endpoint.name})
    return redirect("integrations:index")
