"""integrations/safe_http.py against real servers on loopback: the SSRF rule, redirects, limits, TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from integrations import safe_http
from integrations.safe_http import FetchError, UnsafeDestination, check_url, request

from .receiver import Answer, receiver

LOOPBACK = ["127.0.0.1"]


@pytest.fixture
def server():
    with receiver() as running:
        yield running


def fake_dns(monkeypatch, table: dict[str, list[str]]) -> list[str]:
    """Answer getaddrinfo from ``table``; returns the list of names looked up (to count resolutions)."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        try:
            ipaddress.ip_address(host)
            return real(host, port, *args, **kwargs)  # urllib3 connecting to the checked address
        except ValueError:
            pass
        asked.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "not found")
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (address, port),
            )
            for address in table[host]
        ]

    monkeypatch.setattr(safe_http.socket, "getaddrinfo", getaddrinfo)
    return asked


# --- the rule --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.1.2.3:8080/x",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
        "http://[::ffff:10.0.0.1]/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://[fe80::1]/",
        "http://[fc00::1]/",  # unique local
        "http://0.0.0.0/",
        "http://[::]/",
        "http://224.0.0.1/",  # multicast
        "http://[ff02::1]/",
        "http://240.0.0.1/",  # reserved
        "http://100.64.0.1/",  # shared address space (CGNAT)
        "http://2130706433/",  # 127.0.0.1 as one number, resolved by the system
    ],
)
def test_internal_addresses_are_refused(url):
    with pytest.raises(UnsafeDestination):
        check_url(url, allowed_hosts=[])
    with pytest.raises(UnsafeDestination):
        request("GET", url, allowed_hosts=[])


@pytest.mark.parametrize(
    "url", ["ftp://example.org/", "file:///etc/passwd", "gopher://x/", "javascript:alert(1)", "//x/"]
)
def test_only_http_and_https(url):
    with pytest.raises(UnsafeDestination) as caught:
        check_url(url, allowed_hosts=[])
    assert str(caught.value) == str(safe_http.ONLY_HTTP)


@pytest.mark.parametrize(
    "url", ["http://", "http://:80/", "http://example.org:99999/", "http://user:pw@example.org/"]
)
def test_malformed_or_credentialled_urls_are_refused(url):
    with pytest.raises(UnsafeDestination):
        check_url(url, allowed_hosts=[])


def test_public_addresses_pass_the_check(monkeypatch):
    fake_dns(monkeypatch, {"hooks.example.org": ["93.184.216.34", "2606:2800:220:1::1"]})
    check_url("https://hooks.example.org/in", allowed_hosts=[])
    check_url("https://8.8.8.8/", allowed_hosts=[])


def test_every_resolved_address_is_checked(monkeypatch):
    fake_dns(monkeypatch, {"mixed.example.org": ["93.184.216.34", "10.0.0.5"]})
    with pytest.raises(UnsafeDestination):
        check_url("https://mixed.example.org/", allowed_hosts=[])


def test_a_name_resolving_to_loopback_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"evil.example.org": ["127.0.0.1"]})
    with pytest.raises(UnsafeDestination):
        request("GET", "http://evil.example.org/", allowed_hosts=[])


def test_an_unresolvable_host_passes_the_form_check_but_fails_the_request(monkeypatch):
    fake_dns(monkeypatch, {})
    check_url("https://not-yet-live.example.org/", allowed_hosts=[])
    with pytest.raises(FetchError):
        request("GET", "https://not-yet-live.example.org/", allowed_hosts=[])


@pytest.mark.parametrize("allowed", [["127.0.0.1"], ["127.0.0.0/8"], [" 127.0.0.0/24 ", ""]])
def test_listed_addresses_and_cidrs_are_allowed(server, allowed):
    response = request("GET", server.url + "/ping", allowed_hosts=allowed)
    assert response.status == 200
    assert response.body == b"ok"


def test_a_listed_host_name_allows_its_addresses_and_is_sent_as_host(server, monkeypatch):
    asked = fake_dns(monkeypatch, {"receiver.internal": ["127.0.0.1"]})
    response = request(
        "GET", f"http://receiver.internal:{server.port}/a?b=1", allowed_hosts=["Receiver.Internal"]
    )
    assert response.status == 200
    (received,) = server.received
    assert received.headers["host"] == f"receiver.internal:{server.port}"
    assert received.path == "/a?b=1"
    assert asked == ["receiver.internal"]  # resolved once; the connection went to the checked address


def test_an_unlisted_cidr_does_not_allow(server):
    with pytest.raises(UnsafeDestination):
        request("GET", server.url, allowed_hosts=["10.0.0.0/8", "other.internal"])
    assert server.received == []


