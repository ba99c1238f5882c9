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

    class Source(models.TextChoices):
        """Where a check-in came from, shown beside its author: a value that arrived by email or from a data
        source reads differently from one typed on the page. ("": not recorded, check-ins before 2026-12.)"""

        WEB = "web", _("on the web")
        API = "api", _("through the API")
        EMAIL = "email", _("by email")
        DATA_SOURCE = "data_source", _("from a data source")
        IMPORT = "import", _("imported")

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
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, blank=True, default="")
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

    @property
    def source_label(self) -> str:
        """Shown beside the author: where the check-in came from, unless typed on the page (or unrecorded)."""
        return "" if self.source in ("", self.Source.WEB) else self.get_source_display()

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


# --- Rollups: the dashboard's figures per cycle × team, kept by checkins.rollups with every write --------


class TeamRollup(models.Model):
    """A team's figures in a cycle that do not depend on the day (see ``checkins.rollups``)."""

    cycle = models.ForeignKey("objectives.Cycle", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")
    objectives = models.PositiveIntegerField(default=0)  # published or active (not drafts, not archived)
    drafts = models.PositiveIntegerField(default=0)  # draft objectives (shown to those who may see them)
    key_results = models.PositiveIntegerField(default=0)  # counted key results of active objectives
    progress_sum = models.FloatField(default=0)  # the objectives' progress, summed (mean = sum / objectives)
    owners = models.JSONField(default=list)  # ids of the users owning something published in the cycle
    # A write changed the team's figures since they were computed: the worker (or the next read of the
    # team's figures) recomputes them (``checkins.rollups``).
    dirty = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cycle", "team"], name="team_rollup_unique")]
        indexes = [
            models.Index(fields=["cycle", "team"], condition=models.Q(dirty=True), name="team_rollup_dirty")
        ]

    def __str__(self) -> str:
        return f"{self.cycle_id}/{self.team_id}"


class HealthStep(models.Model):
    """From ``day`` on, this many more of the team's key results are at risk or worse / off track / need
    attention for a stored reason (negative: fewer). A day's counts: the sums of the steps up to it; the
    first sits on ``rollups.EVER``."""

    cycle = models.ForeignKey("objectives.Cycle", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    at_risk_or_worse = models.IntegerField(default=0)
    off_track = models.IntegerField(default=0)
    attention = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["cycle", "day", "team"], name="health_step_cycle_day")]

    def __str__(self) -> str:
        return f"{self.team_id}@{self.day}"


class CheckInWeek(models.Model):
    """Key results of the team (of active objectives, not retired) checked in during the week of ``week``."""

    cycle = models.ForeignKey("objectives.Cycle", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")
    week = models.DateField()  # the Monday
    checked = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["cycle", "week", "team"], name="checkin_week_cycle_week")]

    def __str__(self) -> str:
        return f"{self.team_id}@{self.week}"


class AttentionSpan(models.Model):
    """A key result needs attention for ``reason`` on the days from ``start`` up to (not including) ``end``
    (open-ended when None). "Owner deactivated" is read from the owner at read time, not stored here."""

    cycle = models.ForeignKey("objectives.Cycle", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20)
    start = models.DateField()
    end = models.DateField(null=True)
    # The list's order within a team (objective, then key result), so the list needs no join to sort.
    objective_position = models.IntegerField(default=0)
    objective_id_order = models.IntegerField(default=0)  # the objective's id
    key_result_position = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["cycle", "start", "team"], name="attention_span_cycle_start")]

    def __str__(self) -> str:
        return f"{self.key_result_id}:{self.reason}"


class AttentionSegment(models.Model):
    """From ``start`` up to (not including) ``end`` (open-ended when None) a key result needs attention for
    ``reasons`` stored reasons (the ``AttentionSpan`` rows of those days), with its place in the
    needs-attention list: the team's place in the tree (``Team.tree_position``, kept when the tree changes),
    then the objective's and the key result's. The list is read in its order from the index below, a page
    at a time, however many teams there are."""

    cycle = models.ForeignKey("objectives.Cycle", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="+")
    start = models.DateField()
    end = models.DateField(null=True)
    reasons = models.PositiveSmallIntegerField()
    team_place = models.IntegerField(default=0)
    objective_position = models.IntegerField(default=0)
    objective_id_order = models.IntegerField(default=0)  # the objective's id
    key_result_position = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=[
                    "cycle",
                    "-reasons",
                    "team_place",
                    "objective_position",
                    "objective_id_order",
                    "key_result_position",
                    "key_result",
                ],
                name="attention_segment_order",
            ),
            models.Index(fields=["cycle", "team"], name="attention_segment_team"),
        ]

    def __str__(self) -> str:
        return f"{self.key_result_id}×{self.reasons}"


class RollupState(models.Model):
    """Changes whenever a recomputation of the cycle's rollups commits (``checkins.rollups.refresh``): what a
    reader derives from the rollups alone (the scope's totals, a page of team figures, a page of the
    needs-attention order) is kept in the cache under this generation, and read again once it changes."""

    cycle = models.OneToOneField(
        "objectives.Cycle", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    generation = models.UUIDField()

    def __str__(self) -> str:
        return f"{self.cycle_id}: {self.generation}"
