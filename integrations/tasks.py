"""Celery tasks for webhooks and channel posts: thin, ids in, one service call each.

``deliver`` schedules its own retry (``apply_async(countdown=…)``) after the service released the row with
its next due time; ``retry_due_deliveries`` re-sends any that a lost message or a dead worker left behind.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations import announcements, delivery
from integrations.models import Delivery, Endpoint
from okrhub.mail import SEND_RETRY, TIME_LIMITS

# An HTTP exchange is bounded by WEBHOOK_TIMEOUT_SECONDS; the task's limits leave room for it.
DELIVERY_LIMITS = {"soft_time_limit": 60, "time_limit": 90}


@shared_task(name="integrations.deliver", **DELIVERY_LIMITS)
def deliver(delivery_id: int) -> str:
    outcome, delay = delivery.delivery_send(delivery_id=delivery_id)
    if outcome == delivery.RETRY:
        deliver.apply_async((delivery_id,), countdown=delay)
    return outcome


@shared_task(name="integrations.announce", **TIME_LIMITS)
def announce(kind: str, object_id: int, actor_id: int | None = None) -> None:
    """Record the event of a committed write (integrations/receivers.py) and plan its deliveries."""
    from checkins.models import CheckIn, Feedback
    from objectives.models import Cycle, Objective

    if kind == "checkin_created":
        checkin = CheckIn.objects.select_related("author").filter(pk=object_id).first()
        if checkin is not None:
            announcements.checkin_created(checkin=checkin)
    elif kind == "feedback_created":
        feedback = Feedback.objects.select_related("author").filter(pk=object_id).first()
        if feedback is not None:
            announcements.feedback_created(feedback=feedback)
    elif kind == "objective_published":
        objective = Objective.objects.filter(pk=object_id).first()
        if objective is not None:
            announcements.objective_published(objective=objective)
    elif kind == "cycle_closed":
        cycle = Cycle.objects.filter(pk=object_id).first()
        actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
        if cycle is not None:
            announcements.cycle_closed(cycle=cycle, actor=actor)
    elif kind == "meeting_ended":
        from meetings.models import Meeting

        meeting = Meeting.objects.select_related("team", "ended_by").filter(pk=object_id).first()
        if meeting is not None and meeting.ended_at is not None:
            announcements.meeting_ended(meeting=meeting)


@shared_task(name="integrations.check_attention", **TIME_LIMITS)
def check_attention() -> int:
    """Hourly: key results that started needing attention with time (stale, behind the pace)."""
    return announcements.attention_sweep()


@shared_task(name="integrations.send_weekly_summaries", **TIME_LIMITS)
def send_weekly_summaries() -> int:
    """Hourly: from Monday morning, each subscribed team channel's weekly summary, once a week."""
    return announcements.weekly_summaries_send()


@shared_task(name="integrations.retry_due_deliveries", **TIME_LIMITS)
def retry_due_deliveries() -> int:
    """Every few minutes: pending deliveries whose time has come and that nobody holds (a lost message, a
    worker that died mid-send). Sending twice is harmless: the claim lets one through."""
    now = timezone.now()
    due = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, endpoint__is_active=True)
        .filter(
            Q(next_attempt_at__lte=now - dt.timedelta(minutes=1))
            | Q(next_attempt_at__isnull=True, created_at__lte=now - dt.timedelta(minutes=5))
        )
        .exclude(claimed_until__gt=now)
        .values_list("pk", flat=True)[:500]
    )
    for delivery_id in due:
        transaction.on_commit(lambda delivery_id=delivery_id: deliver.delay(delivery_id))
    return len(due)


@shared_task(name="integrations.send_endpoint_disabled_notice", **SEND_RETRY, **TIME_LIMITS)
def send_endpoint_disabled_notice(endpoint_id: int) -> bool:
    from integrations.services import endpoint_disabled_notice_send

    endpoint = Endpoint.objects.select_related("owner", "team").filter(pk=endpoint_id).first()
    return endpoint is not None and endpoint_disabled_notice_send(endpoint=endpoint)
