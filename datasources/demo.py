"""Data source demo data: one key result that updates itself (last fetch recorded), one whose source fails.

The demo works offline, so nothing is fetched while seeding: the sources point at ``.example`` hosts
(reserved, never resolvable) and carry a recorded last fetch, the way the daily run leaves them. Pressing
"Fetch now" on them shows how a failure is reported (the host cannot be reached) without touching the value.
Called from ``okrhub.demo.seed_demo``; running it again changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.utils import translation
from django.utils.translation import gettext as _

from datasources.models import DataSource
from objectives.models import Cycle, KeyResult

LINKED_TITLE = "Øke antall kursdeltakere fra 850 til 1 400"
FAILING_TITLE = "Øke andelen medlemmer som bruker minst ett tilbud fra 18 % til 30 %"


def seed_data_sources(*, cycle: Cycle, now: dt.datetime) -> None:
    key_results = {
        kr.title: kr
        for kr in KeyResult.objects.filter(objective__cycle=cycle, title__in=[LINKED_TITLE, FAILING_TITLE])
    }
    linked = key_results.get(LINKED_TITLE)
    if linked is not None:
        DataSource.objects.get_or_create(
            key_result=linked,
            defaults={
                "format": DataSource.Format.JSON,
                "url": "https://data.kompetanseforbund.example/kurs/deltakere.json",
                "path": "data.participants.total",
                "created_by": linked.owner,
                "last_fetched_at": now - dt.timedelta(hours=3),
                "last_value": linked.current_value,
            },
        )
    failing = key_results.get(FAILING_TITLE)
    if failing is not None:
        with translation.override("nb"):
            error = _("The data source answered with HTTP status %(status)s.") % {"status": 503}
        DataSource.objects.get_or_create(
            key_result=failing,
            defaults={
                "format": DataSource.Format.CSV,
                "url": "https://statistikk.kompetanseforbund.example/medlemmer.csv",
                "path": "andel_aktive",
                "created_by": failing.owner,
                "last_fetched_at": now - dt.timedelta(hours=3),
                "last_error": error,
                "last_error_at": now - dt.timedelta(hours=3),
            },
        )
