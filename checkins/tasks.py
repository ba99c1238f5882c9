"""The worker's side of the dashboard's rollups (``checkins.rollups``): recompute what writes marked dirty.

Queued once per writing transaction, after it commits, and run by the beat every minute as a safety net (a
write whose queueing failed, a worker that was down). Two runs at once are safe: each team is recomputed
under a lock on its rollup row, and a team already clean is recomputed again at worst."""

from __future__ import annotations

from celery import shared_task

from checkins import rollups
from okrhub.mail import TIME_LIMITS


@shared_task(name="checkins.refresh_rollups", ignore_result=True, **TIME_LIMITS)
def refresh_rollups() -> int:
    return rollups.refresh_dirty()
