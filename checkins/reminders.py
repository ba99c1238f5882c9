"""Weekly check-in reminders and leader digests: who is due, what the email says, and sending each once.

Sending is idempotent through ``EmailDelivery`` (one row per user, kind and ISO week, unique in the
database):

1. *Plan*: ``bulk_create(..., ignore_conflicts=True)`` makes the row; any number of planners may race.
2. *Claim*: ``filter(pk=…, sent_at=None, claimed_until lapsed).update(claimed_until=now + LEASE)`` — the
   database lets exactly one sender through; the others see 0 rows and stop ("another process got there
   first", as healthchecks' ``sendalerts`` does).
3. *Send*, then ``update(sent_at=now)``. A failed send releases the claim and records the error, so the row
   stays unsent and the retry (with backoff) or the next run sends it.

The lease is longer than the task's hard time limit, so it only lapses when its holder died mid-send.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from checkins.models import CheckIn, EmailDelivery
from objectives import progress
from objectives.models import Cycle, KeyResult, Objective
from objectives.selectors import cycle_current
from okrhub.mail import absolute_url, build_message
from teams.models import Membership, Profile, Team

logger = logging.getLogger(__name__)
User = get_user_model()

# Longer than CELERY_TASK_TIME_LIMIT (300 s by default): a live sender never loses its claim.
LEASE = dt.timedelta(minutes=15)
# Leaders get their digest on Monday morning (site time zone); a later run in the same week catches up.
DIGEST_WEEKDAY = 1
DIGEST_HOUR = 7

SENT = "sent"
ALREADY_SENT = "already_sent"
BUSY = "busy"  # another process holds the claim
NOTHING_TO_SEND = "nothing_to_send"
OPTED_OUT = "opted_out"


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


def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        logger.warning("Unknown time zone %r, using %s", name, settings.TIME_ZONE)
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


# --- Who is due a reminder --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderKey:
    user_id: int
    iso_year: int
    iso_week: int


def reminder_key_results() -> QuerySet[KeyResult]:
    """Key results that ask for a weekly check-in: in progress, owned, in an active objective of an active
    cycle, with the time of their latest check-in (one query; the latest via the check-in index)."""
    latest = (
        CheckIn.objects.filter(key_result=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    )
    return (
        KeyResult.objects.in_progress()
        .filter(
            owner__isnull=False,
            owner__is_active=True,
            objective__status=Objective.Status.ACTIVE,
            objective__cycle__status=Cycle.Status.ACTIVE,
        )
        .select_related("objective__team", "objective__cycle")
        .annotate(latest_checkin_at=Subquery(latest))
        .order_by("objective__team__name", "objective__position", "objective_id", "position", "id")
    )


def reminders_due(
    *, now: dt.datetime, ignore_slot: bool = False, user_ids: Iterable[int] | None = None
) -> dict[ReminderKey, list[KeyResult]]:
    """Pending key results per owner and ISO week, for owners whose team's reminder slot has passed.

    A key result is pending when nobody checked in on it since the start of the ISO week in its team's
    time zone. Owners who turned reminders off, or have no email address, are left out. With
    ``ignore_slot`` every team counts as due (the cron command).
    """
    key_results = (
        reminder_key_results().exclude(owner__email="").exclude(owner__profile__reminders_enabled=False)
    )
    if user_ids is not None:
        key_results = key_results.filter(owner_id__in=list(user_ids))
    due: dict[ReminderKey, list[KeyResult]] = defaultdict(list)
    for key_result in key_results:
        team = key_result.objective.team
        tz = _zone(team.time_zone)
        week = week_of(now, tz)
        if not ignore_slot:
            slot = reminder_slot(week=week, weekday=team.reminder_weekday, hour=team.reminder_hour, tz=tz)
            if now < slot:
                continue
        if key_result.latest_checkin_at is not None and key_result.latest_checkin_at >= week.start:
            continue
        due[ReminderKey(key_result.owner_id, week.iso_year, week.iso_week)].append(key_result)
    return dict(due)


def _deliveries_plan(*, kind: str, keys: Iterable[ReminderKey]) -> list[EmailDelivery]:
    """Make sure a delivery row exists for every key (races are settled by the unique constraint) and
    return the ones not yet sent."""
    keys = set(keys)
    if not keys:
        return []
    EmailDelivery.objects.bulk_create(
        [EmailDelivery(user_id=k.user_id, kind=kind, iso_year=k.iso_year, iso_week=k.iso_week) for k in keys],
        ignore_conflicts=True,
    )
    candidates = EmailDelivery.objects.filter(
        kind=kind,
        sent_at=None,
        user_id__in={k.user_id for k in keys},
        iso_year__in={k.iso_year for k in keys},
        iso_week__in={k.iso_week for k in keys},
    ).select_related("user")
    return [d for d in candidates if ReminderKey(d.user_id, d.iso_year, d.iso_week) in keys]


def sent_reminder_keys(*, keys: Iterable[ReminderKey]) -> set[ReminderKey]:
    """Which of these reminders were already sent (for the dry run, which must not create rows)."""
    keys = set(keys)
    if not keys:
        return set()
    rows = EmailDelivery.objects.filter(
        kind=EmailDelivery.Kind.CHECKIN_REMINDER,
        sent_at__isnull=False,
        user_id__in={k.user_id for k in keys},
        iso_year__in={k.iso_year for k in keys},
        iso_week__in={k.iso_week for k in keys},
    ).values_list("user_id", "iso_year", "iso_week")
    return {ReminderKey(*row) for row in rows} & keys


def checkin_reminders_plan(
    *, now: dt.datetime | None = None, ignore_slot: bool = False
) -> list[EmailDelivery]:
    """Unsent reminder deliveries for every owner who is due one now (rows created as needed)."""
    now = now or timezone.now()
    due = reminders_due(now=now, ignore_slot=ignore_slot)
    deliveries = _deliveries_plan(kind=EmailDelivery.Kind.CHECKIN_REMINDER, keys=due)
    return sorted(deliveries, key=lambda d: d.pk)


# --- Sending once -----------------------------------------------------------------------------------------


def _claim(delivery_id: int, now: dt.datetime) -> bool:
    claimed = (
        EmailDelivery.objects.filter(pk=delivery_id, sent_at=None)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(claimed_until=now + LEASE, attempts=F("attempts") + 1)
    )
    return claimed == 1


def _release(delivery_id: int, *, error: str = "") -> None:
    EmailDelivery.objects.filter(pk=delivery_id, sent_at=None).update(
        claimed_until=None, last_error=error[:2000]
    )


def _mark_sent(delivery_id: int) -> None:
    EmailDelivery.objects.filter(pk=delivery_id, sent_at=None).update(
        sent_at=timezone.now(), claimed_until=None, last_error=""
    )


def user_language(user) -> str:
    """The user's chosen language, else the site's."""
    try:
        language = user.profile.language
    except Profile.DoesNotExist:
        language = ""
    return language or settings.LANGUAGE_CODE


def _profile_allows(user, attribute: str) -> bool:
    try:
        return bool(getattr(user.profile, attribute))
    except Profile.DoesNotExist:
        return True


def _build_message(*, user, template: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    """Subject, text and HTML rendered in the user's language."""
    context = {**context, "user": user, "profile_url": absolute_url(reverse("profile"))}
    return build_message(
        to=user.email, language=user_language(user), template=f"checkins/email/{template}", context=context
    )


