"""Recording events and fanning them out to the endpoints that subscribe (one Delivery each).

The JSON every webhook receives (documented in docs/webhooks.md, schema in integrations/schemas/)::

    {"id": "<uuid>", "type": "checkin.created", "occurred_at": "2026-12-01T10:00:00+00:00",
     "team": {"id": 3, "slug": "support", "name": "Support"} | null, "data": {...}}

``id`` is the event's: a receiver that gets it twice (a retry after a lost answer) can tell.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from integrations.models import Delivery, Endpoint, Event, EventType
from objectives.figures import figures_of
from okrhub.mail import absolute_url
from teams.models import Team
from teams.selectors import team_ancestor_ids, user_display_name


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user_display_name(user)}


def team_ref(team: Team | None) -> dict | None:
    if team is None:
        return None
    return {
        "id": team.pk,
        "slug": team.slug,
        "name": team.name,
        "url": absolute_url(reverse("teams:detail", args=(team.slug,))),
    }


def key_result_ref(key_result) -> dict:
    """A key result as payloads show it, figures from the one read model (objectives/figures.py)."""
    figures = figures_of(key_result)
    objective = key_result.objective
    return {
        "id": key_result.pk,
        "title": key_result.title,
        "url": absolute_url(reverse("checkins:key_result_detail", args=(key_result.pk,))),
        "owner": person(key_result.owner),
        "current_value": _number(key_result.current_value),
        "target_value": _number(key_result.target_value),
        "unit": key_result.unit,
        "confidence": key_result.confidence,
        "progress": round(figures.progress, 4),
        "expected_progress": None if figures.expected is None else round(figures.expected, 4),
        "health": figures.health,
        "attention_reasons": list(figures.reasons),
        "objective": {"id": objective.pk, "title": objective.title},
    }


def payload(event: Event) -> dict[str, Any]:
    return {
        "id": str(event.uuid),
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "team": event.data.get("_team"),
        "data": {key: value for key, value in event.data.items() if key != "_team"},
    }


def payload_bytes(event: Event) -> bytes:
    return json.dumps(payload(event), ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def subscribers(*, event_type: str, team: Team | None) -> list[Endpoint]:
    """Active endpoints that want this event: the organisation's, and those of the team and the teams above
    it (a team's endpoint covers the teams below it). An event without a team (a cycle closing) goes to
    every subscribing endpoint."""
    endpoints = Endpoint.objects.filter(is_active=True)
    if team is not None:
        endpoints = endpoints.filter(
            Q(team__isnull=True) | Q(team_id__in=[team.pk, *team_ancestor_ids(team)])
        )
    return [endpoint for endpoint in endpoints if endpoint.subscribes_to(event_type)]


def event_record(
    *,
    type: str,  # noqa: A002 - the payload's name for it
    key: str,
    team: Team | None,
    data: dict[str, Any],
    occurred_at=None,
    only: Endpoint | None = None,
) -> Event | None:
    """Record the event once (``key``) and plan a delivery for each subscriber (or ``only`` that one), sent
    after commit. Nothing is recorded when nobody subscribes. Returns the event, or None."""
    endpoints = [only] if only is not None else subscribers(event_type=type, team=team)
    if not endpoints:
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = Event.objects.create(
                    type=type,
                    key=key,
                    team=team,
                    occurred_at=occurred_at or timezone.now(),
                    data={**data, "_team": team_ref(team)},
                )
        except IntegrityError:
            return Event.objects.filter(key=key).first()  # recorded already: its deliveries are planned
        Delivery.objects.bulk_create(
            [Delivery(event=event, endpoint=endpoint) for endpoint in endpoints], ignore_conflicts=True
        )
        delivery_ids = list(Delivery.objects.filter(event=event).values_list("pk", flat=True))

        def enqueue() -> None:
            from integrations.tasks import deliver

            for delivery_id in delivery_ids:
                deliver.delay(delivery_id)

        transaction.on_commit(enqueue)
    return event


def send_test_event(*, endpoint: Endpoint, actor) -> Event | None:
    """The "send test event" button: a ``test`` event for this endpoint only."""
    now = timezone.now()
    return event_record(
        type=EventType.TEST,
        key=f"test:{endpoint.pk}:{now.timestamp()}",
        team=endpoint.team,
        data={"message": "Test event from OKR Hub", "requested_by": person(actor)},
        occurred_at=now,
        only=endpoint,
    )
