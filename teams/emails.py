"""The emails about people: invitations and password resets, built with okrhub.mail like every email."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from okrhub.mail import absolute_url, build_message
from teams.models import Invitation, Membership, Profile
from teams.people_services import invitation_token
from teams.selectors import user_display_name

User = get_user_model()

SENT = "sent"
NOT_PENDING = "not_pending"
NO_SUCH_USER = "no_such_user"


def _language_for_email(email: str) -> str:
    """The language the person chose on their profile if they have an account, else the site's."""
    language = (
        Profile.objects.filter(user__email__iexact=email)
        .exclude(language="")
        .values_list("language", flat=True)
    ).first()
    return language or settings.LANGUAGE_CODE


def invitation_accept_url(invitation: Invitation) -> str:
    return absolute_url(reverse("invitation_accept", args=[invitation_token(invitation)]))


def invitation_email_send(*, invitation_id: int) -> str:
    """Send the current link of a pending invitation (a revoked, accepted or expired one sends nothing)."""
    invitation = Invitation.objects.select_related("team", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or invitation.state_at(timezone.now()) != Invitation.State.PENDING:
        return NOT_PENDING
    language = _language_for_email(invitation.email)
    with translation.override(language):
        role_name = str(Membership.Role(invitation.role).label)
    message = build_message(
        to=invitation.email,
        language=language,
        template="teams/email/invitation",
        context={
            "name": invitation.name,
            "team_name": invitation.team.name,
            "role_name": role_name,
            "inviter": user_display_name(invitation.invited_by) if invitation.invited_by else "OKR Hub",
            "accept_url": invitation_accept_url(invitation),
            "days": settings.INVITATION_DAYS,
        },
    )
    message.send(fail_silently=False)
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
    return SENT


def password_set_url(user) -> str:
    """The one-time link to set a password (Django's reset token: it stops working once the password is
    set, and after PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return absolute_url(path)


def first_admin_email_send(*, user, organisation: str, link: str) -> None:
    """The first organisation admin's welcome, sent by ``manage.py bootstrap`` (synchronously: no worker
    runs yet on a fresh installation)."""
    build_message(
        to=user.email,
        language=settings.LANGUAGE_CODE,
        template="teams/email/first_admin",
        context={
            "name": user_display_name(user),
            "username": user.get_username(),
            "organisation": organisation,
            "set_password_url": link,
        },
    ).send(fail_silently=False)


def password_reset_email_send(*, user_id: int) -> str:
    """A reset link for an active account with a usable password (others get nothing, and the form said the
    same to everyone)."""
    user = User.objects.filter(pk=user_id, is_active=True).select_related("profile").first()
    if user is None or not user.has_usable_password() or not user.email:
        return NO_SUCH_USER
    try:
        language = user.profile.language
    except Profile.DoesNotExist:
        language = ""
    message = build_message(
        to=user.email,
        language=language,
        template="teams/email/password_reset",
        context={
            "name": user_display_name(user),
            "username": user.get_username(),
            "reset_url": password_set_url(user),
        },
    )
    message.send(fail_silently=False)
    return SENT
