"""Check-in figures for /metrics (registered with okrhub.metrics, computed when Prometheus scrapes)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from checkins.models import CheckIn, TeamRollup
from okrhub.metrics import product_metric


@product_metric("okrhub_checkins_last_hour", "Check-ins recorded in the last 60 minutes.")
def checkins_last_hour() -> int:
    return CheckIn.objects.filter(created_at__gte=timezone.now() - timedelta(hours=1)).count()


@product_metric("okrhub_checkins", "Check-ins recorded in all.")
def checkins_total() -> int:
    return CheckIn.objects.count()


@product_metric(
    "okrhub_rollups_dirty",
    "Dashboard rollups (cycle × team) marked dirty by a write and not yet recomputed by the worker.",
)
def rollups_dirty() -> int:
    # Near zero when the worker keeps up; growing means checkins.refresh_rollups does not run.
    return TeamRollup.objects.filter(dirty=True).count()
