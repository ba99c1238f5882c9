"""REST API plumbing shared by every app's api.py: pagination, throttling and error mapping.

No business logic: the ViewSets ask objectives/permissions.py and call the apps' services.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, pagination, permissions, throttling
from rest_framework.authentication import TokenAuthentication
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from objectives.writability import ObjectLocked, require_writable
from okrhub.client_ip import client_ip


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class Conflict(exceptions.APIException):
    """The object may not change in its current state (objectives/writability.py): 409, nothing changed."""

    status_code = 409
    default_detail = gettext_lazy("This object cannot be changed in its current state.")
    default_code = "locked"


class PreconditionFailed(exceptions.APIException):
    """``If-Match`` names a version that is no longer current: 412, nothing changed."""

    status_code = 412
    default_detail = gettext_lazy(
        "Someone changed this object since you read it. Read it again (its ETag) and retry your change."
    )
    default_code = "stale"


class MayChange(permissions.BasePermission):
    """Reads: the ViewSet's queryset already hides what the user may not see (404). Writes: ask the view,
    which asks objectives/permissions.py (403), then whether the object may change now at all (409)."""

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if not view.may_change(request, obj):
            return False
        require_writable(obj)
        return True


class _RateFromSettings:
    # DRF binds THROTTLE_RATES when the class is defined; reading it per request lets settings (and tests)
    # change the rate.
    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class TokenRateThrottle(_RateFromSettings, throttling.UserRateThrottle):
    """Throttles clients that authenticate with a token (scripts); browser sessions are not throttled."""

    scope = "token"

    def allow_request(self, request, view) -> bool:
        if not isinstance(request.successful_authenticator, TokenAuthentication):
            return True
        return super().allow_request(request, view)


class AuthRateThrottle(_RateFromSettings, throttling.AnonRateThrottle):
    """Per client address on the token endpoint, whoever is asking."""

    scope = "auth"

    def get_ident(self, request) -> str:
        # DRF's own would believe X-Forwarded-For from anyone, letting a client pick a fresh counter.
        return client_ip(request)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def validation_error_detail(error: DjangoValidationError) -> dict[str, Any]:
    """A model or service ValidationError as DRF field errors (non-field errors under the usual key)."""
    if hasattr(error, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}


def exception_handler(exc, context):
    if isinstance(exc, ObjectLocked):
        exc = Conflict(exc.messages[0])
    # Services validate with full_clean(); their errors are the client's fault, so 400 rather than 500.
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    elif isinstance(exc, ProtectedError):
        exc = exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("This object is still in use and cannot be deleted.")]}
        )
    return drf_exception_handler(exc, context)
