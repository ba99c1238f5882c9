"""Helpers for tests that run the real app under gunicorn with the production config file."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
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
