"""Who belongs where: a user's roles in the team tree, the part of the permission rules that needs only teams.

``objectives.permissions`` is the module every view and endpoint asks; it re-exports these, so the rules stay
in one place to read while ``teams`` imports nothing from the apps above it.
"""

from __future__ import annotations

from dataclasses import dataclass

from teams.models import Membership, Profile
from teams.selectors import team_descendant_ids


@dataclass(frozen=True)
class Access:
    user_id: int | None
    is_staff: bool = False
    is_ambassador: bool = False
    is_org_admin: bool = False  # the profile flag, or staff: the whole team tree, cycles and people
    member_team_ids: frozenset[int] = frozenset()  # direct memberships, any role
    led_team_ids: frozenset[int] = frozenset()  # teams led, and every team below them

    @property
    def team_ids(self) -> frozenset[int]:
        """Teams the user belongs to or leads (directly or from above)."""
        return self.member_team_ids | self.led_team_ids

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def manages_organisation(self) -> bool:
        return self.is_staff or self.is_org_admin

    @property
    def may_open_organisation(self) -> bool:
        """The Organisation page: organisation admins, and leads for the teams they lead."""
        return self.manages_organisation or bool(self.led_team_ids)

    @property
    def leads_a_team(self) -> bool:
        """Holds a lead membership: whom the Monday leader digest is for (notifications.digest)."""
        return bool(self.led_team_ids)


ANONYMOUS = Access(user_id=None)


def access_for(user) -> Access:
    """The user's roles, loaded once per request (at most three queries) and cached on the user object."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_okr_access", None)
    if cached is not None:
        return cached
    member_ids: set[int] = set()
    lead_roots: set[int] = set()
    for team_id, role in Membership.objects.filter(user=user).values_list("team_id", "role"):
        member_ids.add(team_id)
        if role == Membership.Role.LEAD:
            lead_roots.add(team_id)
    flags = Profile.objects.filter(user=user).values_list("is_ambassador", "is_org_admin").first()
    is_ambassador, is_org_admin = flags or (False, False)
    is_staff = user.is_staff or user.is_superuser
    access = Access(
        user_id=user.pk,
        is_staff=is_staff,
        is_ambassador=is_ambassador,
        is_org_admin=is_org_admin or is_staff,
        member_team_ids=frozenset(member_ids),
        led_team_ids=frozenset(team_descendant_ids(lead_roots)) if lead_roots else frozenset(),
    )
    user._okr_access = access
    return access


def forget_access(user) -> None:
    """Drop the cached roles, e.g. after memberships changed in the same request."""
    if hasattr(user, "_okr_access"):
        del user._okr_access


def can_lead_team(access: Access, team_id: int) -> bool:
    return access.is_staff or team_id in access.led_team_ids


def can_manage_members(access: Access, team) -> bool:
    """Organisation admins everywhere; leads in the teams they lead and below."""
    return access.manages_organisation or can_lead_team(access, team.pk)


# --- The team tree and cycles (the Organisation page and the API) ------------------------------------------


def can_manage_organisation(access: Access) -> bool:
    """The whole team tree (top-level teams too), the organisation admins and the people."""
    return access.manages_organisation


def can_manage_cycles(access: Access) -> bool:
    """Create cycles and move them through planning, active and closed."""
    return access.manages_organisation


def can_create_team(access: Access, *, parent_id: int | None) -> bool:
    """Organisation admins anywhere; a lead creates sub-teams inside the subtree they lead."""
    if access.manages_organisation:
        return True
    return parent_id is not None and parent_id in access.led_team_ids


def can_rename_team(access: Access, team) -> bool:
    """Name and slug: organisation admins, and leads of the team or of a team above it."""
    return access.manages_organisation or team.pk in access.led_team_ids


def can_restructure_team(access: Access, team) -> bool:
    """Move, archive, reactivate: organisation admins; leads for teams strictly inside their subtree, so a
    lead never takes apart the tree above the team they lead."""
    if access.manages_organisation:
        return True
    return team.parent_id is not None and team.parent_id in access.led_team_ids


# --- People: invitations, deactivating and anonymising --------------------------------------------------


def _is_people_admin(access: Access) -> bool:
    # The one place that says who manages everyone: organisation admins (staff always are).
    return access.manages_organisation


def can_manage_people(access: Access, team=None) -> bool:
    """With a team: invite to it and resend or revoke its invitations (its leads and the leads above it,
    organisation admins). Without: the People page, deactivating, reactivating and anonymising anyone
    (organisation admins only)."""
    if team is not None:
        return can_manage_members(access, team)
    return _is_people_admin(access)


def people_team_ids(access: Access) -> frozenset[int] | None:
    """The teams ``can_manage_people`` allows with a team, as ids for a query; None means every team."""
    return None if _is_people_admin(access) else access.led_team_ids


def can_invite(access: Access) -> bool:
    """May open the invitation pages: manages the people of at least one team."""
    ids = people_team_ids(access)
    return ids is None or bool(ids)


# --- Integrations: webhooks and Teams/Slack channel posts -------------------------------------------------


def can_manage_integrations(access: Access, team=None) -> bool:
    """Without a team: the organisation's endpoints (organisation admins). With one: that team's (its leads
    and the leads above it, organisation admins) — the same people who manage its members."""
    if team is None:
        return access.manages_organisation
    return can_manage_members(access, team)


def integrations_team_ids(access: Access) -> frozenset[int] | None:
    """The teams whose endpoints ``can_manage_integrations`` allows, for a query; None means every team (and
    the organisation's)."""
    return None if access.manages_organisation else access.led_team_ids
