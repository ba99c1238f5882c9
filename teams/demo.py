"""Demo data about people: invitations waiting for an answer, so the invitation list is not empty.

Made as rows, not through ``invitation_create``: the demo sends no email. Found again by address and team,
so running the demo twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets

from teams.models import Invitation, Membership, Team

# (email, name, team slug, inviter's username, role, days since it was sent)
DEMO_INVITATIONS = [
    ("ny.kollega@example.org", "Nora Nyansatt", "kurs-og-arrangementer", "kari", Membership.Role.MEMBER, 1),
    ("sommervikar@example.org", "", "kompetansesenteret", "leader", Membership.Role.MEMBER, 9),
]


def seed_invitations(
    *, users: dict[str, object], teams: dict[str, Team], now: dt.datetime, days: int
) -> None:
    """One pending invitation to Kurs og arrangementer and one expired one (to show resend)."""
    for email, name, slug, inviter, role, age in DEMO_INVITATIONS:
        team = teams[slug]
        if Invitation.objects.filter(email=email, team=team).exists():
            continue
        sent = now - dt.timedelta(days=age)
        invitation = Invitation.objects.create(
            email=email,
            name=name,
            team=team,
            role=role,
            invited_by=users[inviter],
            nonce=secrets.token_urlsafe(16),
            expires_at=sent + dt.timedelta(days=days),
            sent_at=sent,
        )
        Invitation.objects.filter(pk=invitation.pk).update(created_at=sent)
