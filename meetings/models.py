"""The team's weekly OKR meeting (møte): notes per key result, decisions, actions and the frozen minutes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from objectives.models import Initiative, KeyResult
from teams.models import Team

ONE_OPEN_MEETING_PER_WEEK = _("This team already has an open meeting this week.")


class Meeting(models.Model):
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="meetings")
    iso_year = models.PositiveSmallIntegerField(_("ISO year"))
    iso_week = models.PositiveSmallIntegerField(_("ISO week"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The referat as it stood when the meeting ended (meetings.selectors.minutes_snapshot): never recomputed,
    # so later check-ins and edits do not rewrite history.
    minutes = models.JSONField(_("minutes"), default=dict, blank=True)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attendees"), blank=True, related_name="meetings_attended"
    )

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "iso_year", "iso_week"],
                condition=Q(ended_at__isnull=True),
                name="meeting_one_open_per_team_week",
                violation_error_message=ONE_OPEN_MEETING_PER_WEEK,
            ),
        ]
        indexes = [
            # The team's meeting list and "the previous meeting": filter(team=…).order_by("-started_at")
            models.Index(fields=["team", "-started_at"], name="meeting_team_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.iso_year}-W{self.iso_week:02d}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class MeetingItem(models.Model):
    """What was said in a meeting: a note on a key result, or a decision (beslutning)."""

    class Kind(models.TextChoices):
        NOTE = "note", _("note")
        DECISION = "decision", _("decision")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="items"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    key_result = models.ForeignKey(
        KeyResult,
        verbose_name=_("key result"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meeting_items",
    )
    body = models.TextField(_("text"), max_length=2000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("meeting note")
        verbose_name_plural = _("meeting notes")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="decision") | Q(key_result__isnull=False),
                name="meeting_note_has_key_result",
                violation_error_message=_("A note belongs to a key result."),
            ),
        ]

    def __str__(self) -> str:
        return self.body[:60]


class MeetingAction(models.Model):
    """An oppfølgingspunkt: who does what by when, kept as an initiative (tiltak) on its key result."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="actions"
    )
    initiative = models.OneToOneField(
        Initiative, verbose_name=_("initiative"), on_delete=models.CASCADE, related_name="meeting_action"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return str(self.initiative)


class CheckpointAssessment(models.Model):
    """A section leader's short written assessment of one team at a checkpoint (sjekkpunkt): shown on the
    team's page and in its next meeting's agenda."""

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="checkpoint_assessments"
    )
    section = models.ForeignKey(
        Team, verbose_name=_("section"), on_delete=models.CASCADE, related_name="checkpoints_held"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("assessment"), max_length=2000)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("checkpoint assessment")
        verbose_name_plural = _("checkpoint assessments")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The team's latest assessment (team page, agenda): filter(team=…).order_by("-created_at")
            models.Index(fields=["team", "-created_at"], name="assessment_team_created_idx"),
            # Is a checkpoint due: filter(section=…).aggregate(Max("created_at"))
            models.Index(fields=["section", "-created_at"], name="assessment_section_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.team}: {self.body[:40]}"