def test_a_v4_mapped_address_is_covered_by_its_v4_cidr():
    assert safe_http._covered(ipaddress.ip_address("::ffff:127.0.0.1"), [ipaddress.ip_network("127.0.0.0/8")])


# --- requests --------------------------------------------------------------------------------------------


def test_it_posts_the_body_and_headers_and_reports_the_answer(server):
    server.script = lambda received: Answer(status=201, body=b'{"x":1}', headers={"X-Reply": "yes"})
    response = request(
        "POST",
        server.url + "/hook",
        allowed_hosts=LOOPBACK,
        headers={"Content-Type": "application/json", "X-OKRHub-Signature": "sha256=abc"},
        body=b'{"id": 1}',
    )
    assert response.status == 201
    assert response.headers["x-reply"] == "yes"
    assert response.body == b'{"x":1}'
    assert response.truncated is False
    assert response.elapsed_ms > 0
    (received,) = server.received
    assert received.method == "POST"
    assert received.body == b'{"id": 1}'
    assert received.headers["x-okrhub-signature"] == "sha256=abc"
    assert received.headers["user-agent"].startswith("OKRHub")


def test_error_statuses_are_answers_not_exceptions(server):
    server.script = lambda received: Answer(status=503, body=b"down")
    assert request("GET", server.url, allowed_hosts=LOOPBACK).status == 503


def test_a_huge_body_is_cut(server):
    server.script = lambda received: Answer(body=b"x" * 300_000)
    response = request("GET", server.url, allowed_hosts=LOOPBACK, max_bytes=1000)
    assert response.truncated is True
    assert response.body == b"x" * 1000


def test_a_body_of_exactly_max_bytes_is_not_truncated(server):
    server.script = lambda received: Answer(body=b"y" * 1000)
    response = request("GET", server.url, allowed_hosts=LOOPBACK, max_bytes=1000)
    assert (len(response.body), response.truncated) == (1000, False)


