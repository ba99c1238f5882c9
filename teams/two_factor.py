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
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

OIDC_BACKEND = "teams.oidc.OIDCBackend"
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


# Set at a password sign-in when the person has a confirmed authenticator, so that pages ask nothing of the
# database to know whether the second step is still missing (the query-count tests hold it to that).
SESSION_PENDING_KEY = "two_factor_pending"


def mark_pending_at_sign_in(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver (teams/apps.py): every password sign-in, the form's, the admin's."""
    if request is None or not hasattr(request, "session"):
        return
    if request.session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND:
        return
    if has_two_factor(user):
        request.session[SESSION_PENDING_KEY] = True


def clear_pending(request) -> None:
    request.session.pop(SESSION_PENDING_KEY, None)


class TwoFactorMiddleware:
    """After django_otp's OTPMiddleware: holds a password sign-in at the second step until it is done."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        pending = request.session.get(SESSION_PENDING_KEY, False)
        staff_rule = settings.REQUIRE_2FA_FOR_STAFF and user.is_staff
        if not (pending or staff_rule) or user.is_verified():
            return None
        if request.session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND:
            return None
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in EXEMPT_URL_NAMES:
            return None
        if request.path_info.startswith(("/static/", "/healthz")):
            return None
        step = "two_factor_verify" if pending or has_two_factor(user) else "two_factor_setup"
        if request.path_info.startswith("/api/"):
            message = _("Finish signing in with your authenticator code first.")
            return JsonResponse({"detail": message}, status=403)
        return redirect(reverse(step) + "?" + urlencode({"next": request.get_full_path()}))
