"""Writes about people: invitations, accepting them, deactivating and anonymising, and one's own account.

Permission checks are the callers' (views and API ask ``teams.permissions``); these functions validate the
data and change it inside a transaction. Emails are enqueued with ``transaction.on_commit`` so the worker
reads what was committed.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import Token

from teams.models import Invitation, Membership, Profile, Team
from teams.signals import person_anonymised

User = get_user_model()

INVITATION_SALT = "okrhub.invitation"

# Messages beside the rules that raise them; the tests import them.
INVITATION_EXISTING_MEMBER = _("%(email)s is already a member of %(team)s.")
INVITATION_DUPLICATE = _(
    "%(email)s already has a pending invitation to %(team)s. Resend it from the list of pending invitations."
)
INVITATION_TWICE = _("%(email)s is listed twice for %(team)s.")
INVITATION_BAD_ROLE = _("“%(role)s” is not a role.")
INVITATION_ARCHIVED_TEAM = _("%(team)s is archived; reactivate it before inviting people to it.")
INVITATION_NOT_PENDING = _("This invitation is no longer pending.")
INVITATION_WRONG_ACCOUNT = _("This invitation was sent to another email address.")
EMAIL_TAKEN = _("Another account already uses this email address.")
ANONYMISED_USERNAME = "anonymised-{pk}"


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def invitation_expiry(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + dt.timedelta(days=settings.INVITATION_DAYS)


def invitation_token(invitation: Invitation) -> str:
    """The secret part of the invitation link, signed with SECRET_KEY: the database alone cannot forge it."""
    # No timestamp in it: the expiry is the row's, and the same invitation always has the same link.
    return signing.Signer(salt=INVITATION_SALT).sign_object([invitation.pk, invitation.nonce])


def invitation_from_token(token: str) -> Invitation | None:
    """The invitation a link points to, whatever its state; None for a forged or superseded link."""
    try:
        pk, nonce = signing.Signer(salt=INVITATION_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return Invitation.objects.select_related("team", "invited_by").filter(pk=pk, nonce=nonce).first()


def _new_nonce() -> str:
    return secrets.token_urlsafe(16)


def _enqueue_invitation_email(invitation: Invitation) -> None:
    from teams.tasks import send_invitation  # tasks import this module

    transaction.on_commit(lambda: send_invitation.delay(invitation.pk))


@dataclass(frozen=True)
class InvitationRequest:
    """One invitation as asked for: from the form, one line of an uploaded file, or the API."""

    email: str
    team: Team
    role: str = Membership.Role.MEMBER
    name: str = ""


def invitations_check(
    requests: list[InvitationRequest], *, now: dt.datetime | None = None
) -> list[list[str]]:
    """Why each invitation cannot be made (translated messages, one list per request, empty when it can):
    an invalid address or role, an address that is already a member of the team or has a pending
    invitation to it, or the same address and team twice in the batch. Two queries, however many rows."""
    now = now or timezone.now()
    emails = {normalise_email(request.email) for request in requests}
    team_ids = {request.team.pk for request in requests}
    members = set(
        Membership.objects.annotate(email=Lower("user__email"))
        .filter(team_id__in=team_ids, email__in=emails)
        .values_list("team_id", "email")
    )
    pending = set(
        Invitation.objects.open()
        .filter(team_id__in=team_ids, email__in=emails, expires_at__gt=now)
        .values_list("team_id", "email")
    )
    seen: set[tuple[int, str]] = set()
    result: list[list[str]] = []
    for request in requests:
        email = normalise_email(request.email)
        problems: list[str] = []
        try:
            validate_email(email)
        except ValidationError as error:
            problems.extend(str(message) for message in error.messages)
        if request.role not in Membership.Role.values:
            problems.append(str(INVITATION_BAD_ROLE % {"role": request.role}))
        if request.team.is_archived:
            problems.append(str(INVITATION_ARCHIVED_TEAM % {"team": request.team.name}))
        key = (request.team.pk, email)
        params = {"email": email, "team": request.team.name}
        if key in members:
            problems.append(str(INVITATION_EXISTING_MEMBER % params))
        elif key in pending:
            problems.append(str(INVITATION_DUPLICATE % params))
        elif key in seen:
            problems.append(str(INVITATION_TWICE % params))
        seen.add(key)
        result.append(problems)
    return result


@transaction.atomic
def invitation_create(*, request: InvitationRequest, inviter) -> Invitation:
    """Invite one address to a team. An expired open invitation to the same team is renewed instead, so the
    constraint (one open invitation per address and team) holds and the newest link is the one that works."""
    now = timezone.now()
    (problems,) = invitations_check([request], now=now)
    if problems:
        raise ValidationError(problems)
    email = normalise_email(request.email)
    invitation = Invitation.objects.open().select_for_update().filter(team=request.team, email=email).first()
    if invitation is None:
        invitation = Invitation(email=email, team=request.team)
    invitation.role = request.role
    invitation.name = request.name.strip()
    invitation.invited_by = inviter
    invitation.nonce = _new_nonce()
    invitation.expires_at = invitation_expiry(now)
    invitation.full_clean()
    invitation.save()
    _enqueue_invitation_email(invitation)
    return invitation


@transaction.atomic
def invitations_create(*, requests: list[InvitationRequest], inviter) -> list[Invitation]:
    """All or nothing: the callers validated every row with ``invitations_check`` first; a row that became
    invalid meanwhile raises and rolls every row back."""
    return [invitation_create(request=request, inviter=inviter) for request in requests]


def _lock_open(invitation: Invitation) -> Invitation:
    locked = Invitation.objects.open().select_for_update().filter(pk=invitation.pk).first()
    if locked is None:
        raise ValidationError(INVITATION_NOT_PENDING)
    return locked


@transaction.atomic
def invitation_resend(*, invitation: Invitation) -> Invitation:
    """A new link (the old one stops working) valid for INVITATION_DAYS from now, sent again."""
    invitation = _lock_open(invitation)
    invitation.nonce = _new_nonce()
    invitation.expires_at = invitation_expiry()
    invitation.save(update_fields=["nonce", "expires_at"])
    _enqueue_invitation_email(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    invitation = _lock_open(invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


def _accept(invitation: Invitation, user) -> Membership:
    locked = Invitation.objects.open().select_for_update().filter(pk=invitation.pk).first()
    if locked is None or locked.expires_at <= timezone.now():
        raise ValidationError(INVITATION_NOT_PENDING)
    membership, _created = Membership.objects.get_or_create(
        user=user, team=locked.team, defaults={"role": locked.role}
    )
    locked.accepted_at = timezone.now()
    locked.accepted_by = user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def username_for_email(email: str) -> str:
    """A free username made from the address's local part (people may sign in with either)."""
    # The characters Django's username validator allows, so "nina.ny@…" becomes "nina.ny".
    base = re.sub(r"[^\w.+-]", "", email.split("@", 1)[0])[:140] or "user"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


