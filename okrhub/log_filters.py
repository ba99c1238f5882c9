"""Logging filters wired in settings.LOGGING."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class PermissionDeniedOneLine(logging.Filter):
    """A refused request (403) is logged as its one "Forbidden (Permission denied): /path" line.

    Django passes the PermissionDenied as ``exc_info``, so every 403 wrote a full traceback: noise that
    buries real errors, for what is the permission module doing its job.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
