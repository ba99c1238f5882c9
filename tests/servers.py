"""Helpers for tests that run the real app in other processes: gunicorn with the production config file, real
Celery workers on a Redis database of the test's own, and a small HTTP server."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], *, log_dir: Path, ready: Callable[[httpx.Response], bool], timeout: float = 60
) -> Iterator[str]:
    """gunicorn (docker/gunicorn.conf.py, one worker) on a free loopback port; yields its base URL.

    ``env`` adds to this process's environment. Waits until ``ready(GET /healthz/db)`` (one ``SELECT 1``:
    200, or 503 without a database); always stops it.
    """
    port = free_port()
    full_env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "test-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_WORKERS": "1",
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    log = log_dir / f"gunicorn-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "okrhub.wsgi:application",
                "--config",
                "docker/gunicorn.conf.py",
            ],
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the workers are stopped too
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                if ready(httpx.get(f"{base}/healthz/db", timeout=2)):
                    break
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


# --- Real Celery workers on a Redis database of the test's own ---------------------------------------------

CELERY_BIN = Path(sys.executable).with_name("celery")


def redis_db(url: str, *, why: str = "the worker test needs a real broker"):
    """A client of the Redis database at ``url``; skips the test (saying why) when Redis does not answer."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"Redis does not answer at {url} ({exc}){'; ' + why if why else ''}")
    return client


def shared_database_url(tmp_path: Path) -> str:
    """A DATABASE_URL for another process that reaches the data this test committed (``transactional_db``):
    the test database's name on PostgreSQL; a file copy (``VACUUM INTO``) of the in-memory one on SQLite."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if connection.vendor == "sqlite":
        copy = tmp_path / "worker.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(copy)])
        return f"sqlite:///{copy}"
    pytest.skip(f"No way to share a {connection.vendor} test database with a worker process")


def celery_env(*, database_url: str, broker_url: str | None = None, **extra: str) -> dict[str, str]:
    """This process's environment for a worker (or another manage.py process): pytest's markers and settings
    module out (it runs the production settings), the database in, the broker (not eager) when given,
    ``extra`` on top."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTEST_VERSION", "PYTEST_CURRENT_TEST", "DJANGO_SETTINGS_MODULE")
    }
    env.update(DJANGO_SETTINGS_MODULE="okrhub.settings", DATABASE_URL=database_url)
    if broker_url is not None:
        env.update(CELERY_BROKER_URL=broker_url, CELERY_TASK_ALWAYS_EAGER="false")
    env.update(extra)
    return env


def file_mail_env(mail_dir: Path) -> dict[str, str]:
    """Settings for a process that mails to ``mail_dir`` (Django's file backend), with production links."""
    return {
        "EMAIL_URL": "filemail://",
        "EMAIL_FILE_PATH": str(mail_dir),
        "SITE_URL": "https://okr.example.org",
        "SECRET_KEY": "integration-test-only",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
    }


def celery_worker_command(
    *,
    hostname: str,
    concurrency: int = 2,
    pool: str = "prefork",
    queues: tuple[str, ...] = (),
    without: tuple[str, ...] = ("gossip", "mingle", "heartbeat"),
) -> list[str]:
    """`celery -A okrhub worker` as the tests run it: info logs, no gossip, mingle or broker heartbeat."""
    command = [str(CELERY_BIN), "-A", "okrhub", "worker", f"--pool={pool}", "--loglevel=info"]
    if pool != "solo":
        command.append(f"--concurrency={concurrency}")
    command += [f"--without-{what}" for what in without]
    return command + [f"--hostname={hostname}@%h"] + (["-Q", ",".join(queues)] if queues else [])