def _send_once(
    *, delivery: EmailDelivery, now: dt.datetime, build: Callable[[], EmailMultiAlternatives | None]
) -> str:
    """Claim, build (``build()`` → message or None when there is nothing to say), send, mark sent."""
    if delivery.sent_at is not None:
        return ALREADY_SENT
    if not _claim(delivery.pk, now):
        return BUSY
    try:
        message = build()
        if message is None:
            _release(delivery.pk)
            return NOTHING_TO_SEND
        message.send(fail_silently=False)
    except Exception as exc:
        # Not recorded as sent: the row stays open for the retry or the next run.
        _release(delivery.pk, error=f"{type(exc).__name__}: {exc}")
        raise
    _mark_sent(delivery.pk)
    return SENT


@dataclass(frozen=True)
class ReminderItem:
    key_result: KeyResult
    url: str


def checkin_reminder_send(
    *, delivery_id: int, now: dt.datetime | None = None, ignore_slot: bool = False
) -> str:
    """Send one reminder delivery at most once; what is pending is recomputed at send time, so a key
    result checked in meanwhile is left out and a reminder from a week that has passed is not sent."""
    now = now or timezone.now()
    delivery = EmailDelivery.objects.select_related("user").get(
        pk=delivery_id, kind=EmailDelivery.Kind.CHECKIN_REMINDER
    )
    user = delivery.user
    if not _profile_allows(user, "reminders_enabled"):
        return OPTED_OUT

    def build() -> EmailMultiAlternatives | None:
        due = reminders_due(now=now, ignore_slot=ignore_slot, user_ids=[user.pk])
        key_results = due.get(ReminderKey(user.pk, delivery.iso_year, delivery.iso_week), [])
        if not key_results:
            return None
        my_week = absolute_url(reverse("checkins:my_week"))
        items = [ReminderItem(key_result=kr, url=f"{my_week}#kr-{kr.pk}") for kr in key_results]
        return _build_message(
            user=user,
            template="checkin_reminder",
            context={"items": items, "my_week_url": my_week, "iso_week": delivery.iso_week},
        )

    return _send_once(delivery=delivery, now=now, build=build)


