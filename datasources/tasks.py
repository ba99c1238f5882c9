"""Celery tasks for data sources: thin, named, time-limited; the services decide."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from datasources import services
from datasources.models import DataSource

MAX_RETRIES = 3


@shared_task(name="datasources.fetch_all", soft_time_limit=60, time_limit=90)
def fetch_all() -> int:
    """The daily run (Celery beat): one fetch task per enabled source, for today in the site's time zone."""
    day = timezone.localdate().isoformat()
    ids = services.sources_due()
    for source_id in ids:
        transaction.on_commit(lambda source_id=source_id: fetch_one.delay(source_id, day))
    return len(ids)


@shared_task(
    name="datasources.fetch_one",
    bind=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=60,
    time_limit=90,
    acks_late=True,
)
def fetch_one(self, source_id: int, day: str) -> str:
    """Today's fetch of one source, at most once a day (``scheduled_fetch_claim``); a timeout or a 5xx is
    tried again with a growing delay, then left for tomorrow."""
    fetch = services.scheduled_fetch_claim(source_id=source_id, day=dt.date.fromisoformat(day))
    if fetch is None:
        return "already fetched"
    source = DataSource.objects.filter(pk=source_id).first()
    if source is None:
        return "gone"
    result = services.data_source_fetch(source=source)
    final = self.request.retries >= MAX_RETRIES
    services.scheduled_fetch_finish(fetch=fetch, result=result, final=final)
    if result.transient and not final:
        raise self.retry(countdown=60 * 2**self.request.retries)
    return result.outcome
