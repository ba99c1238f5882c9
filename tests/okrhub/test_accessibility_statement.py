"""The accessibility statement: public, in both languages, linked from every page, names the contact."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_is_public_and_linked_from_every_page(client, org):
    response = client.get("/accessibility/")
    assert response.status_code == 200
    assert "WCAG 2.1" in response.content.decode()
    # The footer links to it, signed in or not.
    assert 'href="/accessibility/"' in client.get(reverse("login")).content.decode()
    client.force_login(org.member)
    assert 'href="/accessibility/"' in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("language", "heading", "testing"),
    [("nb", "Tilgjengelighetserklæring", "axe-core"), ("en", "Accessibility statement", "axe-core")],
)
def test_it_speaks_the_readers_language(client, language, heading, testing):
    client.cookies["django_language"] = language
    html = client.get("/accessibility/").content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert testing in html


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        ("uu@example.org", '<a href="mailto:uu@example.org">uu@example.org</a>'),
        ("https://example.org/uu", '<a href="https://example.org/uu">https://example.org/uu</a>'),
        ("Ring 22 00 00 00", "Ring 22 00 00 00"),
    ],
)
def test_it_names_the_contact_from_the_setting(client, settings, contact, expected):
    settings.ACCESSIBILITY_CONTACT = contact
    client.cookies["django_language"] = "en"
    assert expected in client.get("/accessibility/").content.decode()


def test_without_a_contact_it_points_to_the_administrator(client, settings):
    settings.ACCESSIBILITY_CONTACT = ""
    client.cookies["django_language"] = "en"
    assert "Tell the administrator of this installation." in client.get("/accessibility/").content.decode()


def test_a_contact_is_escaped(client, settings):
    settings.ACCESSIBILITY_CONTACT = "<script>x</script>@example.org"
    html = client.get("/accessibility/").content.decode()
    assert "<script>x" not in html


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # the ICO signature
    assert '<link rel="icon"' in client.get(reverse("login")).content.decode()