# --- Leader digest ----------------------------------------------------------------------------------------

REASON_LABELS = {
    progress.OFF_TRACK: _("off track"),
    progress.LOW_CONFIDENCE: _("low confidence"),
    progress.STALE: format_lazy(_("not updated for {days} days"), days=progress.STALE_DAYS),
    progress.BACK_LOADED: _("back-loaded — progress comes only towards the end"),
    progress.NO_OWNER: _("no owner"),
}
HEALTH_LABELS = {
    progress.ON_TRACK: _("on track"),
    progress.AT_RISK: _("at risk"),
    progress.OFF_TRACK: _("off track"),
}
DIGEST_ATTENTION_LIMIT = 25  # the dashboard has the full list


def _site_zone() -> dt.tzinfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _absolute_reverse(name: str, *, args: tuple = (), fallback: str) -> str:
    try:
        return absolute_url(reverse(name, args=args))
    except NoReverseMatch:
        return fallback


def leader_digests_plan(*, now: dt.datetime | None = None, ignore_slot: bool = False) -> list[EmailDelivery]:
    """Unsent digest deliveries for this week's team leads, from Monday ``DIGEST_HOUR`` (site time zone)
    on; later runs in the same week catch up on a missed Monday."""
    now = now or timezone.now()
    tz = _site_zone()
    week = week_of(now, tz)
    if not ignore_slot and now < reminder_slot(week=week, weekday=DIGEST_WEEKDAY, hour=DIGEST_HOUR, tz=tz):
        return []
    if cycle_current() is None:
        return []
    lead_ids = set(
        Membership.objects.filter(role=Membership.Role.LEAD, user__is_active=True)
        .exclude(user__email="")
        .exclude(user__profile__digests_enabled=False)
        .values_list("user_id", flat=True)
    )
    keys = [ReminderKey(user_id, week.iso_year, week.iso_week) for user_id in lead_ids]
    deliveries = _deliveries_plan(kind=EmailDelivery.Kind.LEADER_DIGEST, keys=keys)
    return sorted(deliveries, key=lambda d: d.pk)


