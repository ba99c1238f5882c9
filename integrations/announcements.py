"""What becomes an event: the lower layers' signals (integrations/receivers.py), key results that start
needing attention, and each team channel's weekly summary. Every event has a ``key`` naming the fact, so a
repeated signal, a task run twice or two workers record it once (integrations/events.py)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from integrations.events import event_record, key_result_ref, person, subscribers
from integrations.models import AttentionState, Endpoint, EventType
from notifications.digest import team_digest_build
from notifications.due import reminder_slot, site_zone, week_of
from objectives.figures import figures_of, plan_exists, plans_prefetch
from objectives.models import KeyResult, Objective
from objectives.selectors import cycle_current
from okrhub.mail import absolute_url

# Channels get the weekly summary on Monday morning (site time zone), after the leaders' digest (07:00).
SUMMARY_WEEKDAY = 1
SUMMARY_HOUR = 8


def _key_result(pk: int) -> KeyResult:
    """A key result as an event describes it (its team, cycle and owner), with what judging it needs."""
    return (
        KeyResult.objects.select_related("objective__team", "objective__cycle", "owner")
        .annotate(has_plan=plan_exists())
        .get(pk=pk)
    )


def checkin_created(*, checkin) -> None:
    key_result = _key_result(checkin.key_result_id)
    event_record(
        type=EventType.CHECKIN_CREATED,
        key=f"checkin:{checkin.pk}",
        team=key_result.objective.team,
        occurred_at=checkin.created_at,
        data={
            "checkin": {
                "id": checkin.pk,
                "value": float(checkin.value),
                "confidence": checkin.confidence,
                "note": checkin.note,
                "author": person(checkin.author),
                "created_at": checkin.created_at.isoformat(),
            },
            "key_result": key_result_ref(key_result),
        },
    )
    # A check-in is the moment a key result most often starts (or stops) needing attention.
    attention_check(key_results=[key_result])


def feedback_created(*, feedback) -> None:
    key_result = _key_result(feedback.key_result_id)
    event_record(
        type=EventType.FEEDBACK_CREATED,
        key=f"feedback:{feedback.pk}",
        team=key_result.objective.team,
        occurred_at=feedback.created_at,
        data={
            "feedback": {
                "id": feedback.pk,
                "body": feedback.body,
                "author": person(feedback.author),
                "reply_to": feedback.parent_id,
                "checkin": feedback.checkin_id,
                "created_at": feedback.created_at.isoformat(),
            },
            "key_result": key_result_ref(key_result),
        },
    )


def objective_published(*, objective) -> None:
    objective = Objective.objects.select_related("team", "cycle", "owner").get(pk=objective.pk)
    event_record(
        type=EventType.OBJECTIVE_PUBLISHED,
        key=f"objective-published:{objective.pk}",
        team=objective.team,
        data={
            "objective": {
                "id": objective.pk,
                "title": objective.title,
                "status": objective.status,
                "url": absolute_url(reverse("objective_detail", args=(objective.pk,))),
                "owner": person(objective.owner),
                "cycle": {"id": objective.cycle_id, "name": objective.cycle.name},
            }
        },
    )


def cycle_closed(*, cycle, actor=None) -> None:
    event_record(
        type=EventType.CYCLE_CLOSED,
        key=f"cycle-closed:{cycle.pk}",
        team=None,
        data={
            "cycle": {
                "id": cycle.pk,
                "name": cycle.name,
                "start_date": cycle.start_date.isoformat(),
                "end_date": cycle.end_date.isoformat(),
            },
            "closed_by": person(actor),
        },
    )


def meeting_ended(*, meeting) -> None:
    """The team's meeting ended: its frozen minutes' decisions and actions (meetings/selectors.py
    ``minutes_snapshot``), which hold published OKRs only, and a plain-text summary for channel posts."""
    minutes = meeting.minutes or {}
    decisions = [item["body"] for item in minutes.get("decisions", [])]
    actions = [
        {
            "initiative_id": action.get("initiative"),
            "title": action.get("title", ""),
            "owner": action.get("owner", ""),
            "due_date": action.get("due_date"),
            "key_result_id": action.get("key_result_id"),
        }
        for action in minutes.get("actions", [])
    ]
    summary = [f"• {body}" for body in decisions] + [
        "→ " + ", ".join(part for part in (a["title"], a["owner"], a["due_date"]) if part) for a in actions
    ]
    event_record(
        type=EventType.MEETING_ENDED,
        key=f"meeting-ended:{meeting.pk}",
        team=meeting.team,
        data={
            "meeting": {
                "id": meeting.pk,
                "title": f"{meeting.team.name} {meeting.iso_year}-W{meeting.iso_week:02d}",
                "iso_year": meeting.iso_year,
                "iso_week": meeting.iso_week,
                "ended_at": meeting.ended_at.isoformat() if meeting.ended_at else None,
                "ended_by": person(meeting.ended_by),
                "url": absolute_url(reverse("meetings:detail", args=(meeting.team.slug, meeting.pk))),
                "key_results": len(minutes.get("key_results", [])),
                "decisions": decisions,
                "actions": actions,
                "minutes": "\n".join(summary),
            }
        },
    )


# --- Needs attention: once per episode ---------------------------------------------------------------------


def attention_check(*, key_results, now: dt.datetime | None = None) -> int:
    """Announce each key result that needs attention now and did not when last looked at (the reasons are
    the read model's, objectives/figures.py). A key result first seen needing attention is announced too.
    The conditional update on ``AttentionState`` decides, so two runs announce it once. Returns how many."""
    now = now or timezone.now()
    announced = 0
    key_results = list(key_results)
    plans_prefetch(key_results)
    states = {
        state.key_result_id: state
        for state in AttentionState.objects.filter(key_result__in=[kr.pk for kr in key_results])
    }
    missing = [AttentionState(key_result=kr, checked_at=now) for kr in key_results if kr.pk not in states]
    if missing:
        AttentionState.objects.bulk_create(missing, ignore_conflicts=True)
    for key_result in key_results:
        reasons = list(figures_of(key_result).reasons)
        state = states.get(key_result.pk)
        was_needing = state is not None and state.needing_since is not None
        rows = AttentionState.objects.filter(key_result=key_result)
        if not reasons:
            if was_needing:
                rows.update(needing_since=None, reasons=[], checked_at=now)
            continue
        # Only a change is written; the conditional update lets one of two concurrent runs announce it.
        if not was_needing and rows.filter(needing_since__isnull=True).update(
            needing_since=now, reasons=reasons, checked_at=now
        ):
            announced += 1
            event_record(
                type=EventType.KEY_RESULT_NEEDS_ATTENTION,
                key=f"attention:{key_result.pk}:{now.isoformat()}",
                team=key_result.objective.team,
                occurred_at=now,
                data={"key_result": key_result_ref(key_result)},
            )
    return announced


def attention_sweep(*, now: dt.datetime | None = None) -> int:
    """Hourly: time alone makes key results need attention (no check-in for two weeks, behind the pace), so
    the active cycle's key results are looked at, for the teams someone subscribed for."""
    cycle = cycle_current()
    endpoints = [
        endpoint
        for endpoint in Endpoint.objects.filter(is_active=True)
        if endpoint.subscribes_to(EventType.KEY_RESULT_NEEDS_ATTENTION)
    ]
    if cycle is None or not endpoints:
        return 0
    key_results = (
        KeyResult.objects.in_progress()
        .filter(objective__cycle=cycle, objective__status=Objective.Status.ACTIVE)
        .select_related("objective__team", "objective__cycle", "owner")
        .annotate(has_plan=plan_exists())
    )
    if all(endpoint.team_id is not None for endpoint in endpoints):
        from teams.selectors import team_descendant_ids

        key_results = key_results.filter(
            objective__team_id__in=team_descendant_ids({endpoint.team_id for endpoint in endpoints})
        )
    return attention_check(key_results=key_results, now=now)


# --- Weekly summary per team channel -----------------------------------------------------------------------


def weekly_summary_data(*, team, now: dt.datetime | None = None) -> dict | None:
    """The team's week from the leaders' digest read model (notifications/digest.py), as codes and numbers."""
    digest = team_digest_build(roots={team.pk}, now=now)
    if digest is None:
        return None
    attention = [
        {
            "key_result_id": item.key_result.pk,
            "title": item.key_result.title,
            "url": item.url,
            "progress": round(item.progress, 4),
            "reasons": list(item.reason_codes),
        }
        for item in digest.attention
    ]
    not_checked_in: list[str] = []
    for row in digest.teams:
        not_checked_in += [name for name in row.not_checked_in if name not in not_checked_in]
    return {
        "cycle": {"id": digest.cycle.pk, "name": digest.cycle.name},
        "week": {"year": digest.last_week.iso_year, "week": digest.last_week.iso_week},
        "expected_progress": round(digest.expected, 4),
        "teams": [
            {
                "id": row.team.pk,
                "name": row.team.name,
                "progress": round(row.progress, 4),
                "key_results": row.key_results,
                "checked_in_last_week": row.checked_in_last_week,
                "health": dict(row.health_counts),
            }
            for row in digest.teams
        ],
        "attention": attention,
        "attention_total": digest.attention_total,
        "not_checked_in": not_checked_in,
        "dashboard_url": absolute_url(reverse("dashboards:index"))
        + f"?cycle={digest.cycle.pk}&scope={digest.teams[0].team.slug}",
    }


def weekly_summaries_send(*, now: dt.datetime | None = None, ignore_slot: bool = False) -> int:
    """Hourly: from Monday ``SUMMARY_HOUR`` on, one summary per team with a channel that wants it, per ISO
    week (the event's key). Returns how many were recorded."""
    now = now or timezone.now()
    tz = site_zone()
    week = week_of(now, tz)
    if not ignore_slot and now < reminder_slot(week=week, weekday=SUMMARY_WEEKDAY, hour=SUMMARY_HOUR, tz=tz):
        return 0
    teams = {
        endpoint.team_id: endpoint.team
        for endpoint in Endpoint.objects.filter(is_active=True, team__isnull=False)
        .filter(~Q(kind=Endpoint.Kind.WEBHOOK))
        .select_related("team")
        if endpoint.subscribes_to(EventType.WEEKLY_SUMMARY)
    }
    recorded = 0
    for team in teams.values():
        data = weekly_summary_data(team=team, now=now)
        if data is None:
            continue
        # Only the team's own channels: a section's channel gets the section's summary, not each team's.
        for endpoint in subscribers(event_type=EventType.WEEKLY_SUMMARY, team=team):
            if endpoint.team_id != team.pk or not endpoint.is_channel:
                continue
            if event_record(
                type=EventType.WEEKLY_SUMMARY,
                key=f"weekly:{endpoint.pk}:{week.iso_year}-{week.iso_week:02d}",
                team=team,
                data=data,
                occurred_at=now,
                only=endpoint,
            ):
                recorded += 1
    return recorded
