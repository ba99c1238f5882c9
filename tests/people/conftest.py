"""People tests: Celery run eagerly when a test asks for it, a lead of another team, and invitations made
through the real service."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from teams.models import Membership
from teams.people_services import InvitationRequest, invitation_create
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    # The token endpoint is throttled per address; counters live in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lead_elsewhere(org):
    """Leads Karriere, the sibling team: a lead, but not of Kurs."""
    user = UserFactory(username="lead_elsewhere", first_name="Lena", last_name="Annensted")
    MembershipFactory(user=user, team=org.other_team, role=Membership.Role.LEAD)
    return user


@pytest.fixture
def persona(org, lead_elsewhere):
    """persona(name) → the user of that role (None for anonymous)."""

    def _persona(name: str):
        return (
            None
            if name == "anonymous"
            else {"lead_elsewhere": lead_elsewhere}.get(name) or getattr(org, name)
        )

    return _persona


@pytest.fixture
def invite(org):
    """invite(email, team=org.team, role="member", by=org.lead) → a pending invitation (email not sent: the
    test's transaction never commits)."""

    def _invite(email: str, *, team=None, role: str = Membership.Role.MEMBER, by=None, name: str = ""):
        request = InvitationRequest(email=email, team=team or org.team, role=role, name=name)
        return invitation_create(request=request, inviter=by or org.lead)

    return _invite
