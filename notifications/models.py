"""The record of every message OKR Hub sends or receives.

``EmailDelivery``: one row per user, kind and ISO week (one per inbound message for a reply's confirmation)
makes sending idempotent. ``InboundMessage``: one row per received message, unique by its Message-ID, so a
replayed or twice-fetched reply changes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EmailDelivery(models.Model):
    """One reminder or digest per user per ISO week: the unique constraint makes sending idempotent."""

    class Kind(models.TextChoices):
        CHECKIN_REMINDER = "checkin_reminder", _("check-in reminder")
        LEADER_DIGEST = "leader_digest", _("leader digest")
        REPLY_CONFIRMATION = "reply_confirmation", _("reply confirmation")
        MEETING_MINUTES = "meeting_minutes", _("meeting minutes")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="email_deliveries",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    iso_year = models.PositiveSmallIntegerField(_("ISO year"))
    iso_week = models.PositiveSmallIntegerField(_("ISO week"))
    # What the message is about when one a week is not the rule ("meeting:42": each meeting's minutes once).
    reference = models.CharField(_("reference"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # A sender holds the row until then (conditional update), so two workers never send the same email;
    # the lease outlives the task time limit, so it only lapses when its holder died.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # A reminder's own Message-ID and the token of its plus-addressed Reply-To (both random, 128 bits), and
    # the address it went to: a reply is matched to its reminder by them (notifications/replies.py).
    message_id = models.CharField(_("Message-ID"), max_length=255, null=True, blank=True, unique=True)
    reply_token = models.CharField(_("reply token"), max_length=64, null=True, blank=True, unique=True)
    sent_to = models.EmailField(_("sent to"), blank=True)
    # The inbound reply a confirmation answers (one confirmation per reply).
    inbound = models.OneToOneField(
        "notifications.InboundMessage",
        verbose_name=_("inbound message"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="confirmation",
    )

    class Meta:
        verbose_name = _("email delivery")
        verbose_name_plural = _("email deliveries")
        ordering = ["-created_at"]
        constraints = [
            # Weekly messages: once per user and ISO week (and reference: each meeting's minutes once).
            # A reply's confirmation is once per reply instead (the one-to-one ``inbound``).
            models.UniqueConstraint(
                fields=["user", "kind", "iso_year", "iso_week", "reference"],
                condition=~models.Q(kind="reply_confirmation"),
                name="email_delivery_once_per_week",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.user} ({self.iso_year}-W{self.iso_week:02d})"


class InboundMessage(models.Model):
    """A received email, recorded once by its Message-ID (``message_key``), whatever happened to it."""

    class Status(models.TextChoices):
        PROCESSED = "processed", _("processed")  # a reply to a reminder: its lines were applied
        REFUSED = "refused", _("refused")  # a known sender was told why nothing was applied
        DROPPED = (
            "dropped",
            _("dropped"),
        )  # unknown sender or an automatic message: no answer (no backscatter)

    # SHA-256 of the Message-ID (of the raw bytes when it has none): the unique row that makes a replay, or
    # a message two pollers fetched, change nothing.
    message_key = models.CharField(_("message key"), max_length=64, unique=True)
    message_id = models.TextField(_("Message-ID"), blank=True)
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    reminder = models.ForeignKey(
        EmailDelivery,
        verbose_name=_("reminder"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    # What each line became, in the replier's language: [{"line", "code", "title", "saved", "reason"}, …]
    # and the lines not understood; the confirmation is rendered from it.
    outcome = models.JSONField(_("outcome"), default=dict, blank=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.sender or '?'}: {self.subject} ({self.get_status_display()})"
