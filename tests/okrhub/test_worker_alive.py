"""Liveness of the Celery worker and beat (okrhub/heartbeat.py, `manage.py worker_alive`)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
from celery.apps.beat import Beat
from celery.beat import PersistentScheduler, Service
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from okrhub import heartbeat
from okrhub.celery import app as celery_app
from tests.servers import celery_env, celery_workers, redis_db

REDIS_URL = os.environ.get("OPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/8")  # our own db (scale-out: 15)
PATIENCE = 60  # seconds a worker gets to start and answer (the test fails, never passes, on timeout)


@pytest.fixture
def heartbeat_dir(settings, tmp_path):
    settings.HEARTBEAT_DIR = str(tmp_path)
    return tmp_path


@pytest.mark.parametrize("role", ["worker", "beat"])
def test_no_heartbeat_is_not_alive(heartbeat_dir, role):
    with pytest.raises(CommandError, match=f"{role}: no heartbeat"):
        call_command("worker_alive", role=role)


def test_a_fresh_heartbeat_is_alive(heartbeat_dir, capsys):
    heartbeat.beat("worker")
    call_command("worker_alive")
    assert "worker: alive" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("role", "seconds_ago", "alive"),
    [("worker", 50, True), ("worker", 70, False), ("beat", 170, True), ("beat", 190, False)],
)
def test_a_stale_heartbeat_is_not_alive(heartbeat_dir, role, seconds_ago, alive):
    heartbeat.beat(role)
    then = time.time() - seconds_ago
    os.utime(heartbeat.heartbeat_path(role), (then, then))
    if alive:
        call_command("worker_alive", role=role)
    else:
        with pytest.raises(CommandError, match="last heartbeat"):
            call_command("worker_alive", role=role)


def test_max_age_is_adjustable(heartbeat_dir):
    heartbeat.beat("worker")
    then = time.time() - 20
    os.utime(heartbeat.heartbeat_path("worker"), (then, then))
    with pytest.raises(CommandError):
        call_command("worker_alive", max_age=10)


def test_the_command_exits_1_from_the_shell(tmp_path):
    env = {**os.environ, "HEARTBEAT_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "okrhub.settings"}
    result = subprocess.run(
        [sys.executable, "manage.py", "worker_alive"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "no heartbeat" in result.stderr


def test_beat_touches_its_heartbeat_on_every_tick(heartbeat_dir, tmp_path):
    assert celery_app.conf.beat_scheduler == "okrhub.heartbeat:HeartbeatScheduler"
    assert celery_app.conf.beat_max_loop_interval <= heartbeat.MAX_AGE["beat"] / 2
    # What `celery -A okrhub beat` runs: the scheduler class from the settings.
    scheduler_cls = Beat(app=celery_app, quiet=True).scheduler_cls
    service = Service(celery_app, scheduler_cls=scheduler_cls, schedule_filename=str(tmp_path / "schedule"))
    scheduler = service.scheduler
    assert isinstance(scheduler, heartbeat.HeartbeatScheduler)
    try:
        # Celery's own tick would send the due tasks to the broker; only ours is under test.
        with mock.patch.object(PersistentScheduler, "tick", return_value=7.0) as celery_tick:
            assert scheduler.tick() == 7.0
        celery_tick.assert_called_once()
        assert heartbeat.age("beat") is not None and heartbeat.age("beat") < 5
    finally:
        scheduler.close()


def test_the_worker_runs_the_heartbeat_step():
    assert heartbeat.WorkerHeartbeat in celery_app.steps["worker"]


# --- a real worker process ------------------------------------------------------------------------------


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path
    env: dict[str, str]

    def lines(self) -> list[dict]:
        found = []
        for raw in self.log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                found.append(json.loads(raw))
        return found

    def wait_for(self, predicate, timeout: float = PATIENCE) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            for line in self.lines():
                if predicate(line):
                    return line
            time.sleep(0.2)
        raise AssertionError(f"the worker did not log it within {timeout} s:\n{self.log.read_text()[-4000:]}")


@contextlib.contextmanager
def run_worker(tmp_path: Path, broker_url: str):
    """`celery -A okrhub worker --pool=solo` with JSON logs and its own heartbeat folder; always stopped."""
    env = celery_env(
        broker_url=broker_url,
        database_url=f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        LOG_FORMAT="json",
        HEARTBEAT_DIR=str(tmp_path),
        SECRET_KEY=os.environ.get("SECRET_KEY", "test-only"),
    )
    with celery_workers(
        name="o21-test",
        broker_url=broker_url,
        log_dir=tmp_path,
        env=env,
        pool="solo",
        queues=(worker_queue(),),
        without=("gossip", "mingle"),
        flush=False,  # a shared database number: the queue of this run alone keeps it apart
        ready=heartbeat_file(tmp_path).exists,
        patience=PATIENCE,
    ) as workers:
        yield Worker(workers.process, workers.log, env)


def worker_queue() -> str:
    """A queue of this test run alone, so the worker takes nothing anyone else left in the broker."""
    return f"o21-test-{os.getpid()}"


def heartbeat_file(folder: Path) -> Path:
    return folder / "okrhub-worker.heartbeat"


@pytest.mark.integration
def test_a_real_worker_beats_while_it_runs_and_stops_beating_when_it_stops(tmp_path):
    redis_db(REDIS_URL)
    with run_worker(tmp_path, REDIS_URL) as worker:
        alive = subprocess.run(
            [sys.executable, "manage.py", "worker_alive"],
            cwd=django_settings.BASE_DIR,
            env=worker.env,
            capture_output=True,
            text=True,
        )
        assert alive.returncode == 0, alive.stderr
        assert "worker: alive" in alive.stdout
        # Its logs are JSON lines too (settings.LOGGING, not Celery's own format).
        assert any(line["logger"].startswith("celery") for line in worker.lines())
    assert not heartbeat_file(tmp_path).exists()  # a worker that stopped is not alive