@dataclass
class Workers:
    """Running workers: their processes, logs (one each), environment and broker database."""

    processes: list[subprocess.Popen]
    logs: list[Path]
    env: dict[str, str]
    broker: object
    patience: float

    @property
    def process(self) -> subprocess.Popen:
        return self.processes[0]

    @property
    def log(self) -> Path:
        return self.logs[0]

    def log_text(self, tail: int = 5000) -> str:
        return "\n".join(log.read_text(errors="replace")[-tail:] for log in self.logs if log.exists())

    def require_alive(self, what: str) -> None:
        for process in self.processes:
            if process.poll() is not None:
                pytest.fail(f"A worker exited ({process.returncode}) while {what}:\n{self.log_text()}")

    def wait_until(self, condition: Callable[[], bool], *, what: str, patience: float | None = None) -> None:
        """Bounded: fails with the logs when a worker exits or ``patience`` seconds pass, never hangs."""
        deadline = time.monotonic() + (self.patience if patience is None else patience)
        while time.monotonic() < deadline:
            self.require_alive(f"waiting for {what}")
            if condition():
                return
            time.sleep(0.2)
        pytest.fail(f"Timed out waiting for {what}. Worker log:\n{self.log_text()}")


@contextlib.contextmanager
def celery_workers(
    *,
    name: str,
    broker_url: str,
    log_dir: Path,
    env: dict[str, str],
    count: int = 1,
    concurrency: int = 2,
    pool: str = "prefork",
    queues: tuple[str, ...] = (),
    without: tuple[str, ...] = ("gossip", "mingle", "heartbeat"),
    flush: bool = True,
    ready: Callable[[], bool] | None = None,
    patience: float = 90,
) -> Iterator[Workers]:
    """``count`` × `celery -A okrhub worker` on ``broker_url`` with ``env`` (``celery_env``); always stopped.

    Skips when Redis does not answer. ``flush`` empties the broker database before and after (it must be the
    test's own number: leftovers of an earlier run would be consumed too). Waits until every worker logged
    "ready." (or ``ready()`` holds), at most ``patience`` seconds. Logs go to ``log_dir``/worker.log
    (worker-<n>.log for several). Stopping: SIGTERM to each process group (warm shutdown: the current task
    finishes), SIGKILL after 20 s.
    """
    broker = redis_db(broker_url)
    if flush:
        broker.flushdb()
    processes: list[subprocess.Popen] = []
    logs = [log_dir / ("worker.log" if count == 1 else f"worker-{n}.log") for n in range(count)]
    workers = Workers(processes=processes, logs=logs, env=env, broker=broker, patience=patience)
    try:
        for n, log in enumerate(logs):
            hostname = f"{name}-{os.getpid()}" + (f"-{n}" if count > 1 else "")
            command = celery_worker_command(
                hostname=hostname, concurrency=concurrency, pool=pool, queues=queues, without=without
            )
            with open(log, "wb") as out:
                processes.append(
                    subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # its own process group, so the pool children stop with it
                    )
                )

        def started() -> bool:
            if ready is not None:
                return ready()
            return all(log.exists() and " ready." in log.read_text(errors="replace") for log in logs)

        workers.wait_until(started, what="the workers to start")
        yield workers
    finally:
        for process in processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if flush:
            broker.flushdb()


# --- A small HTTP server that answers what a test tells it (data sources' JSON and CSV feeds) --------------


@dataclass
class Route:
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class Feed:
    """``route(path, body, status=200, headers=None, delay=0)`` sets what ``GET path`` answers; ``url(path)``
    is its address; ``requests`` records the paths and headers asked for."""

    def __init__(self, port: int):
        self.port = port
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, body: bytes | str, *, status: int = 200, headers=None, delay: float = 0.0):
        if isinstance(body, str):
            body = body.encode()
        self.routes[path] = Route(body=body, status=status, headers=dict(headers or {}), delay=delay)


def _handler(feed: Feed):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 — the name http.server calls
            feed.requests.append((self.path, dict(self.headers.items())))
            route = feed.routes.get(self.path)
            if route is None:
                route = Route(body=b"not found", status=404)
            if route.delay:
                time.sleep(route.delay)
            try:
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout, a body cut at the limit)

        def log_message(self, *args):
            pass

    return Handler


@contextlib.contextmanager
def feed_server() -> Iterator[Feed]:
    """A threaded HTTP server on a free loopback port, stopped at the end."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), BaseHTTPRequestHandler)
    feed = Feed(server.server_address[1])
    server.RequestHandlerClass = _handler(feed)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield feed
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
