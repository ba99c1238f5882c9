"""Sign in with the organisation's OpenID Connect provider (mozilla-django-oidc; why: README).

Configured only by environment (settings ``OIDC_*``). The provider's endpoints come from
``<OIDC_ISSUER>/.well-known/openid-configuration``, read on first use and kept for an hour, so a site
without a provider never calls out and one whose provider is briefly down still starts.

Who gets in, decided here and nowhere else (``OIDCBackend.get_or_create_user``):
- the provider must say the email address is verified (``email_verified``); an unverified one never matches;
- with ``OIDC_ALLOWED_DOMAINS`` set, the address must be in one of those domains;
- the account whose email address it is (exactly one, active) signs in; else
- a pending invitation to that address makes the account and the membership (no password needed); else
- with ``OIDC_CREATE_USERS`` on, an address in an allowed domain gets a new account (just in time);
- anyone else is refused, with a page that says why (``oidc_refused``).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from teams import people_services
from teams.models import Invitation

logger = logging.getLogger(__name__)
User = get_user_model()

DISCOVERY_TTL_SECONDS = 3600
SESSION_INVITATION_KEY = "oidc_invitation"

# Why a provider sign-in was refused: the key goes into the refusal page's URL, the page says it in words.
REFUSED_UNVERIFIED = "unverified"
REFUSED_DOMAIN = "domain"
REFUSED_NO_ACCOUNT = "no-account"
REFUSED_AMBIGUOUS = "ambiguous"
REFUSED_INACTIVE = "inactive"
REFUSED_FAILED = "failed"
REFUSED_UNAVAILABLE = "unavailable"


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read or is not for ``OIDC_ISSUER``."""


def oidc_enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


def password_sign_in_allowed(user) -> bool:
    """With ``OIDC_ONLY`` only staff sign in with a password (login form, admin, token endpoint)."""
    return not (settings.OIDC_ONLY and oidc_enabled()) or user.is_staff


def issuer_origin() -> str:
    """scheme://host[:port] of the provider, for the CSP form-action ("" without a provider)."""
    if not settings.OIDC_ISSUER:
        return ""
    parts = urlsplit(settings.OIDC_ISSUER)
    return f"{parts.scheme}://{parts.netloc}"


_discovery_lock = threading.Lock()
_discovery: dict[str, Any] = {"document": None, "issuer": None, "fetched": 0.0}


def discovery_forget() -> None:
    with _discovery_lock:
        _discovery.update(document=None, issuer=None, fetched=0.0)


def discovery() -> dict[str, Any]:
    """The provider's OpenID configuration, fetched on first use and cached for an hour per process."""
    issuer = settings.OIDC_ISSUER
    with _discovery_lock:
        fresh = time.monotonic() - _discovery["fetched"] < DISCOVERY_TTL_SECONDS
        if _discovery["document"] is not None and _discovery["issuer"] == issuer and fresh:
            return _discovery["document"]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {exc}") from exc
    # OpenID Connect Discovery 1.0, section 4.3: the document must be the issuer's own.
    if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable(f"{url} names issuer {document.get('issuer')!r}, not {issuer!r}")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not document.get(key):
            raise ProviderUnavailable(f"{url} has no {key}")
    with _discovery_lock:
        _discovery.update(document=document, issuer=issuer, fetched=time.monotonic())
    return document


def signing_algorithm(document: dict[str, Any]) -> str:
    supported = [
        alg
        for alg in document.get("id_token_signing_alg_values_supported", ["RS256"])
        if alg[:2] in ("RS", "ES", "PS")
    ]
    return "RS256" if "RS256" in supported or not supported else supported[0]


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower() if "@" in email else ""


def _refuse(request, reason: str, detail: str) -> None:
    request.oidc_refused = reason
    raise SuspiciousOperation(detail)


@transaction.atomic
def user_create_from_claims(*, claims: dict[str, Any], email: str, invitation: Invitation | None = None):
    """An account for a person the provider vouches for: no password (they sign in with the provider)."""
    email = people_services.normalise_email(email)
    user = User(
        username=people_services.username_for_email(email),
        email=email,
        first_name=(claims.get("given_name") or "")[:150],
        last_name=(claims.get("family_name") or "")[:150],
    )
    if invitation is not None and not user.first_name and invitation.name:
        user.first_name, _sep, user.last_name = invitation.name.partition(" ")
    user.set_unusable_password()
    user.full_clean()
    user.save()
    if invitation is not None:
        people_services.invitation_accept_existing_user(invitation=invitation, user=user)
    return user


