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

from objectives.models import KeyResult, value_field
from objectives.writability import require_checkin_possible
from okrhub.lib import ConstraintFieldsMixin
from okrhub.versioning import Versioned


class CheckIn(ConstraintFieldsMixin, Versioned):
    constraint_fields = {"checkin_confidence_range": "confidence"}

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
            require_checkin_possible(self.key_result)


class Feedback(Versioned):
    """A lead's comment on a key result, or on one of its check-ins, and the replies in its thread.

    A thread is a comment (``parent`` empty) and its replies (``parent`` = the comment), oldest first. Each
    item is *for* someone, who sees it as unread until they read it (``recipient_id``, and the same rule as a
    query in ``checkins.selectors.feedback_for_user_q``): what others write is for the key result's owner;
    what the owner writes is for whoever started the thread.
    """

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
    parent = models.ForeignKey(
        "self",
        verbose_name=_("reply to"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="replies",
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

    def clean(self) -> None:
        if self.parent_id is not None:
            if self.parent.parent_id is not None:
                raise ValidationError({"parent": gettext("Reply to the thread's first comment.")})
            if self.parent.key_result_id != self.key_result_id:
                raise ValidationError({"parent": gettext("The reply must belong to the same key result.")})

    @property
    def recipient_id(self) -> int | None:
        """Whom this item is for (needs ``key_result`` and, for a reply, ``parent`` loaded): see the class."""
        owner_id = self.key_result.owner_id
        if self.author_id != owner_id:
            return owner_id
        if self.parent_id is not None and self.parent.author_id != owner_id:
            return self.parent.author_id
        return None
