"""OpenID Connect sign-in against a real provider: the certified Node.js ``oidc-provider`` package.

tests/oidc/provider.mjs runs it on a free loopback port with test accounts; Chromium goes through the whole
authorization code flow (PKCE required by the provider, state and nonce checked by us). Skipped, with the
reason, when node or the installed package is missing (`cd tests/oidc && npm ci`; .ci/run does it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from django.contrib.auth import get_user_model

from teams import oidc
from teams.models import Membership
from teams.people_services import InvitationRequest, invitation_create, invitation_token
from tests.factories import TeamFactory, UserFactory
from tests.servers import free_port

pytestmark = pytest.mark.e2e

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc"
NODE = shutil.which("node")
LABEL = "Testleverandør"
CLIENT_ID, CLIENT_SECRET = "okrhub", "okrhub-test-secret"

if NODE is None:
    pytest.skip("node is not installed (apt-get install nodejs npm)", allow_module_level=True)
if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
    pytest.skip("oidc-provider is not installed: cd tests/oidc && npm ci", allow_module_level=True)


@pytest.fixture(scope="module")
def provider(live_server, tmp_path_factory):
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": f"{live_server.url}/accounts/oidc/callback/",
        "POST_LOGOUT_REDIRECT_URI": f"{live_server.url}/accounts/login/",
    }
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [NODE, "provider.mjs"],
            cwd=PROVIDER_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield issuer
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def configured(provider, settings, transactional_db):
    settings.OIDC_ISSUER = provider
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_LOGIN_LABEL = LABEL
    settings.OIDC_ALLOWED_DOMAINS = ["example.org"]
    settings.OIDC_CREATE_USERS = False
    oidc.discovery_forget()
    yield settings
    oidc.discovery_forget()


def _sign_in_with_provider(page, live_server, login: str, *, language: str = "en") -> None:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role(
        "button", name=f"Log in with {LABEL}" if language == "en" else f"Logg inn med {LABEL}"
    ).click()
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any")
    page.click("button[type=submit]")
    # The provider asks for consent the first time an account meets the client.
    page.wait_for_url(lambda url: url.startswith(live_server.url) or "/interaction/" in url)
    if not page.url.startswith(live_server.url):
        page.click("button >> text=Continue")
    page.wait_for_url(lambda url: url.startswith(live_server.url))
    page.wait_for_load_state("networkidle")


def test_an_existing_account_in_an_allowed_domain_signs_in(
    configured, live_server, new_page, assert_accessible
):
    UserFactory(username="alice", email="Alice@Example.org")
    page = new_page()
    page.context.add_cookies([{"name": "django_language", "value": "nb", "url": live_server.url}])
    page.goto(f"{live_server.url}/accounts/login/")
    button = page.get_by_role("button", name=f"Logg inn med {LABEL}")
    # Above the password form.
    assert button.bounding_box()["y"] < page.locator("#id_username").bounding_box()["y"]
    assert_accessible(page)
    _sign_in_with_provider(page, live_server, "alice", language="nb")
    assert page.url == f"{live_server.url}/"
    assert page.get_by_role("button", name="Logg ut alice").is_visible()


def test_another_domain_is_refused_with_a_clear_page(configured, live_server, new_page, assert_accessible):
    UserFactory(username="olga", email="olga@other.test")  # an account does not make the domain acceptable
    page = new_page()
    _sign_in_with_provider(page, live_server, "olga")
    assert "/accounts/oidc/refused/" in page.url
    assert page.get_by_role("heading", name="Sign-in refused").is_visible()
    assert "not in a domain this OKR Hub accepts" in page.text_content("main")
    assert_accessible(page)
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url  # not signed in


def test_an_unverified_email_is_refused_even_when_an_account_has_it(configured, live_server, new_page):
    UserFactory(username="ulla", email="ulla@example.org")
    page = new_page()
    _sign_in_with_provider(page, live_server, "ulla")
    assert "/accounts/oidc/refused/" in page.url
    assert "did not confirm that your email address is verified" in page.text_content("main")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url


def test_without_an_account_or_invitation_and_jit_off_it_is_refused(configured, live_server, new_page):
    page = new_page()
    _sign_in_with_provider(page, live_server, "newbie")
    assert "/accounts/oidc/refused/" in page.url
    assert "no OKR Hub account for your email address, and no invitation" in page.text_content("main")
    assert not get_user_model().objects.filter(email="newbie@example.org").exists()


def test_an_invitation_is_accepted_by_signing_in_with_the_provider(configured, live_server, new_page):
    team = TeamFactory(name="Kurs", slug="kurs")
    inviter = UserFactory(username="lead", is_staff=True)
    invitation = invitation_create(
        request=InvitationRequest(email="newbie@example.org", team=team, name="Nina Ny"), inviter=inviter
    )
    page = new_page()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/invitations/{invitation_token(invitation)}/")
    page.get_by_role("button", name=f"Log in with {LABEL}").click()
    page.fill("input[name=login]", "newbie")
    page.fill("input[name=password]", "any")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.startswith(live_server.url) or "/interaction/" in url)
    if not page.url.startswith(live_server.url):
        page.click("button >> text=Continue")
    page.wait_for_url(lambda url: url.startswith(live_server.url))
    user = get_user_model().objects.get(email="newbie@example.org")
    assert (user.first_name, user.last_name) == ("Nina", "Ny")
    assert not user.has_usable_password()
    assert Membership.objects.filter(user=user, team=team).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == user


def test_just_in_time_accounts_for_allowed_domains(configured, live_server, new_page):
    configured.OIDC_CREATE_USERS = True
    page = new_page()
    _sign_in_with_provider(page, live_server, "newbie")
    assert page.url == f"{live_server.url}/"
    user = get_user_model().objects.get(email="newbie@example.org")
    assert user.username == "newbie" and not user.has_usable_password()


def test_signing_out_ends_the_session_here_and_at_the_provider(configured, live_server, new_page):
    UserFactory(username="alice", email="alice@example.org")
    page = new_page()
    _sign_in_with_provider(page, live_server, "alice")
    page.get_by_role("button", name="Log out alice").click()
    # The provider confirms ending its own session, then sends us back to our login page.
    page.click("button >> text=Yes, sign me out")
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    # Signing in again needs the provider's login form: its session is gone too.
    page.get_by_role("button", name=f"Log in with {LABEL}").click()
    page.wait_for_selector("input[name=login]")
