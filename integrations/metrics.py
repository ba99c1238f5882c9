"""Webhook and channel-post figures for /metrics, from Delivery (one row per event and endpoint)."""

from __future__ import annotations

from django.db.models import Count

from integrations.models import Delivery, Endpoint
from okrhub.metrics import product_metric


@product_metric(
    "okrhub_webhook_deliveries",
    "Webhook, Teams and Slack deliveries by kind of endpoint and status: pending (not yet or being retried), "
    "succeeded or failed (for good).",
    labels=("kind", "status"),
)
def webhook_deliveries():
    counts = {
        (kind, status): n
        for kind, status, n in Delivery.objects.order_by()
        .values_list("endpoint__kind", "status")
        .annotate(n=Count("pk"))
    }
    for kind in Endpoint.Kind.values:
        for status in Delivery.Status.values:
            yield (kind, status), counts.get((kind, status), 0)
