"""Reads for integration endpoints, each knowing the user: an endpoint they may not manage is a 404."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from integrations.models import Attempt, Delivery, Endpoint
from teams.permissions import access_for, integrations_team_ids

LOG_LENGTH = 25


def endpoints_for(*, user) -> QuerySet[Endpoint]:
    """The endpoints the user manages: all for organisation admins, their teams' for leads."""
    team_ids = integrations_team_ids(access_for(user))
    endpoints = Endpoint.objects.select_related("team", "owner").order_by("team__name", "name", "id")
    if team_ids is None:
        return endpoints
    return endpoints.filter(team_id__in=team_ids)


def endpoint_get_for_user(*, user, pk: int) -> Endpoint:
    endpoint = endpoints_for(user=user).filter(pk=pk).first()
    if endpoint is None:
        raise Http404
    return endpoint


def delivery_log(*, endpoint: Endpoint, limit: int = LOG_LENGTH) -> list[Delivery]:
    """The latest deliveries with their attempts, newest first (two queries)."""
    return list(
        Delivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("attempt_log", queryset=Attempt.objects.order_by("-number")))
        .order_by("-created_at", "-id")[:limit]
    )
