"""Pushing what happens in OKR Hub to other systems: webhook endpoints, Teams and Slack channels.

An ``Event`` is one fact (a check-in was made, a cycle closed), recorded once (``key``); each endpoint that
subscribes to it gets one ``Delivery`` (unique per event and endpoint), sent by Celery under a lease like
``notifications.EmailDelivery``, and every try leaves an ``Attempt`` in the delivery log.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okrhub.lib import ConstraintFieldsMixin
from okrhub.versioning import Versioned
from teams.models import Profile, Team

CHANNEL_NEEDS_TEAM = _("A Teams or Slack channel belongs to a team.")


class EventType(models.TextChoices):
    CHECKIN_CREATED = "checkin.created", _("A check-in was made")
    KEY_RESULT_NEEDS_ATTENTION = "key_result.needs_attention", _("A key result started needing attention")
    OBJECTIVE_PUBLISHED = "objective.published", _("An objective was published")
    CYCLE_CLOSED = "cycle.closed", _("A cycle was closed")
    FEEDBACK_CREATED = "feedback.created", _("Feedback was given")
    MEETING_ENDED = "meeting.ended", _("A meeting ended")
    WEEKLY_SUMMARY = "team.weekly_summary", _("Weekly summary of the team")
    TEST = "test", _("Test event")


# What each kind of endpoint may subscribe to: webhooks get the facts, channels get what people read.
WEBHOOK_EVENTS = (
    EventType.CHECKIN_CREATED,
    EventType.KEY_RESULT_NEEDS_ATTENTION,
    EventType.OBJECTIVE_PUBLISHED,
    EventType.CYCLE_CLOSED,
    EventType.FEEDBACK_CREATED,
    EventType.MEETING_ENDED,
)
CHANNEL_EVENTS = (EventType.WEEKLY_SUMMARY, EventType.KEY_RESULT_NEEDS_ATTENTION, EventType.MEETING_ENDED)


class Endpoint(ConstraintFieldsMixin, Versioned):
    """Where events go: a webhook URL (signed JSON), or a Teams/Slack incoming-webhook URL (cards).

    The URL and the signing secret are stored encrypted (integrations/crypto.py): a Slack or Teams URL is a
    credential itself. Pages show ``url_hint`` only.
    """

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", _("Webhook")
        TEAMS = "teams", _("Microsoft Teams channel")
        SLACK = "slack", _("Slack channel")

    constraint_fields = {"integration_endpoint_channel_has_team": "team"}

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.WEBHOOK)
    # Empty: the whole organisation. A team's endpoint gets the events of the team and the teams below it.
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="endpoints",
    )
    name = models.CharField(_("name"), max_length=120)
    url_encrypted = models.TextField(_("URL (encrypted)"), editable=False)
    url_hint = models.CharField(_("address"), max_length=200, editable=False)
    secret_encrypted = models.TextField(_("signing secret (encrypted)"), blank=True, editable=False)
    events = models.JSONField(_("events"), default=list)
    language = models.CharField(
        _("language"), max_length=8, choices=Profile.Language.choices, blank=True, default=""
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="integration_endpoints",
    )
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=300, blank=True)
    # Deliveries that failed for good since the last success; at WEBHOOK_DISABLE_AFTER the endpoint is off.
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("integration endpoint")
        verbose_name_plural = _("integration endpoints")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="webhook") | Q(team__isnull=False),
                name="integration_endpoint_channel_has_team",
            ),
        ]
        indexes = [
            # Fan-out of each event: Endpoint.objects.filter(is_active=True, team_id__in=…)
            models.Index(fields=["is_active", "team"], name="integ_endpoint_fanout_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_channel(self) -> bool:
        return self.kind != self.Kind.WEBHOOK

    def subscribes_to(self, event_type: str) -> bool:
        return event_type == EventType.TEST or event_type in self.events


class Event(models.Model):
    """One fact, recorded once: ``key`` names what it is about (``checkin:42``), so a repeated signal or a
    second sweep does not make a second event."""

    uuid = models.UUIDField(_("id"), default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=40, choices=EventType.choices)
    key = models.CharField(_("key"), max_length=120, unique=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(_("occurred"), default=timezone.now)
    data = models.JSONField(_("data"), default=dict)

    class Meta:
        verbose_name = _("integration event")
        verbose_name_plural = _("integration events")
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.uuid}"


class Delivery(models.Model):
    """One event to one endpoint, at most once: the unique row, claimed by a conditional update."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("delivered")
        FAILED = "failed", _("failed")

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="deliveries"
    )
    endpoint = models.ForeignKey(
        Endpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # A sender holds the row until then; longer than the task's time limit, so it lapses only if it died.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="integration_delivery_once"),
        ]
        indexes = [
            # The retry sweep: Delivery.objects.filter(status="pending", next_attempt_at__lte=now)
            models.Index(fields=["status", "next_attempt_at"], name="integ_delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class Attempt(models.Model):
    """The delivery log: one row per try, with what the receiver answered and how long it took."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response_ms = models.FloatField(_("response time (ms)"), null=True, blank=True)
    ok = models.BooleanField(_("succeeded"), default=False)
    will_retry = models.BooleanField(_("will retry"), default=False)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"


class AttentionState(models.Model):
    """Whether a key result needed attention when last looked at: ``key_result.needs_attention`` is sent when
    ``needing_since`` goes from empty to set (conditional update), so once per episode."""

    key_result = models.OneToOneField(
        "objectives.KeyResult", verbose_name=_("key result"), on_delete=models.CASCADE, related_name="+"
    )
    needing_since = models.DateTimeField(_("needs attention since"), null=True, blank=True)
    reasons = models.JSONField(_("reasons"), default=list)
    checked_at = models.DateTimeField(_("checked"), default=timezone.now)

    class Meta:
        verbose_name = _("attention state")
        verbose_name_plural = _("attention states")

    def __str__(self) -> str:
        return f"{self.key_result_id}: {self.reasons}"
