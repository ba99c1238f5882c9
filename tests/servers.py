"""Helpers for tests that run the real app under gunicorn with the production config file."""

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

import httpx

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
