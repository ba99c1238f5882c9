"""What we aim for: cycles, objectives, key results and initiatives."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from objectives import progress
from objectives.validators import validate_sensible_date
from okrhub.lib import ConstraintFieldsMixin
from okrhub.versioning import Versioned
from teams.models import Team

# Values hold up to 12 digits before the decimal point and 4 after (e.g. NOK amounts, percentages, counts).
VALUE_DIGITS = 16
VALUE_DECIMALS = 4


def value_field(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=VALUE_DIGITS, decimal_places=VALUE_DECIMALS, **kwargs)


# --- What key results and KPIs share: kinds, values, their constraints and the progress rule ---------------

KIND_LABELS = {
    progress.INCREASE_TO: _("increase to"),
    progress.DECREASE_TO: _("decrease to"),
    progress.STAY_ABOVE: _("stay above"),
    progress.STAY_BELOW: _("stay below"),
    progress.ACHIEVE: _("achieve (done / not done)"),
}
DIRECTION_FIELDS = {
    "increase_target_not_below_start": "target_value",
    "decrease_target_not_above_start": "target_value",
}


def direction_constraints(prefix: str) -> list[models.CheckConstraint]:
    """The one statement of "a target lies in the kind's direction from the start", for ``prefix``'s table."""
    return [
        models.CheckConstraint(
            condition=~Q(kind=progress.INCREASE_TO) | Q(target_value__gte=F("start_value")),
            name=f"{prefix}_increase_target_not_below_start",
            violation_error_message=_("For “increase to”, the target cannot be below the start value."),
        ),
        models.CheckConstraint(
            condition=~Q(kind=progress.DECREASE_TO) | Q(target_value__lte=F("start_value")),
            name=f"{prefix}_decrease_target_not_above_start",
            violation_error_message=_("For “decrease to”, the target cannot be above the start value."),
        ),
    ]


class MeasuredValue(ConstraintFieldsMixin, models.Model):
    """A kind, a unit and start, target and current values, judged by ``objectives.progress``: key results
    and KPIs alike. Each subclass declares its ``kind`` (its choices) and ``target_value`` (its label), and
    lists ``direction_constraints`` in its Meta; violations are reported on ``target_value``."""

    unit = models.CharField(_("unit"), max_length=30, blank=True)
    start_value = value_field(_("start value"), default=Decimal(0))
    current_value = value_field(_("current value"), default=Decimal(0))

    class Meta:
        abstract = True

    @classmethod
    def constraint_field_map(cls) -> dict[str, str]:
        prefix = cls.constraint_prefix
        return {
            **{f"{prefix}_{name}": field for name, field in DIRECTION_FIELDS.items()},
            **cls.constraint_fields,
        }

    @property
    def progress(self) -> float:
        return progress.key_result_progress(
            kind=self.kind, start=self.start_value, target=self.target_value, current=self.current_value
        )


OBJECTIVE_STATUS_FOLLOWS_CYCLE = _(
    "Published objectives are “published” while their cycle is in planning and “active” once it is active."
)
NEW_OBJECTIVE_ARCHIVED_TEAM = _("This team is archived; reactivate it before planning new objectives for it.")
PARENT_CYCLE_MUST_OVERLAP = _("Align to an objective of a cycle that overlaps this one.")


