"""OKR Hub scaled out on loopback: nginx in front of two gunicorn nodes, two Celery workers, one beat.

Every process shares one PostgreSQL database and one Redis database (cache and broker), like the compose
file's ``--scale web=2 --scale worker=2``. nginx adds ``X-Node: <upstream address>`` to every answer so a
test sees which node answered (no change to the app). Each process runs in its own process group, so a node
can be killed outright (SIGKILL, gunicorn's workers included) and started again on its port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.servers import CELERY_BIN, ROOT, celery_worker_command, free_port

NGINX = os.environ.get("SCALEOUT_NGINX", "/usr/sbin/nginx")
START_TIMEOUT = 60  # seconds for any one process to come up (the test fails, never hangs)

NGINX_CONF = """\
{user}worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
  access_log {tmp}/nginx-access.log;
  client_body_temp_path {tmp}/nginx-body;
  proxy_temp_path {tmp}/nginx-proxy;
  fastcgi_temp_path {tmp}/nginx-fastcgi;
  uwsgi_temp_path {tmp}/nginx-uwsgi;
  scgi_temp_path {tmp}/nginx-scgi;
  upstream okrhub {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://okrhub;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      # A node that refuses or drops the connection is skipped; a POST that reached a node is never
      # sent twice (nginx retries non-idempotent requests only before they were sent).
      proxy_next_upstream error timeout http_502;
      proxy_next_upstream_tries 2;
      proxy_connect_timeout 1s;
      proxy_read_timeout 30s;
      add_header X-Node $upstream_addr always;
    }}
  }}
}}
"""


def _popen(command: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: children stop with it
        )


def _stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM, wait: float = 15) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _tail(path: Path, size: int = 4000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else "(no log)"


@dataclass
class Proc:
    """One process of the stack, restartable with the same command."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = _popen(self.command, env=self.env, log=self.log)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        _stop(self.process, sig)

    def kill(self) -> None:
        """SIGKILL to the whole group: no graceful shutdown, requests in flight are cut off."""
        _stop(self.process, signal.SIGKILL)

    def require_alive(self, what: str) -> None:
        if not self.alive():
            raise AssertionError(f"{self.name} exited while {what}:\n{_tail(self.log)}")


@dataclass
class Node(Proc):
    port: int = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.require_alive("starting")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://{self.address}/healthz", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not answer /healthz:\n{_tail(self.log)}")
            time.sleep(0.2)


@dataclass
class Stack:
    tmp: Path
    database_url: str
    redis_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)
    beat: Proc | None = None
    nginx: Proc | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mail_dir(self) -> Path:
        return self.tmp / "mail"

    def env(self) -> dict[str, str]:
        # PYTEST_VERSION stays: the app then runs with its test settings (no HTTPS redirect, plain static
        # files storage), as tests/servers.py's gunicorn does.
        return {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": "scaleout-test-only",  # one key on every node: sessions signed by one, read by all
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": self.database_url,
            "CONN_MAX_AGE": "0",
            "CACHE_URL": self.redis_url,
            "CELERY_BROKER_URL": self.redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_URL": "filemail://",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "SITE_URL": self.url,
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": "4",
            **self.extra_env,
        }

    def start(self) -> None:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        env = self.env()
        for number in (1, 2):
            port = free_port()
            node = Node(
                name=f"web{number}",
                command=[
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "okrhub.wsgi:application",
                    "--config",
                    "docker/gunicorn.conf.py",
                ],
                env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
                log=self.tmp / f"web{number}.log",
                port=port,
            )
            self.nodes.append(node)
        for number in (1, 2):
            self.workers.append(
                Proc(
                    name=f"worker{number}",
                    command=celery_worker_command(hostname=f"scaleout{number}-{os.getpid()}", concurrency=1),
                    env=env,
                    log=self.tmp / f"worker{number}.log",
                )
            )
        self.beat = Proc(
            name="beat",
            # tests/scaleout/beat.py: the real tasks on a schedule of seconds instead of hours.
            command=[str(CELERY_BIN), "-A", "tests.scaleout.beat", "beat", "--loglevel=info"]
            + [f"--schedule={self.tmp / 'beat-schedule'}"],
            env=env,
            log=self.tmp / "beat.log",
        )
        conf = self.tmp / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                # As root, nginx's workers would become nobody, who cannot enter pytest's temporary directory.
                user="user root;\n" if os.geteuid() == 0 else "",
                tmp=self.tmp,
                port=self.port,
                servers="\n".join(
                    f"    server {node.address} max_fails=1 fail_timeout=2s;" for node in self.nodes
                ),
            )
        )
        self.nginx = Proc(
            name="nginx",
            command=[NGINX, "-p", str(self.tmp), "-c", str(conf), "-e", str(self.tmp / "nginx-error.log")]
            + ["-g", "daemon off;"],
            env=env,
            log=self.tmp / "nginx.log",
        )
        # Everything starts at once (the machine is small; startups overlap), then each is awaited.
        for proc in [*self.nodes, *self.workers, self.nginx]:
            proc.start()
        for node in self.nodes:
            node.wait_ready()
        for worker in self.workers:
            wait_for_log(worker, "ready.", timeout=START_TIMEOUT)
        self.wait_front()

    def wait_front(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.nginx.require_alive("starting")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"nginx did not answer:\n{_tail(self.tmp / 'nginx-error.log')}")
            time.sleep(0.2)

    def node_of(self, response: httpx.Response, *, default: str | None = None) -> str:
        """Which node answered: the last upstream nginx tried (after a failover it lists two)."""
        tried = response.headers.get("X-Node", "")
        address = tried.split(",")[-1].strip()
        for node in self.nodes:
            if node.address == address:
                return node.name
        if default is not None:
            return default
        raise AssertionError(f"nginx named no known node: X-Node={tried!r}")

    def stop(self) -> None:
        procs = [proc for proc in [self.nginx, self.beat, *self.workers, *self.nodes] if proc is not None]
        for proc in procs:  # all at once, then each awaited: shutdowns overlap
            if proc.alive():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.process.pid, signal.SIGTERM)
        for proc in procs:
            proc.stop()

    def logs(self) -> str:
        parts = []
        for proc in [*self.nodes, *self.workers, self.beat, self.nginx]:
            if proc is not None:
                parts.append(f"--- {proc.name} ---\n{_tail(proc.log, 1500)}")
        parts.append(f"--- nginx errors ---\n{_tail(self.tmp / 'nginx-error.log', 1500)}")
        return "\n".join(parts)


def wait_for_log(proc: Proc, text: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in (proc.log.read_text(errors="replace") if proc.log.exists() else ""):
        proc.require_alive(f"waiting for {text!r}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{proc.name} never logged {text!r}:\n{_tail(proc.log)}")
        time.sleep(0.2)
