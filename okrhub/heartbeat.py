"""Liveness of the Celery worker and beat: each touches a heartbeat file while its loop runs.

``python manage.py worker_alive`` (``--role beat`` for beat) exits 0 while the file is fresh, 1 when it is
stale or missing; docker-compose and the Kubernetes liveness probes run it (docs/operations.md, "Health").

- The worker: :class:`WorkerHeartbeat`, a bootstep on the worker's timer, which runs in the same event
  loop that takes tasks from the broker; a wedged loop stops the heartbeat.
- Beat: :class:`HeartbeatScheduler`, Celery's file scheduler that touches its file on every tick (at most
  ``CELERY_BEAT_MAX_LOOP_INTERVAL`` seconds apart).
"""

from __future__ import annotations

import time
from pathlib import Path

from celery import bootsteps
from celery.beat import PersistentScheduler
from django.conf import settings

WORKER_INTERVAL = 10  # seconds between the worker's heartbeats
# A probe calls a role dead when its file is older than this (several missed beats, not one slow one).
MAX_AGE = {"worker": 60, "beat": 180}


def heartbeat_path(role: str) -> Path:
    return Path(settings.HEARTBEAT_DIR) / f"okrhub-{role}.heartbeat"


def beat(role: str) -> None:
    path = heartbeat_path(role)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{time.time():.0f}\n")


def age(role: str, *, now: float | None = None) -> float | None:
    """Seconds since the role's last heartbeat, or None when it never wrote one."""
    try:
        written = heartbeat_path(role).stat().st_mtime
    except FileNotFoundError:
        return None
    return max(0.0, (time.time() if now is None else now) - written)


class WorkerHeartbeat(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        beat("worker")
        self.tref = worker.timer.call_repeatedly(WORKER_INTERVAL, beat, ("worker",), priority=10)

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        heartbeat_path("worker").unlink(missing_ok=True)


class HeartbeatScheduler(PersistentScheduler):
    def tick(self, *args, **kwargs):
        beat("beat")
        return super().tick(*args, **kwargs)
