"""Probes for load balancers, docker-compose and Kubernetes (docs/operations.md, "Health").

- ``/healthz``: liveness. The process answers; nothing it depends on can fail it (a database outage must
  not make Kubernetes restart every web pod). No query, no session, no template.
- ``/readyz``: readiness. The database answers and every migration is applied, the cache answers, the
  Celery broker answers, each with a short timeout; a JSON body with one entry per check, 503 when any
  fails. ``?check=database`` (repeatable) runs only the named checks.
- ``/healthz/db``: one ``SELECT 1``; the yardstick of ``make bench`` (what ``/healthz`` measured before). Not
  a probe: it is served through the whole middleware stack, like ``/healthz`` was, so the benchmark's
  ratios stay comparable.

Our own small module rather than django-health-check: these are exactly the checks and semantics the
runbook promises (pending migrations make a pod unready, so a rollout waits for the migration Job),
with bounded timeouts, and no extra app, models or template.

:class:`ProbeMiddleware` answers ``/healthz``, ``/readyz`` and ``/metrics`` before any other middleware: a
kubelet, a container healthcheck or Prometheus asks by the pod's address, which ``ALLOWED_HOSTS`` rightly
refuses, and over plain HTTP, which ``SECURE_SSL_REDIRECT`` would redirect. Their answers build no URL and
show no data (``/metrics`` wants its token), so the host is moot.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import get_random_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

# Seconds each dependency may take to answer a readiness check (the database's connect timeout is
# settings.DATABASES' connect_timeout on PostgreSQL).
TIMEOUT = 2.0


class CheckFailed(Exception):
    """A check's dependency answered wrong; the message goes into the JSON body."""


def check_database() -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in plan[:5])
        raise CheckFailed(f"{len(plan)} migration(s) not applied: {names}")
    return "reachable, migrations applied"


def check_cache() -> str:
    key = f"okrhub:readyz:{get_random_string(12)}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise CheckFailed("a value written to the cache did not read back")
    cache.delete(key)
    return "reachable"


def broker_connection():
    """A kombu connection to settings.CELERY_BROKER_URL that gives up after :data:`TIMEOUT` seconds."""
    from kombu import Connection

    from okrhub.celery import app

    options = {**app.conf.broker_transport_options, "socket_timeout": TIMEOUT}
    return Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=TIMEOUT,
        transport_options={**options, "socket_connect_timeout": TIMEOUT, "max_retries": 0},
    )


def check_broker() -> str:
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return "not used (CELERY_TASK_ALWAYS_EAGER)"
    with broker_connection() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=TIMEOUT)
        # Redis connects lazily; a command proves the server answers.
        client = getattr(conn.default_channel, "client", None)
        if hasattr(client, "ping"):
            client.ping()
    return "reachable"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def run_checks(names: list[str]) -> tuple[bool, dict[str, dict]]:
    results: dict[str, dict] = {}
    healthy = True
    for name in names:
        started = time.monotonic()
        try:
            detail, ok = CHECKS[name](), True
        except Exception as exc:  # noqa: BLE001 — any failure of a dependency is "not ready", said in the body
            detail, ok = f"{type(exc).__name__}: {exc}"[:500], False
        healthy &= ok
        results[name] = {
            "ok": ok,
            "detail": detail,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }
    return healthy, results


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: 200 ``ok`` while the process answers, whatever the database, cache or broker do."""
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: ``{"status": "ok"|"unavailable", "checks": {name: {ok, detail, duration_ms}}}``."""
    names = request.GET.getlist("check") or list(CHECKS)
    unknown = sorted(set(names) - set(CHECKS))
    if unknown:
        return JsonResponse(
            {"error": f"unknown check(s): {', '.join(unknown)}", "checks": list(CHECKS)}, status=400
        )
    healthy, results = run_checks(list(dict.fromkeys(names)))
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results}, status=200 if healthy else 503
    )


@login_not_required
@never_cache
@require_safe
def database_probe(request: HttpRequest) -> HttpResponse:
    """One ``SELECT 1``: 200 ``ok`` or 503 (the benchmark's one-query yardstick)."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def _metrics(request: HttpRequest) -> HttpResponse:
    from okrhub.metrics import metrics

    return metrics(request)


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
    # Prometheus scrapes a pod by its address too; the bearer token (METRICS_TOKEN) guards it.
    "/metrics": _metrics,
}


class ProbeMiddleware:
    """Answers the probe paths first: no host validation, HTTPS redirect, session or login on the way."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)