def _pending_invitation(request, email: str) -> Invitation | None:
    """The invitation whose link brought the person here, else the newest pending one to the address."""
    now_pending = [
        invitation
        for invitation in Invitation.objects.open().filter(email=people_services.normalise_email(email))
        if invitation.state_at(timezone.now()) == Invitation.State.PENDING
    ]
    token = request.session.pop(SESSION_INVITATION_KEY, None) if hasattr(request, "session") else None
    chosen = people_services.invitation_from_token(token) if token else None
    if chosen is not None and chosen in now_pending:
        return chosen
    return max(now_pending, key=lambda invitation: invitation.created_at, default=None)


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, with endpoints from discovery and OKR Hub's rules for who gets in."""

    def __init__(self, *args, **kwargs):
        # Django builds every backend for every sign-in, password ones too: read nothing here, and call the
        # provider only when a provider sign-in actually happens.
        self.UserModel = User

    # The base class reads these as attributes; here they come from settings and the discovery document.
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_CLIENT_SECRET)
    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: discovery()["token_endpoint"])
    OIDC_OP_USER_ENDPOINT = property(lambda self: discovery().get("userinfo_endpoint", ""))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: discovery()["jwks_uri"])
    OIDC_RP_SIGN_ALGO = property(lambda self: signing_algorithm(discovery()))
    OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        # Only the callback view signs in this way (it passes the nonce); never a password form.
        if not oidc_enabled() or request is None or "nonce" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload, key):
        # The base class checks the signature and nonce; the token must also be from our issuer, for us.
        claims = super()._verify_jws(payload, key)
        try:
            jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=settings.OIDC_CLIENT_ID,
                issuer=discovery()["issuer"],
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token rejected: {exc}") from exc
        return claims

    def get_userinfo(self, access_token, id_token, payload):
        if not self.OIDC_OP_USER_ENDPOINT:
            return payload
        # The ID token's claims, completed by the userinfo endpoint's (which win, as the fresher source).
        return {**payload, **super().get_userinfo(access_token, id_token, payload)}

    def verify_claims(self, claims) -> bool:
        email = (claims.get("email") or "").strip()
        verified = claims.get("email_verified")
        if not email or not (verified is True or str(verified).lower() == "true"):
            _refuse(self.request, REFUSED_UNVERIFIED, "email missing or not verified")
        allowed = settings.OIDC_ALLOWED_DOMAINS
        if allowed and email_domain(email) not in allowed:
            _refuse(self.request, REFUSED_DOMAIN, f"domain {email_domain(email)!r} not allowed")
        return True

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(email__iexact=claims["email"].strip())

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        self.verify_claims(claims)
        email = claims["email"].strip()
        users = list(self.filter_users_by_claims(claims)[:2])
        if len(users) > 1:
            _refuse(self.request, REFUSED_AMBIGUOUS, "several accounts share the address")
        if users:
            user = users[0]
            if not self.user_can_authenticate(user):
                _refuse(self.request, REFUSED_INACTIVE, "account deactivated")
            return user
        invitation = _pending_invitation(self.request, email)
        if invitation is not None:
            try:
                return user_create_from_claims(claims=claims, email=email, invitation=invitation)
            except ValidationError as exc:
                _refuse(self.request, REFUSED_NO_ACCOUNT, f"invitation could not be accepted: {exc}")
        if settings.OIDC_CREATE_USERS and email_domain(email) in settings.OIDC_ALLOWED_DOMAINS:
            return user_create_from_claims(claims=claims, email=email)
        _refuse(self.request, REFUSED_NO_ACCOUNT, "no account and no invitation")


def login_url(*, next_url: str = "", invitation_token: str = "") -> str:
    query = {key: value for key, value in (("next", next_url), ("invitation", invitation_token)) if value}
    return reverse("oidc_login") + ("?" + urlencode(query) if query else "")


def login_context(request) -> dict[str, Any]:
    """What the login page (and pages that offer signing in) need to offer the provider."""
    enabled = oidc_enabled()
    next_url = request.GET.get("next") or (request.POST.get("next") if request.method == "POST" else "") or ""
    return {
        "oidc_enabled": enabled,
        "oidc_label": settings.OIDC_LOGIN_LABEL,
        "oidc_login_url": login_url(next_url=next_url) if enabled else "",
        # OIDC_ONLY: the password form is for staff only, one link away.
        "password_form_shown": not (enabled and settings.OIDC_ONLY) or request.GET.get("password") == "1",
    }


def invitation_login_context(token: str) -> dict[str, Any]:
    """The invitation page offers accepting by signing in with the provider instead of a password."""
    enabled = oidc_enabled()
    return {
        "oidc_enabled": enabled,
        "oidc_label": settings.OIDC_LOGIN_LABEL,
        "oidc_login_url": login_url(invitation_token=token) if enabled else "",
        "password_form_shown": not (enabled and settings.OIDC_ONLY),
    }
