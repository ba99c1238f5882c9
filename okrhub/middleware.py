from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as BaseLoginRequiredMiddleware
from django.db import connection
from django.shortcuts import render

from objectives.writability import ObjectLocked


class LoginRequiredMiddleware(BaseLoginRequiredMiddleware):
    """Every HTML page needs a login; the API under /api/ authenticates itself (token or session, DRF)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class QueryCountHeaderMiddleware:
    """Sets ``X-Query-Count`` to the number of SQL statements the request ran (opt-in, for `make bench`).

    Enabled only when ``QUERY_COUNT_HEADER=true``: the benchmark reads queries per request from real
    gunicorn workers with DEBUG off, where ``connection.queries`` is not recorded. It counts on the default
    connection, which is the only one the app uses.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response


class ObjectLockedMiddleware:
    """An HTML view that tried to change what may not change now (``objectives.writability.ObjectLocked``)
    answers 409 with the rule's message, like the API; forms that show a service's errors catch it earlier
    and keep the typed input."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ObjectLocked) or request.path_info.startswith("/api/"):
            return None
        return render(request, "409.html", {"message": exception.messages[0]}, status=409)


def form_action_origins() -> list[str]:
    """Where forms may post besides this site: FORM_ACTION_ORIGINS and the sign-in provider's origin."""
    origins = list(getattr(settings, "FORM_ACTION_ORIGINS", []))
    issuer = urlsplit(getattr(settings, "OIDC_ISSUER", "") or "")
    if issuer.scheme and issuer.netloc:
        origins.append(f"{issuer.scheme}://{issuer.netloc}")
    return origins


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy, with ``form-action`` extended by :func:`form_action_origins` on each response.

    Read per request, not once in settings, so the origins follow the settings the sign-in code reads (a
    sign-out is a form post that the server redirects to the provider, which form-action also governs).
    """

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origins = form_action_origins()
        if origins and not report_only:
            update = dict(parts.update or {})
            update["form-action"] = [*update.get("form-action", []), *origins]
            parts.update = update
        return parts
