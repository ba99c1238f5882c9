"""Structured logs: one JSON object per line (LOG_FORMAT=json), with the request id everywhere.

Stdlib logging with our own small formatter rather than django-structlog: every library's records
(Django, Celery, gunicorn's through the root logger) come out in the same shape without wrapping each
call site, and there is no second logging API to learn.

- :class:`RequestIdMiddleware` (outermost) takes a well-formed ``X-Request-ID`` from the client or the
  proxy, or makes one, returns it on every response, and logs one ``okrhub.request`` line per request
  with method, path, status, duration and the user id (probes are not logged: they would drown the rest).
- The id lives in a context variable, so every record logged while serving the request carries it, and
  :func:`attach_request_id` (Celery ``before_task_publish``) puts it into each task's message headers;
  :func:`adopt_request_id` (``task_prerun``) makes it current again on the worker.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from django.utils.functional import empty

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from outside: UUIDs, hex, the ids proxies make (nginx $request_id, Caddy, AWS "Root=1-…").
# Anything else (too long, spaces, control characters, HTML) is replaced, never logged.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{7,127}")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
user_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)

request_logger = logging.getLogger("okrhub.request")

# Attributes every LogRecord has; whatever else a call passed in ``extra`` goes into the JSON object.
# (``request``: Django's request object, which django.request passes along; its id and path are logged.)
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "user_id",
    "request",
}


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(value: str | None) -> str:
    """The client's id when it is well formed, else a new one."""
    if value and WELL_FORMED.fullmatch(value):
        return value
    return new_request_id()


class RequestContextFilter(logging.Filter):
    """Copies the current request id and user id onto every record (for text and JSON alike)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs a 4xx/5xx after the middleware returned, with the request in ``extra``.
        request = getattr(record, "request", None)
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get() or getattr(request, "request_id", None)
        if getattr(record, "user_id", None) is None:
            record.user_id = user_id_var.get() or (_user_id(request) if request is not None else None)
        return True


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", "request_id", "user_id", …extra, "exc"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            "user_id": getattr(record, "user_id", None) or user_id_var.get(),
        }
        request = getattr(record, "request", None)
        if request is not None and entry["request_id"] is None:
            entry["request_id"] = getattr(request, "request_id", None)
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The plain format for development, with the request id when there is one."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{text} [{request_id}]" if request_id else text


def _user_id(request) -> int | None:
    """The signed-in user's id, without loading the user if nothing in the request did."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if getattr(user, "is_authenticated", False) else None


class RequestIdMiddleware:
    """Outermost: a request id for every request, returned as X-Request-ID; one log line per request."""

    # Asked every few seconds by load balancers and kubelets; a line each would bury everything else.
    QUIET_PATHS = frozenset({"/healthz", "/readyz", "/healthz/db", "/metrics"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        id_token = request_id_var.set(request_id)
        user_token = user_id_var.set(None)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            user_id = _user_id(request)
            response[REQUEST_ID_HEADER] = request_id
            if request.path_info not in self.QUIET_PATHS:
                duration_ms = round((time.monotonic() - started) * 1000, 1)
                request_logger.info(
                    "%s %s %s %.1f ms",
                    request.method,
                    request.path,
                    response.status_code,
                    duration_ms,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": duration_ms,
                        "user_id": user_id,
                    },
                )
            return response
        finally:
            user_id_var.reset(user_token)
            request_id_var.reset(id_token)


# --- Celery: the id travels in the task message's headers --------------------------------------------------

TASK_HEADER = "request_id"


def attach_request_id(headers=None, **kwargs) -> None:
    """``before_task_publish``: the current request id (if any) goes along with the task."""
    request_id = request_id_var.get()
    if request_id and headers is not None and not headers.get(TASK_HEADER):
        headers[TASK_HEADER] = request_id


_task_tokens: dict[str, contextvars.Token] = {}


def adopt_request_id(task_id=None, task=None, **kwargs) -> None:
    """``task_prerun``: the publishing request's id becomes current while the task runs.

    A task run eagerly (in the request's own thread) already has it; a task without one keeps none.
    """
    request = getattr(task, "request", None)
    request_id = getattr(request, TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(
        TASK_HEADER
    )
    if request_id and WELL_FORMED.fullmatch(str(request_id)) and task_id:
        _task_tokens[task_id] = request_id_var.set(str(request_id))


def release_request_id(task_id=None, **kwargs) -> None:
    """``task_postrun``: back to the worker's own (empty) context."""
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context (cannot happen with Celery's pools; never fail a task)
            request_id_var.set(None)


def connect_celery_signals() -> None:
    from celery import signals

    signals.before_task_publish.connect(
        attach_request_id, weak=False, dispatch_uid="okrhub.request_id.publish"
    )
    signals.task_prerun.connect(adopt_request_id, weak=False, dispatch_uid="okrhub.request_id.prerun")
    signals.task_postrun.connect(release_request_id, weak=False, dispatch_uid="okrhub.request_id.postrun")
