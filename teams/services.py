"""Writes about teams: the team tree and memberships, validated with full_clean() inside a transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework.authtoken.models import Token

from okrhub.lib import assign_fields
from okrhub.versioning import lock_at_version, update_fields_for
from teams.models import Membership, Profile, Team

TEAM_FIELDS = ("name", "slug", "parent")
MEMBERSHIP_FIELDS = ("team", "user", "role")


@transaction.atomic
def team_create(*, name: str, slug: str, parent: Team | None = None) -> Team:
    team = Team(name=name, slug=slug, parent=parent)
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_update(*, team: Team, data: dict[str, Any], version: int | None = None) -> Team:
    lock_at_version(team, expected=version)
    assign_fields(team, data, TEAM_FIELDS)
    team.full_clean()
    team.save(update_fields=update_fields_for(team, data))
    return team


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
def profile_update(*, user, language: str, reminders_enabled: bool, digests_enabled: bool) -> Profile:
    """The user's own preferences; the profile row is made on first save (users start without one)."""
    profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
    profile.language = language
    profile.reminders_enabled = reminders_enabled
    profile.digests_enabled = digests_enabled
    profile.full_clean()
    profile.save(update_fields=["language", "reminders_enabled", "digests_enabled"])
    return profile


@transaction.atomic
def api_token_rotate(*, user) -> Token:
    """Replace the user's API token: the old key stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)
