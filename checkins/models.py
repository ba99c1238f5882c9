"""How it is going: check-ins and feedback on them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from objectives.models import Cycle, KeyResult, Objective, value_field


def checkin_validate_target(key_result: KeyResult) -> None:
    """A check-in needs a key result still counted, of a published objective in a cycle that is not closed."""
    objective = key_result.objective
    if key_result.retired_at is not None:
        raise ValidationError(gettext("The key result is retired; check-ins are no longer possible."))
    if objective.cycle.status == Cycle.Status.CLOSED:
        raise ValidationError(gettext("The cycle is closed; check-ins are no longer possible."))
    if objective.status == Objective.Status.ARCHIVED:
        raise ValidationError(gettext("The objective is archived; check-ins are no longer possible."))
    if objective.status == Objective.Status.DRAFT:
        raise ValidationError(gettext("The objective is still a draft; publish it before checking in."))


class CheckIn(models.Model):
    key_result = models.ForeignKey(
        KeyResult, verbose_name=_("key result"), on_delete=models.CASCADE, related_name="checkins"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="checkins",
    )
    value = value_field(_("value"))
    confidence = models.PositiveSmallIntegerField(
        _("confidence"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__gte=1, confidence__lte=10),
                name="checkin_confidence_range",
                violation_error_message=_("Confidence must be between 1 and 10."),
            ),
        ]
        indexes = [
            # Latest check-in of a key result, its history page: filter(key_result=…).order_by("-created_at")
            models.Index(fields=["key_result", "-created_at"], name="checkin_kr_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key_result}: {self.value} ({self.created_at:%Y-%m-%d})"

    def clean(self) -> None:
        # The service checks this on the locked row first; here it also guards the admin's forms.
        if self.key_result_id:
            checkin_validate_target(self.key_result)


class Feedback(models.Model):
    """A lead's comment on a key result, or on one of its check-ins."""

    key_result = models.ForeignKey(
        KeyResult, verbose_name=_("key result"), on_delete=models.CASCADE, related_name="feedback"
    )
    checkin = models.ForeignKey(
        CheckIn,
        verbose_name=_("check-in"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="feedback",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="feedback_given",
    )
    body = models.TextField(_("feedback"), max_length=4000)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Unread feedback for an owner: filter(key_result__owner=user, read_at=None)
            models.Index(fields=["key_result", "read_at"], name="feedback_kr_read_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"