@dataclass
class DigestTeam:
    team: Team
    depth: int
    objectives: int = 0
    progress: float = 0.0
    key_results: int = 0
    checked_in_last_week: int = 0
    health_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(progress.HEALTHS, 0))

    @property
    def checkin_rate(self) -> float | None:
        return self.checked_in_last_week / self.key_results if self.key_results else None

    @property
    def indent(self) -> str:
        return "  " * self.depth

    @property
    def indent_px(self) -> int:
        return 6 + 16 * self.depth

    @property
    def progress_percent(self) -> int:
        return round(self.progress * 100)

    @property
    def checkin_rate_percent(self) -> int | None:
        rate = self.checkin_rate
        return None if rate is None else round(rate * 100)

    @property
    def health(self) -> list[tuple[str, Any, int]]:
        """(key, label, count) for on track, at risk, off track, in that order."""
        return [(key, HEALTH_LABELS[key], self.health_counts[key]) for key in progress.HEALTHS]


@dataclass(frozen=True)
class AttentionItem:
    key_result: KeyResult
    progress: float
    reasons: tuple[str, ...]  # translated labels
    url: str


@dataclass
class Digest:
    cycle: Cycle
    today: dt.date
    expected: float
    last_week: Week
    teams: list[DigestTeam]
    attention: list[AttentionItem]
    attention_total: int

    @property
    def key_results(self) -> int:
        return sum(t.key_results for t in self.teams)

    @property
    def checked_in_last_week(self) -> int:
        return sum(t.checked_in_last_week for t in self.teams)

    @property
    def checkin_rate(self) -> float | None:
        return self.checked_in_last_week / self.key_results if self.key_results else None

    @property
    def checkin_rate_percent(self) -> int | None:
        rate = self.checkin_rate
        return None if rate is None else round(rate * 100)

    @property
    def expected_percent(self) -> int:
        return round(self.expected * 100)

    @property
    def attention_more(self) -> int:
        return self.attention_total - len(self.attention)


def _led_teams_in_order(user) -> list[tuple[Team, int]]:
    """The teams ``user`` leads and every team below them, depth-first in name order (two queries)."""
    roots = set(
        Membership.objects.filter(user=user, role=Membership.Role.LEAD).values_list("team_id", flat=True)
    )
    if not roots:
        return []
    teams = {t.pk: t for t in Team.objects.all().only("id", "name", "slug", "parent_id")}
    children: dict[int | None, list[Team]] = defaultdict(list)
    for team in teams.values():
        children[team.parent_id].append(team)
    # A lead of a section and of a team below it sees the team once, under the section.
    top = [teams[r] for r in roots if r in teams and not (_ancestor_ids(teams, teams[r]) & roots)]
    result: list[tuple[Team, int]] = []
    seen: set[int] = set()

    def walk(team: Team, depth: int) -> None:
        if team.pk in seen:
            return
        seen.add(team.pk)
        result.append((team, depth))
        for child in sorted(children.get(team.pk, ()), key=lambda t: t.name):
            walk(child, depth + 1)

    for team in sorted(top, key=lambda t: t.name):
        walk(team, 0)
    return result


def _ancestor_ids(teams: dict[int, Team], team: Team) -> set[int]:
    result: set[int] = set()
    node = team.parent_id
    while node is not None and node not in result:
        result.add(node)
        node = teams[node].parent_id if node in teams else None
    return result


