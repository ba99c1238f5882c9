"""Celery beat for the scale-out test: the real app and the real reminder task, ticking every few seconds.

`celery -A tests.scaleout.beat beat` — the production schedule (okrhub/settings.py) is hourly, too slow
for a test; only the schedule differs, the task and the workers that run it are the real ones.
"""

from __future__ import annotations

import os

from okrhub.celery import app

app.conf.beat_schedule = {
    "checkin-reminders": {
        "task": "checkins.send_due_checkin_reminders",
        "schedule": float(os.environ.get("SCALEOUT_BEAT_SECONDS", "1")),
    },
}
