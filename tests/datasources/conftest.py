"""A real HTTP server on loopback for data sources to fetch from, and a key result linked to it.

``feed.route(path, body, status=200, headers=None, delay=0)`` sets what ``GET path`` answers;
``feed.url(path)`` is its address; ``feed.requests`` records the paths and headers asked for.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from datasources import services
from tests.servers import free_port


@dataclass
class Route:
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class Feed:
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


@pytest.fixture
def feed():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _handler(None))
    instance = Feed(server.server_address[1])
    server.RequestHandlerClass = _handler(instance)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with override_settings(DATA_SOURCE_ALLOWED_HOSTS=["127.0.0.1"], DATA_SOURCE_TIMEOUT=1.0):
            yield instance
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def linked(org, feed):
    """link(path="/members.json", fmt="json", json_path=…, **kw) → the org's key result's data source."""

    def _link(path="/members.json", *, fmt="json", json_path="data.members.active", **kwargs):
        return services.data_source_save(
            key_result=org.key_result,
            actor=org.lead,
            format=fmt,
            url=feed.url(path),
            path=json_path,
            **kwargs,
        )

    return _link
