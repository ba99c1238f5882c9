"""The leader digest: on Monday morning each team lead gets the teams they lead (and every team below) in the
active cycle — progress against pace, health, last week's check-in rate and what needs attention."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation

from checkins.models import CheckIn, Feedback
from checkins.selectors import feedback_unread_for_user
from meetings.selectors import checkpoints_due_for
from notifications import delivery as deliveries
from notifications.due import ReminderKey, Week, reminder_slot, site_zone, week_of
from notifications.models import EmailDelivery
from notifications.rendering import absolute_reverse, message_build, user_language
from objectives import progress
from objectives.figures import Moment, figures_of, plan_exists, plans_prefetch
from objectives.labels import HEALTH_LABELS
from objectives.models import Cycle, KeyResult, Objective
from objectives.selectors import cycle_current
from teams.models import Membership, Team
from teams.selectors import user_display_name
from teams.tree import TeamTree

# Leaders get their digest on Monday morning (site time zone); a later run in the same week catches up.
DIGEST_WEEKDAY = 1
DIGEST_HOUR = 7

DIGEST_ATTENTION_LIMIT = 25  # the dashboard has the full list


def leader_digests_plan(*, now: dt.datetime | None = None, ignore_slot: bool = False) -> list[EmailDelivery]:
    """Unsent digest deliveries for this week's team leads, from Monday ``DIGEST_HOUR`` (site time zone)
    on; later runs in the same week catch up on a missed Monday."""
    now = now or timezone.now()
    tz = site_zone()
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
    return deliveries.deliveries_plan(kind=EmailDelivery.Kind.LEADER_DIGEST, keys=keys)


@dataclass
class DigestTeam:
    team: Team
    depth: int
    objectives: int = 0
    progress: float = 0.0
    key_results: int = 0
    checked_in_last_week: int = 0
    # Owners of a key result of the team without a check-in last week (the weekly summary names them).
    not_checked_in: list[str] = field(default_factory=list)
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
    reason_codes: tuple[str, ...] = ()  # the same reasons as codes (objectives.progress), for channel posts


@dataclass(frozen=True)
class FeedbackItem:
    """Unread feedback for the lead: mostly owners' replies to what the lead asked."""

    feedback: Feedback
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
    unread_feedback: list[FeedbackItem] = field(default_factory=list)
    checkpoints_due: list = field(default_factory=list)  # meetings.selectors.SectionCheckpoint, due today

    @property
    def checkpoint_sections(self) -> str:
        return ", ".join(item.section.name for item in self.checkpoints_due)

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


def _teams_in_order(roots: set[int]) -> list[tuple[Team, int]]:
    """The teams ``roots`` and every team below them, depth-first in name order (one query); a team below
    another root is shown once, under it."""
    if not roots:
        return []
    return [(node.team, node.depth) for node in TeamTree.load().nodes(roots)]


def _led_team_ids(user) -> set[int]:
    return set(
        Membership.objects.filter(user=user, role=Membership.Role.LEAD).values_list("team_id", flat=True)
    )


def leader_digest_build(*, user, now: dt.datetime | None = None) -> Digest | None:
    """The lead's teams in the active cycle: progress against pace, health, last week's check-in rate and
    the needs-attention list (rules from ``objectives.progress``). ``None`` when there is nothing to report.
    A bounded number of queries, whatever the number of teams and key results."""
    digest = team_digest_build(roots=_led_team_ids(user), now=now)
    if digest is None:
        return None
    # The same unread list as My week (checkins.selectors.feedback_unread_for_user): one query.
    digest.unread_feedback = [
        FeedbackItem(
            feedback=item,
            url=absolute_reverse("checkins:key_result_detail", args=(item.key_result_id,))
            + f"#feedback-thread-{item.parent_id or item.pk}",
        )
        for item in feedback_unread_for_user(user=user)[:DIGEST_ATTENTION_LIMIT]
    ]
    # The sections whose leader checkpoint (their cadence) is due: the digest reminds the lead.
    digest.checkpoints_due = checkpoints_due_for(user=user, today=digest.today)
    return digest


def team_digest_build(*, roots: set[int], now: dt.datetime | None = None) -> Digest | None:
    """The digest of the teams ``roots`` and every team below them (a lead's digest, a team channel's
    weekly summary); ``None`` without an active cycle or teams."""
    now = now or timezone.now()
    cycle = cycle_current()
    if cycle is None:
        return None
    ordered = _teams_in_order(roots)
    if not ordered:
        return None
    tz = site_zone()
    today = now.astimezone(tz).date()
    this_week = week_of(now, tz)
    last_week = week_of(this_week.start - dt.timedelta(days=1), tz)
    expected = cycle.expected_progress(on=today)
    rows = {team.pk: DigestTeam(team=team, depth=depth) for team, depth in ordered}

    objective_ids_by_team: dict[int, list[int]] = defaultdict(list)
    for objective_id, team_id in Objective.objects.filter(
        cycle=cycle, status=Objective.Status.ACTIVE, team_id__in=rows
    ).values_list("id", "team_id"):
        objective_ids_by_team[team_id].append(objective_id)

    last_week_checkins = CheckIn.objects.filter(
        key_result=OuterRef("pk"), created_at__gte=last_week.start, created_at__lt=this_week.start
    )
    key_results = (
        KeyResult.objects.in_progress()
        .filter(
            objective__cycle=cycle, objective__status=Objective.Status.ACTIVE, objective__team_id__in=rows
        )
        .select_related("objective__team", "owner")
        .annotate(checked_in_last_week=Exists(last_week_checkins), has_plan=plan_exists())
        .order_by("objective__position", "objective_id", "position", "id")
    )
    items_by_objective: dict[int, list[tuple[float, Any]]] = defaultdict(list)
    attention: list[tuple[int, AttentionItem]] = []
    team_rank = {team.pk: rank for rank, (team, _depth) in enumerate(ordered)}
    moment = Moment(today=today, tz=tz)
    key_results = list(key_results)
    plans_prefetch(key_results)
    for key_result in key_results:
        row = rows[key_result.objective.team_id]
        figures = figures_of(key_result, moment=moment, cycle=cycle)
        items_by_objective[key_result.objective_id].append((figures.progress, key_result.weight))
        row.key_results += 1
        row.checked_in_last_week += int(key_result.checked_in_last_week)
        if not key_result.checked_in_last_week and key_result.owner is not None:
            name = user_display_name(key_result.owner)
            if name not in row.not_checked_in:
                row.not_checked_in.append(name)
        row.health_counts[figures.health] += 1
        if figures.reasons:
            url = absolute_reverse("checkins:key_result_detail", args=(key_result.pk,))
            item = AttentionItem(
                key_result=key_result,
                progress=figures.progress,
                reasons=figures.reason_texts,
                url=url,
                reason_codes=figures.reasons,
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
    if not deliveries.profile_allows(user, "digests_enabled"):
        return deliveries.OPTED_OUT

    def build() -> EmailMultiAlternatives | None:
        week = week_of(now, site_zone())
        if (week.iso_year, week.iso_week) != (delivery.iso_year, delivery.iso_week):
            return None  # a retry that slipped into the next week: that week gets its own digest
        with translation.override(user_language(user)):
            digest = leader_digest_build(user=user, now=now)
        if digest is None or not digest.teams:
            return None
        return message_build(
            user=user,
            template="leader_digest",
            context={
                "digest": digest,
                "dashboard_url": absolute_reverse("dashboards:index"),
                "checkpoints_url": absolute_reverse("checkpoints:index"),
            },
        )

    return deliveries.send_once(delivery=delivery, now=now, build=build)