def leader_digest_build(*, user, now: dt.datetime | None = None) -> Digest | None:
    """The lead's teams in the active cycle: progress against pace, health, last week's check-in rate and
    the needs-attention list (rules from ``objectives.progress``). ``None`` when there is nothing to report.
    A bounded number of queries, whatever the number of teams and key results."""
    now = now or timezone.now()
    cycle = cycle_current()
    if cycle is None:
        return None
    ordered = _led_teams_in_order(user)
    if not ordered:
        return None
    tz = _site_zone()
    today = now.astimezone(tz).date()
    this_week = week_of(now, tz)
    last_week = week_of(this_week.start - dt.timedelta(days=1), tz)
    expected = progress.expected_progress(start=cycle.start_date, end=cycle.end_date, on=today)
    rows = {team.pk: DigestTeam(team=team, depth=depth) for team, depth in ordered}

    objective_ids_by_team: dict[int, list[int]] = defaultdict(list)
    for objective_id, team_id in Objective.objects.filter(
        cycle=cycle, status=Objective.Status.ACTIVE, team_id__in=rows
    ).values_list("id", "team_id"):
        objective_ids_by_team[team_id].append(objective_id)

    latest = (
        CheckIn.objects.filter(key_result=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    )
    last_week_checkins = CheckIn.objects.filter(
        key_result=OuterRef("pk"), created_at__gte=last_week.start, created_at__lt=this_week.start
    )
    key_results = (
        KeyResult.objects.in_progress()
        .filter(
            objective__cycle=cycle, objective__status=Objective.Status.ACTIVE, objective__team_id__in=rows
        )
        .select_related("objective__team", "owner")
        .annotate(latest_checkin_at=Subquery(latest), checked_in_last_week=Exists(last_week_checkins))
        .order_by("objective__position", "objective_id", "position", "id")
    )
    items_by_objective: dict[int, list[tuple[float, Any]]] = defaultdict(list)
    attention: list[tuple[int, AttentionItem]] = []
    team_rank = {team.pk: rank for rank, (team, _depth) in enumerate(ordered)}
    my_week = absolute_url(reverse("checkins:my_week"))
    for key_result in key_results:
        row = rows[key_result.objective.team_id]
        kr_progress = key_result.progress
        items_by_objective[key_result.objective_id].append((kr_progress, key_result.weight))
        row.key_results += 1
        row.checked_in_last_week += int(key_result.checked_in_last_week)
        row.health_counts[
            progress.health(progress=kr_progress, expected=expected, confidence=key_result.confidence)
        ] += 1
        last = key_result.latest_checkin_at
        reasons = progress.attention_reasons(
            progress=kr_progress,
            expected=expected,
            confidence=key_result.confidence,
            has_owner=key_result.owner_id is not None,
            last_checkin=last.astimezone(tz).date() if last else None,
            cycle_start=cycle.start_date,
            today=today,
            cycle_active=cycle.status == Cycle.Status.ACTIVE,
        )
        if reasons:
            url = _absolute_reverse(
                "checkins:key_result_detail", args=(key_result.pk,), fallback=f"{my_week}#kr-{key_result.pk}"
            )
            item = AttentionItem(
                key_result=key_result,
                progress=kr_progress,
                reasons=tuple(str(REASON_LABELS.get(r, r)) for r in reasons),
                url=url,
            )
            attention.append((team_rank[key_result.objective.team_id], item))

    for team_id, objective_ids in objective_ids_by_team.items():
        row = rows[team_id]
        row.objectives = len(objective_ids)
        row.progress = sum(progress.objective_progress(items_by_objective[o]) for o in objective_ids) / len(
            objective_ids
        )
    attention.sort(key=lambda pair: (pair[0], -len(pair[1].reasons)))
    return Digest(
        cycle=cycle,
        today=today,
        expected=expected,
        last_week=last_week,
        teams=[rows[team.pk] for team, _depth in ordered],
        attention=[item for _rank, item in attention[:DIGEST_ATTENTION_LIMIT]],
        attention_total=len(attention),
    )


def leader_digest_send(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Send one digest delivery at most once (same protocol as the reminders)."""
    now = now or timezone.now()
    delivery = EmailDelivery.objects.select_related("user").get(
        pk=delivery_id, kind=EmailDelivery.Kind.LEADER_DIGEST
    )
    user = delivery.user
    if not _profile_allows(user, "digests_enabled"):
        return OPTED_OUT

    def build() -> EmailMultiAlternatives | None:
        week = week_of(now, _site_zone())
        if (week.iso_year, week.iso_week) != (delivery.iso_year, delivery.iso_week):
            return None  # a retry that slipped into the next week: that week gets its own digest
        with translation.override(user_language(user)):
            digest = leader_digest_build(user=user, now=now)
        if digest is None or not digest.teams:
            return None
        my_week = absolute_url(reverse("checkins:my_week"))
        return _build_message(
            user=user,
            template="leader_digest",
            context={
                "digest": digest,
                "dashboard_url": _absolute_reverse("dashboards:index", fallback=my_week),
            },
        )

    return _send_once(delivery=delivery, now=now, build=build)
