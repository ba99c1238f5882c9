"""Provider sign-in pages: start (redirect to the provider), callback, refusal, and sign-out for both."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from teams import oidc
from teams.selectors import profile_language
from teams.views import set_language_cookie

logger = logging.getLogger(__name__)

REFUSAL_MESSAGES = {
    oidc.REFUSED_UNVERIFIED: _(
        "%(provider)s did not confirm that your email address is verified, so it cannot be matched to an "
        "account here. Verify the address with %(provider)s, or ask your administrator."
    ),
    oidc.REFUSED_DOMAIN: _(
        "Your email address is not in a domain this OKR Hub accepts. Sign in with your organisation's "
        "account."
    ),
    oidc.REFUSED_NO_ACCOUNT: _(
        "There is no OKR Hub account for your email address, and no invitation to it. Ask a team lead or "
        "an organisation administrator to invite you."
    ),
    oidc.REFUSED_AMBIGUOUS: _(
        "Several OKR Hub accounts use your email address, so we cannot tell which one is yours. Ask an "
        "organisation administrator to fix it."
    ),
    oidc.REFUSED_INACTIVE: _("Your OKR Hub account is deactivated. Ask an organisation administrator."),
    oidc.REFUSED_FAILED: _("The sign-in with %(provider)s did not complete. Please try again."),
    oidc.REFUSED_UNAVAILABLE: _("%(provider)s cannot be reached right now. Please try again in a moment."),
}


def _refused(reason: str) -> HttpResponseRedirect:
    return redirect(reverse("oidc_refused") + "?" + urlencode({"reason": reason}))


def _require_oidc() -> None:
    if not oidc.oidc_enabled():
        raise Http404


@method_decorator([login_not_required, never_cache], name="dispatch")
class OIDCLoginView(OIDCAuthenticationRequestView):
    """Redirects to the provider with state, nonce and a PKCE challenge (kept in the session)."""

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID

    def get(self, request):
        _require_oidc()
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc.discovery()["authorization_endpoint"]
        except oidc.ProviderUnavailable:
            logger.exception("OpenID Connect provider unavailable")
            return _refused(oidc.REFUSED_UNAVAILABLE)
        token = request.GET.get("invitation")
        if token:
            request.session[oidc.SESSION_INVITATION_KEY] = token[:200]
        return super().get(request)


@method_decorator([login_not_required, never_cache], name="dispatch")
class OIDCCallbackView(OIDCAuthenticationCallbackView):
    """Checks state, exchanges the code (with the PKCE verifier), verifies the ID token and its nonce."""

    def get(self, request):
        _require_oidc()
        try:
            response = super().get(request)
        except (SuspiciousOperation, requests.RequestException, oidc.ProviderUnavailable) as exc:
            # A replayed or forged state, a nonce or token that does not verify, the provider failing.
            logger.warning("OpenID Connect sign-in failed: %s", exc)
            return _refused(oidc.REFUSED_FAILED)
        return response

    def login_success(self):
        response = super().login_success()
        language = profile_language(user=self.user)
        if language:
            set_language_cookie(response, language)
        return response

    def login_failure(self):
        if self.request.GET.get("error"):
            return _refused(oidc.REFUSED_FAILED)
        return _refused(getattr(self.request, "oidc_refused", oidc.REFUSED_FAILED))


@login_not_required
@never_cache
@require_GET
def oidc_refused(request: HttpRequest) -> HttpResponse:
    _require_oidc()
    reason = request.GET.get("reason", "")
    message = REFUSAL_MESSAGES.get(reason, REFUSAL_MESSAGES[oidc.REFUSED_FAILED])
    context = {"message": message % {"provider": settings.OIDC_LOGIN_LABEL}, **oidc.login_context(request)}
    return render(request, "registration/oidc_refused.html", context, status=403)


@login_not_required
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Ends the session here and, after a provider sign-in, at the provider too (its end_session_endpoint)."""
    id_token = request.session.get("oidc_id_token")
    auth.logout(request)
    after = request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL))
    if id_token and oidc.oidc_enabled():
        try:
            end_session = oidc.discovery().get("end_session_endpoint")
        except oidc.ProviderUnavailable:
            end_session = None
        if end_session:
            query = urlencode(
                {
                    "id_token_hint": id_token,
                    "post_logout_redirect_uri": after,
                    "client_id": settings.OIDC_CLIENT_ID,
                }
            )
            return HttpResponseRedirect(f"{end_session}?{query}")
    return HttpResponseRedirect(after)
