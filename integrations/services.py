"""Writes for integration endpoints: create (the secret is returned once), edit, rotate, enable, disable."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations import crypto, safe_http
from integrations.models import CHANNEL_EVENTS, WEBHOOK_EVENTS, Endpoint, EventType
from notifications.rendering import absolute_reverse, user_language
from okrhub.mail import build_message
from okrhub.versioning import lock_at_version
from teams.models import Team

URL_MAX_LENGTH = 2000
SECRET_PREFIX = "whsec_"
UNKNOWN_EVENTS = gettext_lazy("Choose events from the list.")
NO_EVENTS = gettext_lazy("Choose at least one event.")
ARCHIVED_TEAM = gettext_lazy("%(team)s is archived; reactivate it before connecting it to other systems.")


def events_offered(kind: str) -> list[EventType]:
    """What an endpoint of this kind may subscribe to; meetings' events once the meetings app exists."""
    offered = list(CHANNEL_EVENTS if kind != Endpoint.Kind.WEBHOOK else WEBHOOK_EVENTS)
    if not apps.is_installed("meetings"):
        offered.remove(EventType.MEETING_ENDED)
    return offered


def url_hint(url: str) -> str:
    """What pages show of a URL: scheme and host only (Slack and Teams URLs carry a token in the path)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/…"[:200]


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise ValidationError({"url": _("Enter the address to send to.")})
    if len(url) > URL_MAX_LENGTH:
        raise ValidationError({"url": _("The address is too long.")})
    try:
        safe_http.check_url(url, allowed_hosts=settings.WEBHOOK_ALLOWED_HOSTS)
    except safe_http.UnsafeDestination as exc:
        raise ValidationError({"url": str(exc)}) from exc
    return url


def _clean_events(kind: str, events: list[str]) -> list[str]:
    offered = [str(event) for event in events_offered(kind)]
    chosen = list(dict.fromkeys(events))
    if any(event not in offered for event in chosen):
        raise ValidationError({"events": str(UNKNOWN_EVENTS)})
    if not chosen:
        raise ValidationError({"events": str(NO_EVENTS)})
    return [event for event in offered if event in chosen]


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def endpoint_create(
    *,
    kind: str,
    team: Team | None,
    name: str,
    url: str,
    events: list[str],
    owner,
    language: str = "",
) -> tuple[Endpoint, str]:
    """A new endpoint and, for a webhook, its signing secret — returned here once, stored encrypted."""
    if team is not None and team.is_archived:
        raise ValidationError({"team": ARCHIVED_TEAM % {"team": team.name}})
    url = _clean_url(url)
    secret = new_secret() if kind == Endpoint.Kind.WEBHOOK else ""
    endpoint = Endpoint(
        kind=kind,
        team=team,
        name=name.strip(),
        url_encrypted=crypto.encrypt(url),
        url_hint=url_hint(url),
        secret_encrypted=crypto.encrypt(secret) if secret else "",
        events=_clean_events(kind, events),
        language=language,
        owner=owner,
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint, secret


@transaction.atomic
def endpoint_update(*, endpoint: Endpoint, data: dict[str, Any], version: int | None = None) -> Endpoint:
    """Name, events, language, and the URL when a new one is given (empty: keep the stored one)."""
    lock_at_version(endpoint, expected=version)
    fields = []
    if "name" in data:
        endpoint.name = data["name"].strip()
        fields.append("name")
    if "events" in data:
        endpoint.events = _clean_events(endpoint.kind, data["events"])
        fields.append("events")
    if "language" in data:
        endpoint.language = data["language"]
        fields.append("language")
    if data.get("url"):
        url = _clean_url(data["url"])
        endpoint.url_encrypted, endpoint.url_hint = crypto.encrypt(url), url_hint(url)
        fields += ["url_encrypted", "url_hint"]
    endpoint.full_clean()
    endpoint.save(update_fields=fields)
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: Endpoint) -> str:
    """A new signing secret, returned once; the old one stops signing at once."""
    if endpoint.kind != Endpoint.Kind.WEBHOOK:
        raise ValidationError(_("Only webhooks have a signing secret."))
    lock_at_version(endpoint, expected=None)
    secret = new_secret()
    endpoint.secret_encrypted = crypto.encrypt(secret)
    endpoint.save(update_fields=["secret_encrypted"])
    return secret


@transaction.atomic
def endpoint_set_active(*, endpoint: Endpoint, active: bool) -> Endpoint:
    """Enabling starts afresh (no failures counted); disabling by hand keeps pending deliveries unsent."""
    lock_at_version(endpoint, expected=None)
    endpoint.is_active = active
    endpoint.disabled_reason = "" if active else _("Disabled by hand.")
    endpoint.consecutive_failures = 0 if active else endpoint.consecutive_failures
    endpoint.save(update_fields=["is_active", "disabled_reason", "consecutive_failures"])
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: Endpoint) -> None:
    endpoint.delete()


def endpoint_disabled_notice_send(*, endpoint: Endpoint) -> bool:
    """Tell the owner their endpoint was switched off after repeated failures (okrhub/mail.py)."""
    owner = endpoint.owner
    if owner is None or not owner.email or not owner.is_active:
        return False
    message = build_message(
        to=owner.email,
        language=user_language(owner),
        template="integrations/email/endpoint_disabled",
        context={
            "endpoint": endpoint,
            "endpoint_url": absolute_reverse("integrations:detail", args=(endpoint.pk,)),
            "failures": endpoint.consecutive_failures,
        },
    )
    message.send(fail_silently=False)
    return True
