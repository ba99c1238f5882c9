"""Who: teams in a tree (organisation → section → team), memberships, and user-level profile settings."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from okrhub.lib import ConstraintFieldsMixin
from okrhub.versioning import Versioned


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class Weekday(models.IntegerChoices):
    # ISO weekday numbers, as date.isoweekday() returns them.
    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")
    SUNDAY = 7, _("Sunday")


TEAM_MOVE_LOOP = _("A team cannot be placed below itself or below one of its own sub-teams.")


class CheckpointCadence(models.IntegerChoices):
    """How often a section's leader holds a checkpoint (sjekkpunkt) across its teams, in weeks."""

    FORTNIGHTLY = 2, _("every two weeks")
    MONTHLY = 4, _("monthly (every four weeks)")
    SIX_WEEKS = 6, _("every six weeks")
    QUARTERLY = 13, _("quarterly (every thirteen weeks)")


class Team(ConstraintFieldsMixin, Versioned):
    constraint_fields = {
        "team_reminder_hour_range": "reminder_hour",
        "team_reminder_weekday_range": "reminder_weekday",
    }

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.TextField(_("description"), blank=True)
    reminder_weekday = models.PositiveSmallIntegerField(
        _("reminder weekday"), choices=Weekday.choices, default=Weekday.THURSDAY
    )
    reminder_hour = models.PositiveSmallIntegerField(
        _("reminder hour"), default=14, validators=[MinValueValidator(0), MaxValueValidator(23)]
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Oslo", validators=[validate_time_zone]
    )
    # A section's leader checkpoint (meetings app, /dashboards/checkpoints/); none: no checkpoints are due.
    checkpoint_weeks = models.PositiveSmallIntegerField(
        _("leader checkpoint"), choices=CheckpointCadence.choices, null=True, blank=True
    )
    # Archived: out of new work (pickers, new objectives, workshops), its history kept and still readable.
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Where the team comes in the whole tree's walk (depth-first in name order, ``teams.tree``), kept by
    # ``tree_changed`` with every change of the tree, so SQL can sort by the tree (the dashboard's needs
    # attention list, paginated in the database).
    tree_position = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reminder_hour__gte=0, reminder_hour__lte=23),
                name="team_reminder_hour_range",
            ),
            models.CheckConstraint(
                condition=models.Q(reminder_weekday__gte=1, reminder_weekday__lte=7),
                name="team_reminder_weekday_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def clean(self) -> None:
        # A team may not sit below itself: neither the proposed parent nor any team above it may be this one.
        if self.pk and self.parent_id:
            from teams.tree import TeamTree  # the tree module reads this model

            if self.pk in {
                self.parent_id,
                *TeamTree.load(columns=("id", "parent_id", "name")).ancestor_ids(self.parent_id),
            }:
                raise ValidationError({"parent": TEAM_MOVE_LOOP})


class Membership(Versioned):
    class Role(models.TextChoices):
        MEMBER = "member", _("member")
        LEAD = "lead", _("team lead")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["team__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "team"],
                name="membership_unique_user_team",
                violation_error_message=_("This user is already a member of this team."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.team} ({self.get_role_display()})"


class Profile(models.Model):
    """User-level settings: the OKR ambassador role, language and notification preferences."""

    class Language(models.TextChoices):
        DEFAULT = "", _("Site default")
        NB = "nb", _("Norwegian Bokmål")
        EN = "en", _("English")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="profile"
    )
    is_ambassador = models.BooleanField(
        _("OKR ambassador"),
        default=False,
        help_text=_("May run goal workshops and edit drafts for any team."),
    )
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, blank=True, default="")
    reminders_enabled = models.BooleanField(_("weekly check-in reminders"), default=True)
    digests_enabled = models.BooleanField(_("weekly digest for team leads"), default=True)
    is_org_admin = models.BooleanField(
        _("organisation admin"),
        default=False,
        help_text=_("Manages the whole team tree, the cycles and the people. Staff always are."),
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return str(self.user)


class InvitationQuerySet(models.QuerySet):
    def open(self) -> InvitationQuerySet:
        """Neither accepted nor revoked (it may have expired: ``Invitation.state`` says so)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    """An email address invited to a team with a role; the link in the email is a signed token (``nonce``
    rotates on resend, so only the latest link works) and is good once, until ``expires_at``."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        REVOKED = "revoked", _("revoked")
        EXPIRED = "expired", _("expired")

    email = models.EmailField(_("email address"))  # stored lower-case (people_services.normalise_email)
    name = models.CharField(_("name"), max_length=150, blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(
        _("role"), max_length=16, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="invitations_sent",
    )
    nonce = models.CharField(max_length=32, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The rule "one open invitation per address and team"; also serves the duplicate lookup.
            models.UniqueConstraint(
                fields=["email", "team"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email_team",
                violation_error_message=_("This address already has a pending invitation to this team."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.team}"

    def state_at(self, now) -> str:
        if self.accepted_at is not None:
            return self.State.ACCEPTED
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at <= now:
            return self.State.EXPIRED
        return self.State.PENDING


class TeamTreeState(models.Model):
    """One row whose ``generation`` changes with every save or deletion of a team (``teams.tree``): a process
    keeps the team tree it read for as long as the generation it read with it is still the one stored, so
    a page of a 5,000-team organisation reads one short row instead of every team. A random value, not a
    counter: a rolled-back change (or a restored backup) can never make another tree's generation current."""

    generation = models.UUIDField(default=uuid.uuid4)

    def __str__(self) -> str:
        return str(self.generation)
