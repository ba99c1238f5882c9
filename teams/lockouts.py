"""Sign-in lockout (django-axes): who counts as the same account, what a locked-out client is told, who is
locked out, and unlocking.

After ``LOGIN_FAILURE_LIMIT`` failed sign-ins for one account, or separately from one client address, within
``LOGIN_LOCKOUT_MINUTES``, the login form, the admin login and /api/v1/auth/token/ refuse it for that long.
The answer is the same whether or not the account exists, and a successful sign-in resets the count.
Organisation admins unlock an account on the People page.
"""

from __future__ import annotations

from collections.abc import Iterable

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from teams.oidc import login_context

User = get_user_model()


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, for sign-ins over HTTP. Without a request (a management command, a test client's
    ``login()``) there is no client to count, so it stands aside instead of refusing everyone."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    return _(
        "Too many failed sign-in attempts. Signing in is blocked for %(minutes)d minutes; try again later, "
        "or ask an organisation administrator to unlock your account."
    ) % {"minutes": lockout_minutes()}


def lockout_username(request: HttpRequest, credentials: dict | None) -> str:
    """The account a sign-in attempt is for, so "kari" and "kari@example.org" share one count.

    People sign in with a username or an email address (teams/backends.py). Text that names no account is
    counted as typed (lower-cased), so locking out works, and looks, the same for accounts that do not exist.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    source = credentials if credentials is not None else getattr(request, "POST", {})
    typed = (source.get(field) or "").strip()
    if not typed:
        return ""
    username = User._default_manager.filter(username=typed).values_list("username", flat=True).first()
    if username is None and "@" in typed:
        matches = list(
            User._default_manager.filter(email__iexact=typed).values_list("username", flat=True)[:2]
        )
        username = matches[0] if len(matches) == 1 else None
    return username if username is not None else typed.lower()


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """429 with the lockout message: JSON for the API, the login page (a fresh form) for people."""
    message = lockout_message()
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        context = {
            "form": AuthenticationForm(request),
            "locked_out": message,
            "next": request.POST.get("next", ""),
            **login_context(request),
        }
        response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(lockout_minutes() * 60)
    return response


def locked_usernames(usernames: Iterable[str]) -> set[str]:
    """Which of these accounts are locked out now (one query)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(username__in=list(usernames), attempt_time__gte=since)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .values_list("username", flat=True)
    )
    return set(rows)


def account_unlock(*, user) -> int:
    """Forget the failed sign-ins for ``user``'s account; returns how many records were removed."""
    return reset(username=user.get_username())
