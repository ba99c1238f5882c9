"""HTTP to URLs that people type in (webhooks, channel posts, data sources) without SSRF into our network.

The rule, in one place:

- only ``http`` and ``https``;
- the host is resolved once and every address it resolves to is checked: private, loopback, link-local,
  multicast, reserved, shared (CGNAT) and unspecified addresses, IPv4 and IPv6 (including IPv4-mapped IPv6),
  are refused unless the host name, the address, or a CIDR covering it is in ``allowed_hosts`` (the settings
  ``WEBHOOK_ALLOWED_HOSTS`` / ``DATA_SOURCE_ALLOWED_HOSTS``; empty means "any public host");
- the connection goes to the checked address, never to a second DNS answer (no DNS rebinding); HTTPS sends
  the original name as SNI and verifies the certificate against it;
- redirects are followed only up to ``max_redirects``, each hop checked again (headers the caller gave are
  not sent to another origin); with ``max_redirects=0`` a 3xx answer is returned as it is;
- one deadline for the whole exchange (``timeout``) and a body cut at ``max_bytes`` (``truncated``).

No proxy from the environment is used: the point is to know where we connect.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from django.utils.translation import gettext_lazy as _
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers that may follow a redirect to another origin; anything else the caller set (authentication,
# cookies, custom API keys) stays with the origin it was meant for.
CROSS_ORIGIN_SAFE_HEADERS = frozenset({"accept", "accept-language", "user-agent"})
CHUNK = 64 * 1024

# Reasons, translated when raised (str() of the exception); tests import them.
NOT_A_URL = _("This is not a valid URL.")
ONLY_HTTP = _("Only http and https addresses are allowed.")
NO_HOST = _("The address has no host name.")
NO_CREDENTIALS_IN_URL = _("Put credentials in a header, not in the address.")
HOST_NOT_FOUND = _("The host %(host)s could not be found.")
INTERNAL_ADDRESS = _("%(host)s is an internal address; only public hosts are allowed here.")
TIMED_OUT = _("The server did not answer in time.")
TLS_FAILED = _("The secure connection failed (certificate or TLS error).")
CONNECTION_FAILED = _("The connection failed.")
CONNECTION_BROKE = _("The connection broke while reading the answer.")
CONNECTION_REFUSED = _("The server refused the connection.")
TOO_MANY_REDIRECTS = _("Too many redirects.")
USER_AGENT = "OKRHub (+https://github.com/okrhub)"


class UnsafeDestination(Exception):
    """The URL's scheme or host is refused by the rule; ``str(exc)`` is a translated reason."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class FetchError(Exception):
    """Timeout, connection refused, too many redirects, bad TLS; ``str(exc)`` is a translated reason."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes  # at most max_bytes
    elapsed_ms: float
    truncated: bool  # True when the body was longer than max_bytes (then cut)


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # lower-cased name or address as written (without IPv6 brackets)
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[IPAddress, ...]


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global  # e.g. 100.64.0.0/10 (shared address space), 192.0.0.0/24
    )


def _parse_allowed(allowed_hosts: Sequence[str]) -> tuple[set[str], list[IPNetwork]]:
    names: set[str] = set()
    networks: list[IPNetwork] = []
    for raw in allowed_hosts:
        entry = raw.strip().lower().strip("[]")
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.rstrip("."))
    return names, networks


def _covered(address: IPAddress, networks: list[IPNetwork]) -> bool:
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        candidates.append(address.ipv4_mapped)
    return any(candidate in network for candidate in candidates for network in networks)


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination(NOT_A_URL) from exc
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise UnsafeDestination(ONLY_HTTP)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeDestination(NO_HOST)
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination(NO_CREDENTIALS_IN_URL)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, host, port or (443 if scheme == "https" else 80), path


def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    try:
        return (ipaddress.ip_address(host),)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(HOST_NOT_FOUND % {"host": host}) from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError(HOST_NOT_FOUND % {"host": host})
    return tuple(addresses)


def _check(host: str, addresses: Sequence[IPAddress], allowed_hosts: Sequence[str]) -> None:
    names, networks = _parse_allowed(allowed_hosts)
    if host in names:
        return
    for address in addresses:
        if not _is_public(address) and not _covered(address, networks):
            raise UnsafeDestination(INTERNAL_ADDRESS % {"host": host})


def _target(url: str, allowed_hosts: Sequence[str]) -> _Target:
    scheme, host, port, path = _split(url)
    addresses = _resolve(host, port)
    _check(host, addresses, allowed_hosts)
    return _Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)


def check_url(url: str, *, allowed_hosts: Sequence[str]) -> None:
    """Raise UnsafeDestination when ``request`` would refuse this URL (for form validation).

    A host that cannot be resolved now is not refused here (DNS may be down, or the name not yet live);
    ``request`` resolves and checks again every time, so nothing unchecked is ever contacted.
    """
    scheme, host, port, _path = _split(url)
    try:
        addresses = _resolve(host, port)
    except FetchError:
        return
    _check(host, addresses, allowed_hosts)


def _host_header(target: _Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _pool(target: _Target, address: IPAddress, timeout: urllib3.Timeout) -> urllib3.HTTPConnectionPool:
    if target.scheme == "https":
        is_name = target.host != str(address)
        return urllib3.HTTPSConnectionPool(
            host=str(address),
            port=target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host if is_name else None,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(
        host=str(address), port=target.port, timeout=timeout, retries=False, maxsize=1
    )


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError(TIMED_OUT)
    return left


def _exchange(
    method: str,
    target: _Target,
    *,
    headers: dict[str, str],
    body: bytes | None,
    deadline: float,
    max_bytes: int,
) -> tuple[int, dict[str, str], bytes, bool]:
    last_error: Exception | None = None
    for address in target.addresses:
        left = _remaining(deadline)
        pool = _pool(target, address, urllib3.Timeout(connect=left, read=left))
        try:
            response = pool.urlopen(
                method,
                target.path,
                body=body,
                headers={**headers, "Host": _host_header(target)},
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
        except NewConnectionError as exc:
            last_error = exc  # try the next checked address of the same host
            pool.close()
            continue
        except ConnectTimeoutError as exc:
            pool.close()
            raise FetchError(TIMED_OUT) from exc
        except ReadTimeoutError as exc:
            pool.close()
            raise FetchError(TIMED_OUT) from exc
        except SSLError as exc:
            pool.close()
            raise FetchError(TLS_FAILED) from exc
        except HTTPError as exc:
            pool.close()
            raise FetchError(CONNECTION_FAILED) from exc
        try:
            chunks: list[bytes] = []
            size = 0
            truncated = False
            while True:
                # Each read may wait only for what is left of the one deadline (a server dripping a byte
                # at a time must not stretch it), and read1 returns what has arrived instead of waiting
                # for a full chunk.
                left = _remaining(deadline)
                sock = getattr(response.connection, "sock", None)
                if sock is not None:
                    sock.settimeout(left)
                chunk = response.read1(CHUNK)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > max_bytes:
                    truncated = True
                    break
            data = b"".join(chunks)[:max_bytes]
            return (
                response.status,
                {name.lower(): value for name, value in response.headers.items()},
                data,
                truncated,
            )
        except ReadTimeoutError as exc:
            raise FetchError(TIMED_OUT) from exc
        except HTTPError as exc:
            raise FetchError(CONNECTION_BROKE) from exc
        finally:
            response.release_conn()
            pool.close()
    raise FetchError(CONNECTION_REFUSED) from last_error


def request(
    method: str,
    url: str,
    *,
    allowed_hosts: Sequence[str],
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 5.0,
    max_bytes: int = 1_000_000,
    max_redirects: int = 0,
) -> Response:
    """Send one request under the rule above; raises UnsafeDestination or FetchError."""
    started = time.monotonic()
    deadline = started + timeout
    method = method.upper()
    sent_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    target = _target(url, allowed_hosts)
    origin = (target.scheme, target.host, target.port)
    hops = 0
    while True:
        status, response_headers, data, truncated = _exchange(
            method, target, headers=sent_headers, body=body, deadline=deadline, max_bytes=max_bytes
        )
        location = response_headers.get("location")
        if status not in REDIRECT_STATUSES or not location or max_redirects <= 0:
            break
        if hops >= max_redirects:
            raise FetchError(TOO_MANY_REDIRECTS)
        hops += 1
        current = f"{target.scheme}://{_host_header(target)}{target.path}"
        target = _target(urljoin(current, location), allowed_hosts)
        if (target.scheme, target.host, target.port) != origin:
            sent_headers = {
                name: value
                for name, value in sent_headers.items()
                if name.lower() in CROSS_ORIGIN_SAFE_HEADERS
            }
        if status == 303 or (status in {301, 302} and method == "POST"):
            method, body = "GET", None
            sent_headers = {
                name: value for name, value in sent_headers.items() if name.lower() != "content-type"
            }
    return Response(
        status=status,
        headers=response_headers,
        body=data,
        elapsed_ms=(time.monotonic() - started) * 1000,
        truncated=truncated,
    )
