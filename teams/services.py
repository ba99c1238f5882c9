"""Writes about teams: the team tree and memberships, validated with full_clean() inside a transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.models import Token

from okrhub.lib import assign_fields
from okrhub.versioning import lock_at_version, update_fields_for
from teams.models import Membership, Profile, Team

TEAM_FIELDS = ("name", "slug", "parent", "checkpoint_weeks")
MEMBERSHIP_FIELDS = ("team", "user", "role")

# Norwegian letters as people write them in addresses (slugify alone drops them: "Rådgiving" → "rdgiving").
_SLUG_LETTERS = str.maketrans({"æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "å": "a", "Å": "a"})
SLUG_MAX_LENGTH = Team._meta.get_field("slug").max_length

TEAM_ARCHIVE_HAS_ACTIVE_CHILDREN = gettext_lazy(
    "“%(team)s” still has sub-teams in use. Archive or move them first."
)
TEAM_REACTIVATE_PARENT_ARCHIVED = gettext_lazy(
    "“%(team)s” sits below an archived team. Reactivate “%(parent)s” first, or move the team."
)
TEAM_MOVE_BELOW_ARCHIVED = gettext_lazy("Choose a parent team that is not archived.")
TEAM_ALREADY_ARCHIVED = gettext_lazy("This team is already archived.")
TEAM_NOT_ARCHIVED = gettext_lazy("This team is not archived.")


def team_slug_for(name: str, *, exclude_pk: int | None = None) -> str:
    """A unique slug from the team's name: æ → ae, ø → o, å → a, then Django's slugify; -2, -3 … if taken."""
    base = slugify(name.translate(_SLUG_LETTERS))[: SLUG_MAX_LENGTH - 4].strip("-") or "team"
    taken = set(
        Team.objects.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


@transaction.atomic
def team_create(*, name: str, slug: str = "", parent: Team | None = None) -> Team:
    name = name.strip()
    if parent is not None and parent.is_archived:
        raise ValidationError({"parent": TEAM_MOVE_BELOW_ARCHIVED})
    team = Team(name=name, slug=slug.strip() or team_slug_for(name), parent=parent)
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_update(*, team: Team, data: dict[str, Any], version: int | None = None) -> Team:
    new_parent = data.get("parent")
    if new_parent is not None and new_parent.pk != team.parent_id and new_parent.is_archived:
        raise ValidationError({"parent": TEAM_MOVE_BELOW_ARCHIVED})
    lock_at_version(team, expected=version)
    assign_fields(team, data, TEAM_FIELDS)
    team.full_clean()
    team.save(update_fields=update_fields_for(team, data))
    return team


@transaction.atomic
def team_archive(*, team: Team) -> Team:
    """Out of new work, history kept. Teams below it must be archived (or moved) first, so an archived team
    never has active teams below it."""
    locked = Team.objects.select_for_update().get(pk=team.pk)
    if locked.is_archived:
        raise ValidationError(TEAM_ALREADY_ARCHIVED)
    if Team.objects.filter(parent=locked, archived_at__isnull=True).exists():
        raise ValidationError(TEAM_ARCHIVE_HAS_ACTIVE_CHILDREN % {"team": locked.name})
    locked.archived_at = team.archived_at = timezone.now()
    locked.save(update_fields=["archived_at"])
    return team


@transaction.atomic
def team_reactivate(*, team: Team) -> Team:
    locked = Team.objects.select_for_update(of=("self",)).select_related("parent").get(pk=team.pk)
    if not locked.is_archived:
        raise ValidationError(TEAM_NOT_ARCHIVED)
    if locked.parent is not None and locked.parent.is_archived:
        params = {"team": locked.name, "parent": locked.parent.name}
        raise ValidationError(TEAM_REACTIVATE_PARENT_ARCHIVED % params)
    locked.archived_at = team.archived_at = None
    locked.save(update_fields=["archived_at"])
    return team


BOOTSTRAP_NOT_EMPTY = gettext_lazy(
    "This database already has %(teams)d teams and %(users)d users. bootstrap only sets up an empty "
    "installation; sign in as an organisation admin and use the Organisation page instead."
)


def username_from_email(email: str) -> str:
    """The part before the @, in the characters Django allows in a username."""
    local = email.split("@", 1)[0].lower()
    return "".join(ch for ch in local if ch.isalnum() or ch in ".+-_")[:150] or "admin"


@transaction.atomic
def organisation_bootstrap(*, name: str, admin_email: str):
    """A fresh installation: the top team and its first organisation admin (who leads the top team too).
    The admin has no password yet; they set one through a one-time link. Refused unless the database holds
    no team and no user."""
    User = get_user_model()
    teams, users = Team.objects.count(), User.objects.count()
    if teams or users:
        raise ValidationError(BOOTSTRAP_NOT_EMPTY % {"teams": teams, "users": users})
    top = team_create(name=name)
    user = User(username=username_from_email(admin_email), email=admin_email.strip())
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    Profile.objects.create(user=user, is_org_admin=True)
    membership_create(team=top, user=user, role=Membership.Role.LEAD)
    return user


@transaction.atomic
def org_admin_set(*, user, is_org_admin: bool) -> Profile:
    """Grant or revoke the organisation admin role (staff have it anyway)."""
    profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
    profile.is_org_admin = is_org_admin
    profile.save(update_fields=["is_org_admin"])
    return profile


@transaction.atomic
def team_delete(*, team: Team) -> None:
    # Teams below it are protected (ProtectedError); its objectives and memberships go with it.
    team.delete()


@transaction.atomic
def membership_create(*, team: Team, user, role: str = Membership.Role.MEMBER) -> Membership:
    membership = Membership(team=team, user=user, role=role)
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def membership_update(
    *, membership: Membership, data: dict[str, Any], version: int | None = None
) -> Membership:
    """``version``: the one the edit was based on (an HTML form); a newer row raises ``StaleVersion``."""
    lock_at_version(membership, expected=version)
    assign_fields(membership, data, MEMBERSHIP_FIELDS)
    membership.full_clean()
    membership.save(update_fields=update_fields_for(membership, data))
    return membership


@transaction.atomic
def membership_delete(*, membership: Membership) -> None:
    membership.delete()


@transaction.atomic
def profile_update(
    *, user, language: str, reminders_enabled: bool, digests_enabled: bool | None = None
) -> Profile:
    """The user's own preferences; the profile row is made on first save (users start without one).
    ``digests_enabled=None`` leaves the digest setting as it is (only leads are offered it)."""
    profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
    profile.language = language
    profile.reminders_enabled = reminders_enabled
    fields = ["language", "reminders_enabled"]
    if digests_enabled is not None:
        profile.digests_enabled = digests_enabled
        fields.append("digests_enabled")
    profile.full_clean()
    profile.save(update_fields=fields)
    return profile


@transaction.atomic
def api_token_rotate(*, user) -> Token:
    """Replace the user's API token: the old key stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)
