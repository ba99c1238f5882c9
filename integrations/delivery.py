"""Sending one delivery at most once at a time, and deciding what a failure means.

The protocol of ``notifications/delivery.py``: the Delivery row is unique per (event, endpoint); a sender
claims it by a conditional update (``status=pending``, lease lapsed, due), so two workers handed the same
delivery never both send it; the loser sees 0 rows and stops.

Outcomes:

- 2xx: delivered; the endpoint's failure count goes back to 0.
- timeout, connection error, 5xx or 429: tried again with exponential backoff
  (``WEBHOOK_RETRY_BASE_SECONDS`` × 2^(attempt−1)), up to ``WEBHOOK_MAX_ATTEMPTS`` attempts.
- any other answer (4xx, 3xx: redirects are not followed) or an address the SSRF rule refuses: failed at
  once, no retry — sending the same request again would get the same answer.

A delivery that failed for good counts against its endpoint; after ``WEBHOOK_DISABLE_AFTER`` in a row the
endpoint is disabled and its owner gets an email.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations import crypto, safe_http
from integrations.channels import channel_message
from integrations.events import payload_bytes
from integrations.models import Attempt, Delivery, Endpoint

LEASE = dt.timedelta(minutes=15)  # longer than the task's hard time limit
RESPONSE_MAX_BYTES = 64 * 1024  # we keep nothing of the answer but its status

SENT = "sent"
RETRY = "retry"
FAILED = "failed"
NOT_CLAIMED = "not_claimed"  # done already, another worker holds it, not due yet, or the endpoint is off

ANSWERED = gettext_lazy("The receiver answered %(status)s.")
DISABLED_AFTER_FAILURES = gettext_lazy("Disabled after %(count)s failed deliveries in a row.")


def max_attempts() -> int:
    return max(1, int(getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 6)))


def retry_delay(attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, …): exponential, capped at 6 h."""
    base = float(getattr(settings, "WEBHOOK_RETRY_BASE_SECONDS", 30))
    return min(base * 2 ** (attempt - 1), 6 * 3600)


def disable_after() -> int:
    return max(1, int(getattr(settings, "WEBHOOK_DISABLE_AFTER", 5)))


def sign(secret: str, body: bytes) -> str:
    """The ``X-OKRHub-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 of the body with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _request_for(delivery: Delivery, now: dt.datetime) -> tuple[dict[str, str], bytes]:
    endpoint, event = delivery.endpoint, delivery.event
    if endpoint.is_channel:
        body = json.dumps(channel_message(endpoint=endpoint, event=event), ensure_ascii=False).encode()
        return {"Content-Type": "application/json"}, body
    body = payload_bytes(event)
    headers = {
        "Content-Type": "application/json",
        "X-OKRHub-Event": event.type,
        "X-OKRHub-Delivery": str(delivery.pk),
        "X-OKRHub-Timestamp": str(int(now.timestamp())),
    }
    if endpoint.secret_encrypted:
        headers["X-OKRHub-Signature"] = sign(crypto.decrypt(endpoint.secret_encrypted), body)
    return headers, body


def _claim(delivery_id: int, now: dt.datetime) -> bool:
    # Every condition on the delivery's own row, none through a join: with a join Django writes
    # ``UPDATE … WHERE id IN (SELECT … JOIN …)``, and after a concurrent claim commits PostgreSQL re-checks
    # only the outer WHERE, not the subquery's conditions: two idle workers both claimed one delivery so.
    active = Endpoint.objects.filter(is_active=True).values("pk")
    return (
        Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING, endpoint_id__in=active)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(claimed_until=now + LEASE, attempts=F("attempts") + 1)
    ) == 1


def delivery_send(*, delivery_id: int, now: dt.datetime | None = None) -> tuple[str, float]:
    """Try once. Returns (outcome, seconds until the retry — 0 unless the outcome is RETRY)."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return NOT_CLAIMED, 0
    delivery = Delivery.objects.select_related("event__team", "endpoint__team").get(pk=delivery_id)
    endpoint = delivery.endpoint
    status_code: int | None = None
    elapsed: float | None = None
    error = ""
    retryable = False
    try:
        headers, body = _request_for(delivery, now)
        response = safe_http.request(
            "POST",
            crypto.decrypt(endpoint.url_encrypted),
            allowed_hosts=settings.WEBHOOK_ALLOWED_HOSTS,
            headers=headers,
            body=body,
            timeout=float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10)),
            max_bytes=RESPONSE_MAX_BYTES,
        )
    except safe_http.UnsafeDestination as exc:
        error = str(exc)
    except safe_http.FetchError as exc:
        error, retryable = str(exc), True
    except crypto.DecryptionError:
        error = _("The stored address or secret cannot be read (SECRET_KEY changed?). Edit the endpoint.")
    else:
        status_code, elapsed = response.status, response.elapsed_ms
        if 200 <= status_code < 300:
            _finish(delivery, now=now, ok=True, status_code=status_code, elapsed=elapsed)
            return SENT, 0
        retryable = status_code >= 500 or status_code == 429
        error = str(ANSWERED % {"status": status_code})
    if retryable and delivery.attempts < max_attempts():
        delay = retry_delay(delivery.attempts)
        with transaction.atomic():
            Attempt.objects.create(
                delivery=delivery,
                number=delivery.attempts,
                at=now,
                status_code=status_code,
                response_ms=elapsed,
                error=error[:500],
                will_retry=True,
            )
            Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
                claimed_until=None, next_attempt_at=now + dt.timedelta(seconds=delay)
            )
        return RETRY, delay
    _finish(delivery, now=now, ok=False, status_code=status_code, elapsed=elapsed, error=error)
    return FAILED, 0


def _finish(
    delivery: Delivery,
    *,
    now: dt.datetime,
    ok: bool,
    status_code: int | None,
    elapsed: float | None,
    error: str = "",
) -> None:
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            at=now,
            status_code=status_code,
            response_ms=elapsed,
            ok=ok,
            error=error[:500],
        )
        Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SUCCEEDED if ok else Delivery.Status.FAILED,
            claimed_until=None,
            next_attempt_at=None,
            finished_at=now,
        )
        endpoints = Endpoint.objects.filter(pk=delivery.endpoint_id)
        if ok:
            endpoints.exclude(consecutive_failures=0).update(consecutive_failures=0)
            return
        endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
        limit = disable_after()
        disabled = endpoints.filter(is_active=True, consecutive_failures__gte=limit).update(
            is_active=False, disabled_reason=str(DISABLED_AFTER_FAILURES % {"count": limit})[:300]
        )
        if disabled:
            from integrations.tasks import send_endpoint_disabled_notice

            transaction.on_commit(lambda: send_endpoint_disabled_notice.delay(delivery.endpoint_id))
