from __future__ import annotations

import os

from celery import Celery, signals

from okrhub.heartbeat import WorkerHeartbeat
from okrhub.logs import connect_celery_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrhub.settings")

app = Celery("okrhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The worker touches its heartbeat file (python manage.py worker_alive); beat does in its scheduler.
app.steps["worker"].add(WorkerHeartbeat)
# The request id of the web request that queued a task is current while the task runs (okrhub/logs.py).
connect_celery_signals()


@signals.setup_logging.connect(weak=False)
def _django_logging(**kwargs):
    """Workers and beat log through settings.LOGGING (JSON lines in production), not Celery's own format."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