@transaction.atomic
def invitation_accept_new_user(*, invitation: Invitation, first_name: str, last_name: str, password: str):
    """The invited person's account, with the invitation's membership; the link cannot be used again."""
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(EMAIL_TAKEN)
    user = User(
        username=username_for_email(invitation.email),
        email=invitation.email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    _accept(invitation, user)
    return user


@transaction.atomic
def invitation_accept_existing_user(*, invitation: Invitation, user) -> Membership:
    """A person who already has an account joins the team after signing in as the invited address."""
    if normalise_email(user.email) != invitation.email:
        raise ValidationError(INVITATION_WRONG_ACCOUNT)
    return _accept(invitation, user)


# --- People: deactivate, reactivate, anonymise ------------------------------------------------------------


@transaction.atomic
def person_deactivate(*, user) -> None:
    """No sign-in any more (web, API token, open sessions); everything they did and own stays."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False


@transaction.atomic
def person_reactivate(*, user) -> None:
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True


@transaction.atomic
def person_anonymise(*, user) -> None:
    """GDPR erasure of a departed person, irreversible: name, email and sign-in go; their check-ins and
    key results stay, attributed to an anonymous account. Memberships, profile settings, API token and
    invitations to their address are deleted."""
    email = normalise_email(user.email)
    user.username = ANONYMISED_USERNAME.format(pk=user.pk)
    user.first_name = ""
    user.last_name = ""
    user.email = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save(
        update_fields=[
            "username",
            "first_name",
            "last_name",
            "email",
            "is_active",
            "is_staff",
            "is_superuser",
            "password",
        ]
    )
    Membership.objects.filter(user=user).delete()
    Profile.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    if email:
        Invitation.objects.filter(email=email).delete()
    person_anonymised.send(sender=User, user=user, email=email)


def is_anonymised(user) -> bool:
    return user.username == ANONYMISED_USERNAME.format(pk=user.pk) and not user.has_usable_password()


# --- One's own account ----------------------------------------------------------------------------------


@transaction.atomic
def account_update(*, user, first_name: str, last_name: str, email: str) -> None:
    """The signed-in person's name and email (an address may belong to one account only: people sign in
    with it)."""
    email = normalise_email(email)
    if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": EMAIL_TAKEN})
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.email = email
    user.full_clean()
    user.save(update_fields=["first_name", "last_name", "email"])
