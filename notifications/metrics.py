"""Reminder and digest figures for /metrics, from EmailDelivery (the one row per email sent or owed)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from notifications.models import EmailDelivery, InboundMessage
from okrhub.metrics import product_metric


@product_metric(
    "okrhub_email_deliveries",
    "Reminders and digests by kind and state: sent, failed (not sent, the last attempt raised an error) "
    "or pending (not sent, no error yet).",
    labels=("kind", "state"),
)
def email_deliveries():
    unsent = Q(sent_at__isnull=True)
    failed = unsent & ~Q(last_error="")
    rows = (
        EmailDelivery.objects.order_by()
        .values("kind")
        .annotate(
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            failed=Count("pk", filter=failed),
            pending=Count("pk", filter=unsent & Q(last_error="")),
        )
    )
    found = {row["kind"]: row for row in rows}
    for kind in EmailDelivery.Kind.values:
        row = found.get(kind, {})
        for state in ("sent", "failed", "pending"):
            yield (kind, state), row.get(state, 0)


@product_metric(
    "okrhub_emails_sent_last_hour", "Reminders and digests sent in the last 60 minutes.", labels=("kind",)
)
def emails_sent_last_hour():
    since = timezone.now() - timedelta(hours=1)
    counts = dict(
        EmailDelivery.objects.filter(sent_at__gte=since)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [((kind,), counts.get(kind, 0)) for kind in EmailDelivery.Kind.values]


@product_metric(
    "okrhub_inbound_messages",
    "Emails received (replies to the check-in reminder) by outcome: processed (lines applied), refused (the "
    "sender was told why) or dropped (unknown sender or an automatic message).",
    labels=("status",),
)
def inbound_messages():
    counts = dict(InboundMessage.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return [((status,), counts.get(status, 0)) for status in InboundMessage.Status.values]
