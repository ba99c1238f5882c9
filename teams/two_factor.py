"""Optional two-factor sign-in (TOTP, django-otp) for password sign-ins.

Anyone may turn it on in their profile; with ``REQUIRE_2FA_FOR_STAFF=true`` staff must. After a password
sign-in, a person with a confirmed authenticator must enter its current code before any page (or the API by
session) opens; a staff member without one must set it up first. Sign-ins through the organisation's
OpenID Connect provider are left to the provider's own second factor. The token endpoint asks for the code
as ``otp``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

OIDC_BACKEND = "teams.oidc.OIDCBackend"
# Whether this session's sign-in still owes a second step: decided once, when the person signs in, so the
# pages after it ask the session rather than the database (no query per request for everyone).
SECOND_STEP_DUE = "okrhub_second_step_due"
# Reachable while the second step is still missing: the step itself, signing out, the language switch.
EXEMPT_URL_NAMES = ("two_factor_verify", "two_factor_setup", "logout", "set_language")


def has_two_factor(user) -> bool:
    return user_has_device(user, confirmed=True)


def two_factor_required(user) -> bool:
    """Must this person use a second factor for a password sign-in (now, or by policy)?"""
    return has_two_factor(user) or (settings.REQUIRE_2FA_FOR_STAFF and user.is_staff)


def token_matches(user, token: str):
    """The confirmed device the code is valid for (it cannot be used twice), else None."""
    token = (token or "").replace(" ", "")
    return match_token(user, token) if token.isdigit() else None


def setup_device(user) -> TOTPDevice:
    """The person's unconfirmed authenticator being set up (one, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@receiver(user_logged_in)
def remember_second_step(sender, request, user, **kwargs) -> None:
    """At every sign-in: a password sign-in of someone with an authenticator (or staff, by policy) owes the
    second step; a sign-in through the organisation's provider never does."""
    if request is None or not hasattr(request, "session"):
        return
    by_provider = getattr(user, "backend", "") == OIDC_BACKEND
    request.session[SECOND_STEP_DUE] = not by_provider and two_factor_required(user)


class TwoFactorMiddleware:
    """After django_otp's OTPMiddleware: holds a password sign-in at the second step until it is done."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or not request.session.get(SECOND_STEP_DUE) or user.is_verified():
            return None
        if request.session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND:
            return None
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in EXEMPT_URL_NAMES:
            return None
        if request.path_info.startswith(("/static/", "/healthz")):
            return None
        if has_two_factor(user):
            step = "two_factor_verify"
        elif settings.REQUIRE_2FA_FOR_STAFF and user.is_staff:
            step = "two_factor_setup"
        else:
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {"detail": _("Finish signing in with your authenticator code first.")}, status=403
            )
        return redirect(reverse(step) + "?" + urlencode({"next": request.get_full_path()}))
