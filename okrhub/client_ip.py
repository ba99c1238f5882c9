"""The client's IP address, trusting a proxy's X-Forwarded-For only from the proxies we were told about.

``FORWARDED_ALLOW_IPS`` (addresses or networks, comma-separated; default 127.0.0.1) is the one list of
trusted proxies: gunicorn reads it to believe X-Forwarded-Proto (docker/gunicorn.conf.py), and this module
to believe X-Forwarded-For. Anyone else may send either header; it is ignored. Used for the sign-in
lockout (django-axes) and the token endpoint's throttle.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest


@lru_cache(maxsize=8)
def _networks(allowed: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] | None:
    if "*" in allowed:
        return None
    return tuple(ipaddress.ip_network(item, strict=False) for item in allowed if item)


def _is_trusted(address: str) -> bool:
    networks = _networks(tuple(settings.FORWARDED_ALLOW_IPS))
    if networks is None:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or, when that is a trusted proxy, the address the proxy saw (X-Forwarded-For).

    The proxy appends the address it received the request from, so the right-most entry that is not itself
    a trusted proxy is the client; entries further left were written by the client and prove nothing.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted(remote):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [part for part in forwarded if part]
    trust_all = _networks(tuple(settings.FORWARDED_ALLOW_IPS)) is None
    for address in reversed(hops):
        if trust_all or not _is_trusted(address):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return remote
    return remote