class Cycle(ConstraintFieldsMixin, Versioned):
    """An OKR period. Its life: upcoming → planning (workshops open) → active (check-ins) → closed."""

    constraint_fields = {"cycle_end_after_start": "end_date"}

    class Status(models.TextChoices):
        UPCOMING = "upcoming", _("upcoming")
        PLANNING = "planning", _("planning")
        ACTIVE = "active", _("active")
        CLOSED = "closed", _("closed")

    name = models.CharField(_("name"), max_length=60, unique=True)
    start_date = models.DateField(_("start date"), validators=[validate_sensible_date])
    end_date = models.DateField(_("end date"), validators=[validate_sensible_date])
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNING)

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="cycle_end_after_start",
                violation_error_message=_("The end date must be after the start date."),
            ),
        ]
        indexes = [
            # The current cycle: Cycle.objects.filter(status="active").order_by("-start_date")
            models.Index(fields=["status", "-start_date"], name="cycle_status_start_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def published_objective_status(self) -> str:
        """What a published objective is in this cycle: *active* once the cycle is active, *published* before
        (objectives.services.cycle_activate turns them active with the cycle)."""
        return Objective.Status.ACTIVE if self.status == self.Status.ACTIVE else Objective.Status.PUBLISHED

    def expected_progress(self, on) -> float:
        return progress.expected_progress(start=self.start_date, end=self.end_date, on=on)

    def overlaps(self, other: Cycle) -> bool:
        """Whether the two cycles share a day: a team may align to an objective of a team above whose cycle
        overlaps its own (a section planning by tertial, a team by quarter)."""
        return self.start_date <= other.end_date and other.start_date <= self.end_date

    @classmethod
    def overlapping_q(cls, cycle: Cycle, *, prefix: str = "") -> Q:
        """Filter for cycles that overlap ``cycle`` (the rule of ``overlaps``); ``prefix`` reaches them."""
        return Q(**{f"{prefix}start_date__lte": cycle.end_date, f"{prefix}end_date__gte": cycle.start_date})

    # The lifecycle: action → (the statuses it starts from, the status it leads to). The services in
    # objectives/services.py carry them out; pages and templates ask ``may`` to offer an action.
    TRANSITIONS = {
        "start_planning": ((Status.UPCOMING,), Status.PLANNING),
        "activate": ((Status.PLANNING,), Status.ACTIVE),
        # Closing (final scores, archiving) is for a cycle under way: not one still being planned.
        "close": ((Status.ACTIVE,), Status.CLOSED),
    }

    def may(self, action: str) -> bool:
        return self.status in self.TRANSITIONS[action][0]

    @property
    def may_start_planning(self) -> bool:
        return self.may("start_planning")

    @property
    def may_activate(self) -> bool:
        return self.may("activate")

    @property
    def is_closable(self) -> bool:
        return self.may("close")


class Objective(Versioned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        # Published into a cycle still in planning; becomes active when the cycle is activated.
        PUBLISHED = "published", _("published")
        ACTIVE = "active", _("active")
        ARCHIVED = "archived", _("archived")

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="objectives"
    )
    cycle = models.ForeignKey(
        Cycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="objectives"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_objectives",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("aligned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["position", "id"]
        indexes = [
            # Dashboards and team pages: Objective.objects.filter(cycle=…, team__in=…, status=…)
            models.Index(fields=["cycle", "team", "status"], name="objective_cycle_team_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.pk is None and Team.objects.filter(pk=self.team_id, archived_at__isnull=False).exists():
            raise ValidationError({"team": NEW_OBJECTIVE_ARCHIVED_TEAM})
        published = (self.Status.PUBLISHED, self.Status.ACTIVE)
        if (
            self.cycle_id
            and self.status in published
            and not self.cycle.is_closed
            and self.status != self.cycle.published_objective_status
        ):
            raise ValidationError({"status": OBJECTIVE_STATUS_FOLLOWS_CYCLE})
        if self.parent_id:
            if self.parent_id == self.pk:
                raise ValidationError({"parent": _("An objective cannot be aligned to itself.")})
            if self.cycle_id and not self.parent.cycle.overlaps(self.cycle):
                raise ValidationError({"parent": PARENT_CYCLE_MUST_OVERLAP})


class AdjustmentHistory(HistoricalRecords):
    """History that skips saves touching only excluded fields: check-ins recomputing the current value have
    their own record, and a history row per check-in would only grow the table."""

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not created and update_fields and set(update_fields) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, **kwargs)


class KeyResultQuerySet(models.QuerySet):
    def in_progress(self) -> KeyResultQuerySet:
        """Key results that count towards progress: not retired mid-cycle."""
        return self.filter(retired_at__isnull=True)


class KeyResult(MeasuredValue, Versioned):
    class Kind(models.TextChoices):
        INCREASE_TO = progress.INCREASE_TO, KIND_LABELS[progress.INCREASE_TO]
        DECREASE_TO = progress.DECREASE_TO, KIND_LABELS[progress.DECREASE_TO]
        STAY_ABOVE = progress.STAY_ABOVE, KIND_LABELS[progress.STAY_ABOVE]
        STAY_BELOW = progress.STAY_BELOW, KIND_LABELS[progress.STAY_BELOW]
        ACHIEVE = progress.ACHIEVE, KIND_LABELS[progress.ACHIEVE]

    constraint_prefix = "key_result"
    constraint_fields = {
        "key_result_confidence_range": "confidence",
        "key_result_weight_positive": "weight",
        "key_result_final_score_range": "final_score",
    }

    objective = models.ForeignKey(
        Objective, verbose_name=_("objective"), on_delete=models.CASCADE, related_name="key_results"
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_key_results",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.INCREASE_TO)
    target_value = value_field(_("target value"), default=Decimal(1))
    confidence = models.PositiveSmallIntegerField(
        _("confidence"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    last_checkin_at = models.DateTimeField(_("last check-in"), null=True, blank=True, editable=False)
    # Retired mid-cycle: kept with its history, but no longer counts towards progress.
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    # Given when the cycle closes: 0.0–1.0, prefilled with the progress, set by the owner or the lead.
    final_score = models.DecimalField(
        _("final score"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = KeyResultQuerySet.as_manager()
    # Mid-cycle adjustments: who changed what, when and why (the reason is required on active key results).
    # Check-ins rewrite current value and confidence; they have their own record, so history leaves them out.
    history = AdjustmentHistory(
        excluded_fields=["current_value", "confidence", "last_checkin_at", "updated_at", "version"],
        history_change_reason_field=models.TextField(null=True),
    )

    class Meta:
        verbose_name = _("key result")
        verbose_name_plural = _("key results")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=1, confidence__lte=10),
                name="key_result_confidence_range",
                violation_error_message=_("Confidence must be between 1 and 10."),
            ),
            *direction_constraints("key_result"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="key_result_weight_positive"),
            models.CheckConstraint(
                condition=Q(final_score__isnull=True) | Q(final_score__gte=0, final_score__lte=1),
                name="key_result_final_score_range",
                violation_error_message=_("The final score must be between 0.0 and 1.0."),
            ),
        ]
        indexes = [
            # My week: KeyResult.objects.filter(owner=user, objective__cycle__status="active")
            models.Index(fields=["owner", "objective"], name="key_result_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def plan(self) -> tuple[progress.Milestone, ...]:
        """The planned path's milestones as (date, planned value): prefetch ``milestones`` for lists."""
        return tuple((milestone.date, milestone.planned_value) for milestone in self.milestones.all())


class Milestone(models.Model):
    """A point on a key result's planned path: the value planned by a date within its cycle.

    Expected progress follows the plan instead of the straight line (``progress.planned_progress``).
    """

    key_result = models.ForeignKey(
        KeyResult, verbose_name=_("key result"), on_delete=models.CASCADE, related_name="milestones"
    )
    date = models.DateField(_("date"))
    planned_value = value_field(_("planned value"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["key_result", "date"]
        constraints = [
            # Also the index of a key result's plan: Milestone.objects.filter(key_result=…).order_by("date")
            models.UniqueConstraint(
                fields=["key_result", "date"],
                name="milestone_one_per_key_result_and_date",
                violation_error_message=_("A key result has one milestone per date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.planned_value}"

    def clean(self) -> None:
        if not self.key_result_id or not self.date:
            return
        key_result, errors = self.key_result, {}
        cycle = key_result.objective.cycle
        if key_result.kind not in progress.PACED_KINDS:
            errors["key_result"] = _("Only “increase to” and “decrease to” key results have a planned path.")
        if not cycle.start_date < self.date < cycle.end_date:
            errors["date"] = _("A milestone’s date must fall after the cycle starts and before it ends.")
        value = self.planned_value
        if isinstance(value, Decimal | int):
            low, high = sorted((key_result.start_value, key_result.target_value))
            if not low <= value <= high:
                errors["planned_value"] = _(
                    "The planned value must lie between the start value and the target."
                )
        if errors:
            raise ValidationError(errors)


class Initiative(Versioned):
    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        DROPPED = "dropped", _("dropped")

    objective = models.ForeignKey(
        Objective, verbose_name=_("objective"), on_delete=models.CASCADE, related_name="initiatives"
    )
    key_result = models.ForeignKey(
        KeyResult,
        verbose_name=_("key result"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="initiatives",
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_initiatives",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    due_date = models.DateField(_("due date"), null=True, blank=True, validators=[validate_sensible_date])
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["position", "id"]
        indexes = [
            # My week: Initiative.objects.filter(owner=user, objective__cycle__status="active")
            models.Index(fields=["owner", "objective"], name="initiative_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.key_result_id and self.objective_id and self.key_result.objective_id != self.objective_id:
            raise ValidationError({"key_result": _("The key result must belong to the same objective.")})


class Retrospective(models.Model):
    """A team's short look back when a cycle closes."""

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="retrospectives"
    )
    cycle = models.ForeignKey(
        Cycle, verbose_name=_("cycle"), on_delete=models.CASCADE, related_name="retrospectives"
    )
    what_worked = models.TextField(_("what worked"), max_length=4000, blank=True)
    what_to_change = models.TextField(_("what to change"), max_length=4000, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("retrospective")
        verbose_name_plural = _("retrospectives")
        constraints = [
            models.UniqueConstraint(
                fields=["team", "cycle"],
                name="retrospective_unique_team_cycle",
                violation_error_message=_("This team already has a retrospective for this cycle."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.cycle}"


class Kpi(MeasuredValue, Versioned):
    """A lasting team metric outside cycles, often a key result that proved its worth."""

    class Kind(models.TextChoices):
        # A key result's kinds but "achieve": a lasting metric is never simply done.
        INCREASE_TO = progress.INCREASE_TO, KIND_LABELS[progress.INCREASE_TO]
        DECREASE_TO = progress.DECREASE_TO, KIND_LABELS[progress.DECREASE_TO]
        STAY_ABOVE = progress.STAY_ABOVE, KIND_LABELS[progress.STAY_ABOVE]
        STAY_BELOW = progress.STAY_BELOW, KIND_LABELS[progress.STAY_BELOW]

    constraint_prefix = "kpi"

    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.STAY_ABOVE)
    target_value = value_field(_("target or threshold"))
    last_measured_at = models.DateTimeField(_("last check-in"), null=True, blank=True, editable=False)
    # The key result it was promoted from; that key result reaches its KPI as ``key_result.kpi``.
    source_key_result = models.OneToOneField(
        KeyResult,
        verbose_name=_("promoted from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kpi",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["name", "id"]
        constraints = direction_constraints("kpi")
        indexes = [
            # Team page and dashboard: Kpi.objects.filter(team_id__in=…).order_by("name")
            models.Index(fields=["team", "name"], name="kpi_team_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class KpiMeasurement(Versioned):
    """A check-in on a KPI: the value now, with an optional note."""

    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.CASCADE, related_name="measurements")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, on_delete=models.SET_NULL
    )
    value = value_field(_("value"))
    note = models.TextField(_("note"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("KPI check-in")
        verbose_name_plural = _("KPI check-ins")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The KPI page and its chart: filter(kpi=…).order_by("-created_at")
            models.Index(fields=["kpi", "-created_at"], name="kpi_measurement_kpi_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.value}"
