"""Two real Celery worker processes, the real Redis, a real HTTP receiver: every event reaches each endpoint
exactly once, even when every delivery task is enqueued twice and one receiver fails first (retried with
backoff by the worker).

Same pattern as tests/notifications/test_reminders_worker.py: the workers read the data this test commits
(``transactional_db``) through the test database's name on PostgreSQL, or a file copy on SQLite.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import uuid
from collections import Counter

import pytest
from celery import Celery
from django.conf import settings

from integrations.events import event_record
from integrations.models import Attempt, Delivery
from integrations.services import endpoint_create
from tests.servers import Workers, celery_env, celery_workers, redis_db, shared_database_url

from .receiver import Answer, receiver

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get(
    "INTEGRATIONS_TEST_REDIS_URL", "redis://127.0.0.1:6379/13"
)  # a database of our own
PATIENCE = 90  # seconds before the test gives up on the workers (it fails, never passes, on timeout)


def _attempts(database_url: str) -> list[tuple[int, str, bool]]:
    """(endpoint id, event id, succeeded) for every attempt the workers recorded."""
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            rows = db.execute(
                "SELECT d.endpoint_id, e.uuid, a.ok FROM integrations_attempt a "
                "JOIN integrations_delivery d ON d.id = a.delivery_id "
                "JOIN integrations_event e ON e.id = d.event_id"
            ).fetchall()
    else:
        rows = Attempt.objects.values_list("delivery__endpoint_id", "delivery__event__uuid", "ok")
    return [(endpoint_id, str(uuid.UUID(str(event_id))), bool(ok)) for endpoint_id, event_id, ok in rows]


def _statuses(database_url: str) -> dict[int, str]:
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            return dict(db.execute("SELECT id, status FROM integrations_delivery").fetchall())
    return dict(Delivery.objects.values_list("id", "status"))


@pytest.fixture
def workers(tmp_path):
    broker = redis_db(REDIS_URL)

    with contextlib.ExitStack() as running:

        def start(database_url: str, count: int = 2) -> Workers:
            env = celery_env(
                broker_url=REDIS_URL,
                database_url=database_url,
                EMAIL_URL="consolemail://",
                SITE_URL="https://okr.example.org",
                SECRET_KEY=settings.SECRET_KEY,  # the stored URLs and secrets are encrypted under it
                DEBUG="false",
                SECURE_SSL_REDIRECT="false",
                WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
                WEBHOOK_RETRY_BASE_SECONDS="0.5",
                WEBHOOK_TIMEOUT_SECONDS="5",
            )
            return running.enter_context(
                celery_workers(
                    name="integrations-test",
                    broker_url=REDIS_URL,
                    log_dir=tmp_path,
                    env=env,
                    count=count,
                    concurrency=1,
                    # Both workers ready and idle before anything is published: the case in which a claim
                    # through a join let both claim one delivery on PostgreSQL (integrations/delivery.py).
                    patience=PATIENCE,
                )
            )

        yield {"start": start, "broker": broker}


@pytest.mark.django_db(transaction=True)
def test_each_event_reaches_each_endpoint_once_under_two_workers(org, workers, tmp_path, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    failed_once: set[str] = set()
    lock = threading.Lock()

    def script(received):
        body = json.loads(received.body)
        with lock:
            # The first try of the first event to /flaky fails: the worker retries it with backoff.
            if received.path == "/flaky" and body["data"].get("n") == 0 and "x" not in failed_once:
                failed_once.add("x")
                return Answer(status=503, delay=0.2)
        return Answer(status=200, delay=0.2)  # slow enough for the two workers to overlap

    with receiver() as hook:
        hook.script = script
        steady, _ = endpoint_create(
            kind="webhook",
            team=org.team,
            name="Steady",
            url=hook.url + "/steady",
            events=["checkin.created"],
            owner=org.lead,
        )
        flaky, _ = endpoint_create(
            kind="webhook",
            team=None,
            name="Flaky",
            url=hook.url + "/flaky",
            events=["checkin.created"],
            owner=org.staff,
        )
        for n in range(4):
            event_record(type="checkin.created", key=f"worker-test:{n}", team=org.team, data={"n": n})
        delivery_ids = list(Delivery.objects.values_list("pk", flat=True))
        assert len(delivery_ids) == 8

        database_url = shared_database_url(tmp_path)
        running: Workers = workers["start"](database_url, count=2)
        # Not the current app: shared tasks of later tests must keep resolving to okrhub's (eager) app.
        client = Celery("integrations-test", broker=REDIS_URL, set_as_current=False)
        try:
            for delivery_id in delivery_ids:  # every delivery twice: a duplicated message
                client.send_task("integrations.deliver", args=[delivery_id])
                client.send_task("integrations.deliver", args=[delivery_id])
            running.wait_until(
                lambda: all(status == "succeeded" for status in _statuses(database_url).values()),
                what="every delivery to succeed",
            )
            time.sleep(1.0)  # the duplicates still queued run now and must find nothing to send
            broker = workers["broker"]
            settle = time.monotonic() + 20
            while (broker.llen("celery") or broker.hlen("unacked")) and time.monotonic() < settle:
                time.sleep(0.2)
        finally:
            client.close()

        received = list(hook.received)
    requests = Counter(
        (request.path, json.loads(request.body)["id"])
        for request in received
        if request.path in {"/steady", "/flaky"}
    )
    assert len(requests) == 8 and len(received) == sum(requests.values())
    paths = {steady.pk: "/steady", flaky.pk: "/flaky"}
    attempts = _attempts(database_url)
    tries = Counter((paths[endpoint_id], event_id) for endpoint_id, event_id, _ok in attempts)
    successes = Counter((paths[endpoint_id], event_id) for endpoint_id, event_id, ok in attempts if ok)
    # Every request the receiver got was one attempt a worker claimed and logged: two workers never sent the
    # same delivery at once, and each (endpoint, event) succeeded exactly once.
    assert tries == requests, (tries, requests)
    assert set(successes.values()) == {1} and len(successes) == 8
    # The first try to /flaky failed (503) and was retried; a timeout on a slow machine may add a retry more.
    assert sum(requests.values()) >= 9
    assert len(attempts) - len(successes) == sum(requests.values()) - 8
