"""The record of every message OKR Hub sends: one row per user, kind and ISO week makes sending idempotent."""

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

    class Meta:
        verbose_name = _("email delivery")
        verbose_name_plural = _("email deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "iso_year", "iso_week", "reference"],
                name="email_delivery_once_per_week",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.user} ({self.iso_year}-W{self.iso_week:02d})"
