"""Logging filters wired in settings.LOGGING."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404

# Refusals that are the application doing its job, not errors.
EXPECTED = (PermissionDenied, Http404)


class PermissionDeniedOneLine(logging.Filter):
    """A refused (403) or unknown (404) request is logged as its one "Forbidden …: /path" / "Not Found: /path"
    line.

    Django passes the PermissionDenied or Http404 as ``exc_info``, so every 403 and 404 wrote a full
    traceback: noise that buries real errors, for what is the permission module (or a selector's
    404-for-foreign-objects) doing its job.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], EXPECTED):
            record.exc_info = None
            record.exc_text = None
        return True
