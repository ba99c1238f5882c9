"""Site-wide guarantees: every page needs a login, the admin renders, production settings pass --deploy."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests.factories import CheckInFactory, UserFactory

# Public on purpose, or not an HTML page of ours: login and password reset, the health check, the language
# switch (a POST from the login page), the admin (its own login), the API (DRF authenticates it) and the page
# an invitation email links to (the invited person has no account yet; the signed token is the credential),
# signing in with the OpenID Connect provider (start, callback, refusal), and the accessibility statement
# (public bodies must publish it publicly).
PUBLIC_NAMES = {
    "login",
    "logout",
    "healthz",
    "healthz_db",
    "readyz",
    "metrics",  # its own bearer token (METRICS_TOKEN)
    "set_language",
    "invitation_accept",
    "oidc_login",
    "oidc_callback",
    "oidc_refused",
    "accessibility",
}
PUBLIC_PREFIXES = ("password_reset",)
PUBLIC_NAMESPACES = {"admin"}
PUBLIC_PATHS = ("/api/", "/admin/", "/static/")


# A sample value for each path converter, to reach pages that take arguments (the objects need not exist:
# the login check comes before the view looks anything up).
SAMPLE_ARGUMENTS = {"int": 1, "slug": "kurs", "str": "kurs", "path": "kurs", "uuid": uuid.UUID(int=1)}


def _named_patterns(resolver: URLResolver, namespace: str = "") -> list[tuple[str, dict]]:
    """(full url name, {argument: converter name}) for every named pattern outside the public namespaces."""
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace in PUBLIC_NAMESPACES:
                continue
            names += _named_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            converters = getattr(pattern.pattern, "converters", {})
            kinds = {
                arg: type(conv).__name__.removesuffix("Converter").lower() for arg, conv in converters.items()
            }
            names.append((f"{namespace}{pattern.name}", kinds))
    return names


def _pages(*, with_arguments: bool) -> list[tuple[str, str]]:
    pages = {}
    for name, kinds in _named_patterns(get_resolver()):
        short = name.rsplit(":", 1)[-1]
        if short in PUBLIC_NAMES or short.startswith(PUBLIC_PREFIXES) or bool(kinds) != with_arguments:
            continue
        try:
            path = reverse(name, kwargs={arg: SAMPLE_ARGUMENTS.get(kind, "1") for arg, kind in kinds.items()})
        except NoReverseMatch:
            continue  # a regex pattern without named converters; it still sits behind the middleware
        if not path.startswith(PUBLIC_PATHS):
            pages[name] = path
    return sorted(pages.items())


def pages_without_arguments() -> list[tuple[str, str]]:
    """(url name, path) of every named page that takes no arguments and is not public on purpose."""
    return _pages(with_arguments=False)


def _open_pages(client, pages) -> list[tuple]:
    login_url = reverse("login")
    open_pages = []
    for name, path in pages:
        for method in (client.get, client.post):
            response = method(path)
            if response.status_code != 302 or not response["Location"].startswith(f"{login_url}?next="):
                open_pages.append((name, path, method.__name__, response.status_code))
    return open_pages


@pytest.mark.django_db
def test_every_page_needs_a_login(client):
    pages = pages_without_arguments()
    # The app's own pages are found (not an empty loop that passes by itself).
    assert {"teams:list"} <= {name for name, _ in pages}
    assert len(pages) >= 3
    assert _open_pages(client, pages) == []


@pytest.mark.django_db
def test_every_page_with_arguments_needs_a_login_too(client):
    pages = _pages(with_arguments=True)
    assert len(pages) >= 3
    assert _open_pages(client, pages) == []


@pytest.mark.django_db
def test_the_api_refuses_anonymous_requests(client):
    response = client.get("/api/v1/")
    assert response.status_code in (401, 403)


@pytest.mark.django_db
def test_a_signed_in_user_gets_the_pages(client):
    client.force_login(UserFactory())
    response = client.get(reverse("teams:list"))
    assert response.status_code == 200


def _admin_urls() -> list[tuple[str, str]]:
    urls = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls.append((model._meta.label, reverse("admin:{}_{}_changelist".format(*info))))
        urls.append((model._meta.label, reverse("admin:{}_{}_add".format(*info))))
    return urls


@pytest.mark.django_db
def test_every_admin_changelist_and_add_page_renders(client, org):
    CheckInFactory(key_result=org.key_result, author=org.member, note="Jevn fremdrift")
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    urls = _admin_urls()
    assert len(urls) >= 2 * 10
    failures = []
    for label, url in urls:
        for query in ("", "?q=kurs"):
            response = client.get(url + query)
            if response.status_code != 200:
                failures.append((label, url + query, response.status_code))
    assert failures == []


@pytest.mark.django_db
def test_every_admin_change_page_renders(client, org):
    CheckInFactory(key_result=org.key_result, author=org.member)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    failures = []
    for model in admin.site._registry:
        obj = model._default_manager.first()
        if obj is None:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
        response = client.get(url)
        if response.status_code != 200:
            failures.append((model._meta.label, url, response.status_code))
    assert failures == []


def test_check_deploy_passes_with_only_the_three_production_variables(tmp_path):
    # Only what a newcomer sets in production: no test-runner marker, no database URL, no other overrides.
    # Explicit variables win over the project's .env (read with overwrite=False).
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "okr.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "DEBUG": "false", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
