"""Outages say so: the database or the (Redis) cache not answering is a 503 with ``Retry-After``, not a 500.

A script can then tell "try again later" from a bug: the API answers ``{"detail": …}`` JSON, pages a
translated 503 page in the site layout. Django calls ``server_error`` (``handler500`` in okrhub/urls.py)
for every uncaught exception, from views and middleware alike, while the exception is still being handled,
so one place classifies it. With ``DEBUG`` on Django shows its debug page instead, as for any error.
"""

from __future__ import annotations

import logging
import sys

from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views import defaults
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Connection refused, reset, timed out, server shutting down: the service, not the request, is at fault.
# (IntegrityError, ProgrammingError and the like stay 500s: those are bugs.)
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
)
RETRY_AFTER_SECONDS = 30


def is_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OUTAGE_ERRORS)


def outage_response(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        response = JsonResponse(
            {"detail": _("The service is temporarily unavailable. Try again in a moment.")}, status=503
        )
    else:
        try:
            # The layout without anything that needs the database: an anonymous user, no messages.
            response = render(request, "503.html", {"user": AnonymousUser(), "messages": []}, status=503)
        except Exception:  # the page that reports an outage must not become a second error
            logger.exception("The 503 page could not be rendered")
            response = HttpResponse(
                _("The service is temporarily unavailable. Try again in a moment."),
                status=503,
                content_type="text/plain; charset=utf-8",
            )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    if is_outage(sys.exc_info()[1]):
        return outage_response(request)
    return defaults.server_error(request)
