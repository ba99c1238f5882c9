"""Demo integrations: an organisation webhook and a Slack channel for Kurs og arrangementer, each with a
short delivery log, so Integrations (Organisation menu, and the team page for ``kari``) shows something at
once. Both start disabled: the demo has no receiver, and enabling one is the first thing to try (after
pointing it at a receiver of your own). Called from ``okrhub.demo.seed_demo``; safe to run twice."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from integrations import crypto
from integrations.delivery import ANSWERED
from integrations.models import Attempt, Delivery, Endpoint, Event, EventType
from integrations.services import new_secret, url_hint
from teams.models import Team

# (name, kind, team slug or None, URL, events, owner username)
DEMO_ENDPOINTS = [
    (
        "Eksempel: datavarehus",
        Endpoint.Kind.WEBHOOK,
        None,
        "https://example.org/okrhub/webhook",
        [EventType.CHECKIN_CREATED, EventType.OBJECTIVE_PUBLISHED, EventType.CYCLE_CLOSED],
        "orgadmin",
    ),
    (
        "Eksempel: #kurs i Slack",
        Endpoint.Kind.SLACK,
        "kurs-og-arrangementer",
        "https://hooks.slack.com/services/T0DEMO/B0DEMO/demo-not-a-real-token",
        [EventType.WEEKLY_SUMMARY, EventType.KEY_RESULT_NEEDS_ATTENTION],
        "kari",
    ),
]


def seed_integrations(*, users: dict[str, object], now: dt.datetime) -> None:
    for name, kind, team_slug, url, events, owner in DEMO_ENDPOINTS:
        if Endpoint.objects.filter(name=name).exists():
            continue
        team = Team.objects.filter(slug=team_slug).first() if team_slug else None
        if team_slug and team is None:
            continue
        endpoint = Endpoint.objects.create(
            kind=kind,
            team=team,
            name=name,
            url_encrypted=crypto.encrypt(url),
            url_hint=url_hint(url),
            secret_encrypted=crypto.encrypt(new_secret()) if kind == Endpoint.Kind.WEBHOOK else "",
            events=[str(event) for event in events],
            language="nb",
            owner=users.get(owner),
            is_active=False,
            disabled_reason=_("Demo: point it at your own receiver, then enable it."),
        )
        # A short history: one delivered at once, one delivered after a retry.
        for hours, answers in ((30, [200]), (6, [503, 200])):
            at = now - dt.timedelta(hours=hours)
            event = Event.objects.create(
                type=EventType.TEST,
                key=f"demo:{endpoint.pk}:{hours}",
                team=team,
                occurred_at=at,
                data={"message": "Test event from OKR Hub"},
            )
            delivery = Delivery.objects.create(
                event=event,
                endpoint=endpoint,
                status=Delivery.Status.SUCCEEDED,
                attempts=len(answers),
                finished_at=at + dt.timedelta(minutes=len(answers)),
                created_at=at,
            )
            for number, status in enumerate(answers, start=1):
                Attempt.objects.create(
                    delivery=delivery,
                    number=number,
                    at=at + dt.timedelta(minutes=number - 1),
                    status_code=status,
                    response_ms=180.0 + 40 * number,
                    ok=status == 200,
                    will_retry=status != 200,
                    error="" if status == 200 else ANSWERED % {"status": status},
                )
