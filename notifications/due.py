"""What is due when: ISO weeks and reminder slots in a team's time zone, and who owes a check-in this week."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from datasources.selectors import reminder_notes
from objectives.figures import plan_exists
from objectives.models import Cycle, KeyResult, Objective

logger = logging.getLogger(__name__)


# --- Weeks and slots --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    iso_year: int
    iso_week: int
    start: dt.datetime  # Monday 00:00 in the time zone the week was computed in, as UTC


def week_of(now: dt.datetime, tz: dt.tzinfo) -> Week:
    """The ISO week ``now`` falls in, seen from ``tz``."""
    local = now.astimezone(tz)
    iso = local.isocalendar()
    monday = local.date() - dt.timedelta(days=local.isoweekday() - 1)
    start = dt.datetime.combine(monday, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    return Week(iso_year=iso.year, iso_week=iso.week, start=start)


def reminder_slot(*, week: Week, weekday: int, hour: int, tz: dt.tzinfo) -> dt.datetime:
    """The team's reminder moment in ``week`` (weekday 1–7 and hour in the team's time zone), as UTC.

    Built from the local calendar date and wall-clock hour, so the slot stays at 14:00 local across
    daylight saving changes. A wall-clock hour skipped by the spring change maps to the hour after it.
    """
    monday = week.start.astimezone(tz).date()
    day = monday + dt.timedelta(days=weekday - 1)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz).astimezone(dt.UTC)


def zone(name: str) -> dt.tzinfo:
    """The named time zone, else the site's (logged)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        logger.warning("Unknown time zone %r, using %s", name, settings.TIME_ZONE)
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def site_zone() -> dt.tzinfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


# --- Who is due a reminder --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderKey:
    """One message per user and ISO week (the key of an ``EmailDelivery``)."""

    user_id: int
    iso_year: int
    iso_week: int


def reminder_key_results() -> QuerySet[KeyResult]:
    """Key results that ask for a weekly check-in: in progress, owned, in an active objective of an active
    cycle (one query; the latest check-in is the one the check-in service keeps on the key result)."""
    return (
        KeyResult.objects.in_progress()
        .filter(
            owner__isnull=False,
            owner__is_active=True,
            objective__status=Objective.Status.ACTIVE,
            objective__cycle__status=Cycle.Status.ACTIVE,
        )
        .select_related("objective__team", "objective__cycle", "owner")
        .annotate(has_plan=plan_exists())  # the reminder's figures read plans only where there are some
        .order_by("objective__team__name", "objective__position", "objective_id", "position", "id")
    )


def reminders_due(
    *, now: dt.datetime, ignore_slot: bool = False, user_ids: Iterable[int] | None = None
) -> dict[ReminderKey, list[KeyResult]]:
    """Pending key results per owner and ISO week, for owners whose team's reminder slot has passed.

    A key result is pending when nobody checked in on it since the start of the ISO week in its team's
    time zone, or when its data source asks something of the owner (a fresh confidence after an automatic
    update, or a failing fetch: ``datasources.selectors.reminder_notes``, kept on each key result as
    ``reminder_note``). Owners who turned reminders off, or have no email address, are left out. With
    ``ignore_slot`` every team counts as due (the cron command).
    """
    key_results = (
        reminder_key_results().exclude(owner__email="").exclude(owner__profile__reminders_enabled=False)
    )
    if user_ids is not None:
        key_results = key_results.filter(owner_id__in=list(user_ids))
    key_results = list(key_results)
    notes = reminder_notes(key_results)
    due: dict[ReminderKey, list[KeyResult]] = defaultdict(list)
    for key_result in key_results:
        key_result.reminder_note = notes.get(key_result.pk)
        team = key_result.objective.team
        tz = zone(team.time_zone)
        week = week_of(now, tz)
        if not ignore_slot:
            slot = reminder_slot(week=week, weekday=team.reminder_weekday, hour=team.reminder_hour, tz=tz)
            if now < slot:
                continue
        checked_in = key_result.last_checkin_at is not None and key_result.last_checkin_at >= week.start
        if checked_in and key_result.reminder_note is None:
            continue
        due[ReminderKey(key_result.owner_id, week.iso_year, week.iso_week)].append(key_result)
    return dict(due)
