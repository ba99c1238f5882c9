"""``/metrics`` in Prometheus' text format (docs/operations.md, "Metrics").

Two parts, one answer:

- django-prometheus: requests, latencies, responses by status, database queries and errors (its
  middleware and database backends, wired in settings). Under gunicorn every worker process keeps its
  own; with ``PROMETHEUS_MULTIPROC_DIR`` set (docker-compose, Kubernetes) they are summed across the
  processes of the pod (prometheus_client's multiprocess mode; docker/gunicorn.conf.py cleans the folder).
- The product's own figures, computed from the database and the broker when Prometheus scrapes, so they
  are the same whichever web node answers: a registry of small functions. An app adds one in its own
  ``metrics.py`` (found by :func:`discover`), nothing here needs to know it::

      from okrhub.metrics import product_metric

      @product_metric("okrhub_things_total", "Things in the database.", labels=("state",))
      def things():
          return [(("open",), 3), (("closed",), 5)]   # or a single number when there are no labels

  A function that fails is left out of that scrape and counted in ``okrhub_product_metric_up{metric=…} 0``,
  so one broken query never blanks the whole page.

Protected by ``METRICS_TOKEN``: unset → 404 (no metrics served), else ``Authorization: Bearer <token>``
(compared in constant time) or 401.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module

import prometheus_client
from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import module_has_submodule
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

logger = logging.getLogger(__name__)

Sample = tuple[tuple[str, ...], float]


@dataclass(frozen=True)
class ProductMetric:
    name: str
    documentation: str
    labels: tuple[str, ...]
    compute: Callable[[], float | Iterable[Sample]]


PRODUCT_METRICS: dict[str, ProductMetric] = {}


def product_metric(name: str, documentation: str, *, labels: Iterable[str] = ()):
    """Registers a gauge computed at scrape time (see the module docstring)."""

    def register(compute):
        PRODUCT_METRICS[name] = ProductMetric(name, documentation, tuple(labels), compute)
        return compute

    return register


_discovered = False


def discover() -> None:
    """Imports ``<app>.metrics`` of the project's own apps once, so their functions register."""
    global _discovered
    if _discovered:
        return
    for config in apps.get_app_configs():
        if str(config.path).startswith(str(settings.BASE_DIR)) and module_has_submodule(
            config.module, "metrics"
        ):
            import_module(f"{config.name}.metrics")
    _discovered = True


class ProductCollector(Collector):
    def collect(self):
        discover()
        up = GaugeMetricFamily(
            "okrhub_product_metric_up", "1 when the product metric could be computed.", labels=["metric"]
        )
        for metric in list(PRODUCT_METRICS.values()):
            try:
                value = metric.compute()
                family = GaugeMetricFamily(metric.name, metric.documentation, labels=list(metric.labels))
                if metric.labels:
                    for label_values, sample in value:
                        family.add_metric([str(v) for v in label_values], float(sample))
                else:
                    family.add_metric([], float(value))
            except Exception:  # noqa: BLE001 — one failing figure must not take the others down
                logger.warning("product metric %s failed", metric.name, exc_info=True)
                up.add_metric([metric.name], 0)
                continue
            up.add_metric([metric.name], 1)
            yield family
        yield up


PRODUCT_REGISTRY = CollectorRegistry(auto_describe=False)
PRODUCT_REGISTRY.register(ProductCollector())


def _process_registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return prometheus_client.REGISTRY


def authorized(request: HttpRequest) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and constant_time_compare(given.strip(), settings.METRICS_TOKEN)


@login_not_required
@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        # Plain, like the probes: answered before host validation, so no page that builds URLs.
        return HttpResponse("not found\n", status=404, content_type="text/plain")
    if not authorized(request):
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body = prometheus_client.generate_latest(_process_registry()) + prometheus_client.generate_latest(
        PRODUCT_REGISTRY
    )
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)


# --- the platform's own figures -------------------------------------------------------------------------


@product_metric(
    "okrhub_celery_queue_length", "Tasks waiting in the Celery broker's queue.", labels=("queue",)
)
def celery_queue_length():
    from okrhub.celery import app
    from okrhub.health import broker_connection

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return []
    queue = app.conf.task_default_queue
    with broker_connection() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        client = getattr(conn.default_channel, "client", None)
        if hasattr(client, "llen"):  # Redis: the queue is a list (priority steps are lists beside it)
            return [((queue,), client.llen(queue))]
        return [((queue,), conn.default_channel.queue_declare(queue=queue, passive=True).message_count)]