def test_a_slow_server_times_out(server):
    server.script = lambda received: Answer(delay=2.0)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        request("GET", server.url, allowed_hosts=LOOPBACK, timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert str(caught.value) == str(safe_http.TIMED_OUT)


def test_the_timeout_covers_the_whole_exchange_not_each_read(server):
    # 40 bytes, one every 0.05 s: each read is quick, the whole answer takes 2 s.
    server.script = lambda received: Answer(body=b"z" * 40, drip=0.05)
    started = time.monotonic()
    with pytest.raises(FetchError):
        request("GET", server.url, allowed_hosts=LOOPBACK, timeout=0.6)
    assert time.monotonic() - started < 1.5


def test_a_refused_connection_is_a_fetch_error():
    from tests.servers import free_port

    with pytest.raises(FetchError) as caught:
        request("GET", f"http://127.0.0.1:{free_port()}/", allowed_hosts=LOOPBACK, timeout=2)
    assert str(caught.value) == str(safe_http.CONNECTION_REFUSED)


# --- redirects -------------------------------------------------------------------------------------------


def redirect_to(location: str, status: int = 302):
    def script(received):
        if received.path == "/start":
            return Answer(status=status, headers={"Location": location}, body=b"")
        return Answer(body=b"arrived")

    return script


def test_redirects_are_not_followed_by_default(server):
    server.script = redirect_to("/end")
    response = request("GET", server.url + "/start", allowed_hosts=LOOPBACK)
    assert response.status == 302
    assert response.headers["location"] == "/end"
    assert len(server.received) == 1


def test_redirects_are_followed_up_to_the_limit(server):
    server.script = redirect_to("/end")
    response = request("GET", server.url + "/start", allowed_hosts=LOOPBACK, max_redirects=2)
    assert (response.status, response.body) == (200, b"arrived")
    assert [received.path for received in server.received] == ["/start", "/end"]


def test_too_many_redirects(server):
    server.script = lambda received: Answer(status=302, headers={"Location": "/again"}, body=b"")
    with pytest.raises(FetchError) as caught:
        request("GET", server.url + "/start", allowed_hosts=LOOPBACK, max_redirects=3)
    assert len(server.received) == 4
    assert str(caught.value) == str(safe_http.TOO_MANY_REDIRECTS)


def test_a_redirect_to_a_private_address_is_refused(server, monkeypatch):
    fake_dns(monkeypatch, {"public.example.org": ["127.0.0.1"]})
    # The first host is allowed by name; the hop goes to an address nobody allowed.
    server.script = redirect_to("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(UnsafeDestination):
        request(
            "GET",
            f"http://public.example.org:{server.port}/start",
            allowed_hosts=["public.example.org"],
            max_redirects=3,
        )
    assert len(server.received) == 1


def test_a_redirect_to_loopback_by_name_is_refused(server, monkeypatch):
    fake_dns(monkeypatch, {"public.example.org": ["127.0.0.1"], "sneaky.example.org": ["127.0.0.1"]})
    server.script = redirect_to(f"http://sneaky.example.org:{server.port}/end")
    with pytest.raises(UnsafeDestination):
        request(
            "GET",
            f"http://public.example.org:{server.port}/start",
            allowed_hosts=["public.example.org"],
            max_redirects=3,
        )
    assert len(server.received) == 1


def test_a_redirect_to_another_scheme_is_refused(server):
    server.script = redirect_to("file:///etc/passwd")
    with pytest.raises(UnsafeDestination):
        request("GET", server.url + "/start", allowed_hosts=LOOPBACK, max_redirects=1)


def test_credentials_do_not_follow_a_redirect_to_another_origin(monkeypatch):
    with receiver() as first, receiver() as second:
        first.script = redirect_to(f"{second.url}/end")
        second.script = redirect_to("unused")
        response = request(
            "GET",
            first.url + "/start",
            allowed_hosts=LOOPBACK,
            headers={"Authorization": "Bearer secret", "X-Api-Key": "k", "Accept": "application/json"},
            max_redirects=1,
        )
        assert response.body == b"arrived"
        assert first.received[0].headers["authorization"] == "Bearer secret"
        (hop,) = second.received
        assert "authorization" not in hop.headers
        assert "x-api-key" not in hop.headers
        assert hop.headers["accept"] == "application/json"


def test_a_303_after_post_becomes_a_get_without_body(server):
    server.script = redirect_to("/end", status=303)
    request("POST", server.url + "/start", allowed_hosts=LOOPBACK, body=b"data", max_redirects=1)
    assert [(received.method, received.body) for received in server.received] == [
        ("POST", b"data"),
        ("GET", b""),
    ]


def test_a_307_keeps_method_and_body(server):
    server.script = redirect_to("/end", status=307)
    request("POST", server.url + "/start", allowed_hosts=LOOPBACK, body=b"data", max_redirects=1)
    assert [(received.method, received.body) for received in server.received] == [
        ("POST", b"data"),
        ("POST", b"data"),
    ]


# --- TLS -------------------------------------------------------------------------------------------------


def _certificate(tmp_path, name: str):
    """A self-signed CA-less certificate for ``name``; returns (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def _tls_wrapper(cert_file, key_file, seen_sni: list):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda sock, name, ctx: seen_sni.append(name)
    return lambda sock: context.wrap_socket(sock, server_side=True)


def test_https_connects_to_the_checked_address_with_sni_and_verifies_the_name(tmp_path, monkeypatch):
    cert_file, key_file = _certificate(tmp_path, "hooks.example.org")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # trust our self-signed certificate
    fake_dns(monkeypatch, {"hooks.example.org": ["127.0.0.1"]})
    sni: list = []
    with receiver(wrap=_tls_wrapper(cert_file, key_file, sni)) as tls:
        response = request(
            "GET", f"https://hooks.example.org:{tls.port}/x", allowed_hosts=["hooks.example.org"], timeout=5
        )
        assert response.status == 200
        assert sni == ["hooks.example.org"]
        assert tls.received[0].headers["host"] == f"hooks.example.org:{tls.port}"


def test_https_refuses_a_certificate_for_another_name(tmp_path, monkeypatch):
    cert_file, key_file = _certificate(tmp_path, "other.example.org")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    fake_dns(monkeypatch, {"hooks.example.org": ["127.0.0.1"]})
    with receiver(wrap=_tls_wrapper(cert_file, key_file, [])) as tls:
        with pytest.raises(FetchError) as caught:
            request(
                "GET",
                f"https://hooks.example.org:{tls.port}/",
                allowed_hosts=["hooks.example.org"],
                timeout=5,
            )
        assert str(caught.value) == str(safe_http.TLS_FAILED)
        assert tls.received == []


def test_https_refuses_an_untrusted_certificate(tmp_path, monkeypatch):
    cert_file, key_file = _certificate(tmp_path, "hooks.example.org")
    fake_dns(monkeypatch, {"hooks.example.org": ["127.0.0.1"]})
    with receiver(wrap=_tls_wrapper(cert_file, key_file, [])) as tls:
        with pytest.raises(FetchError):
            request(
                "GET",
                f"https://hooks.example.org:{tls.port}/",
                allowed_hosts=["hooks.example.org"],
                timeout=5,
            )
        assert tls.received == []


def test_messages_are_translated():
    from django.utils import translation

    with translation.override("nb"), pytest.raises(UnsafeDestination) as caught:
        check_url("ftp://example.org/", allowed_hosts=[])
    assert "Bare" in str(caught.value)
