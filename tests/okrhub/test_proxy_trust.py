"""Forwarded headers count only from the trusted proxy (FORWARDED_ALLOW_IPS); only the proxy is public."""

from __future__ import annotations

import re
import shutil
import subprocess

import httpx
import pytest
import yaml
from django.conf import settings

from okrhub.client_ip import client_ip
from tests.servers import ROOT, free_port, gunicorn


def _serve(tmp_path, **env):
    env = {
        "DATABASE_URL": f"postgres://okrhub:x@127.0.0.1:{free_port()}/okrhub",
        "SECURE_SSL_REDIRECT": "true",
        **env,
    }
    return gunicorn(env, log_dir=tmp_path, ready=lambda response: True)


def test_gunicorn_believes_x_forwarded_proto_from_the_trusted_proxy(tmp_path):
    with _serve(tmp_path) as base:  # default FORWARDED_ALLOW_IPS=127.0.0.1: we are the proxy
        response = httpx.get(f"{base}/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200


def test_gunicorn_ignores_x_forwarded_proto_from_anyone_else(tmp_path):
    with _serve(tmp_path, FORWARDED_ALLOW_IPS="10.9.8.7") as base:
        response = httpx.get(f"{base}/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    # Plain HTTP as far as the app can tell, so it redirects to HTTPS rather than serving the page.
    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://")


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        (["127.0.0.1"], "127.0.0.1", "203.0.113.9", "203.0.113.9"),
        # Entries left of the proxy's own were written by the client: never believed.
        (["127.0.0.1"], "127.0.0.1", "198.51.100.1, 203.0.113.9", "203.0.113.9"),
        (["10.0.0.0/8"], "10.1.2.3", "203.0.113.9, 10.4.5.6", "203.0.113.9"),
        # Not from a trusted proxy: the header is anyone's to forge.
        (["127.0.0.1"], "192.0.2.7", "203.0.113.9", "192.0.2.7"),
        (["127.0.0.1"], "127.0.0.1", "", "127.0.0.1"),
        (["127.0.0.1"], "127.0.0.1", "not-an-address", "127.0.0.1"),
        (["*"], "192.0.2.7", "203.0.113.9", "203.0.113.9"),
    ],
)
def test_client_ip(rf, settings, trusted, remote, forwarded, expected):
    settings.FORWARDED_ALLOW_IPS = trusted
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_compose_publishes_only_the_proxy_and_web_trusts_its_address():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    proxy_ip = services["proxy"]["networks"]["default"]["ipv4_address"]
    assert services["web"]["environment"]["FORWARDED_ALLOW_IPS"] == proxy_ip
    assert "docker/Caddyfile" in " ".join(services["proxy"]["volumes"])
    gunicorn_conf = (ROOT / "docker" / "gunicorn.conf.py").read_text()
    assert re.search(r'"FORWARDED_ALLOW_IPS", "127\.0\.0\.1"', gunicorn_conf)
    assert settings.FORWARDED_ALLOW_IPS == ["127.0.0.1"]


@pytest.mark.skipif(not shutil.which("caddy"), reason="caddy not installed (apt-get install caddy)")
def test_the_caddyfile_is_valid():
    result = subprocess.run(
        ["caddy", "validate", "--adapter", "caddyfile", "--config", str(ROOT / "docker" / "Caddyfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
