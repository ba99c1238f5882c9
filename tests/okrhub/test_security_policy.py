"""Content-Security-Policy: the header on every response, and nothing in our markup that it would block."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.conf import settings

from dashboards.charts import rate_bars
from objectives.charts import BurnupLabels, burnup_chart, sparkline

TEMPLATES = settings.BASE_DIR / "templates"
# Emails are not web pages: mail clients need inline styles, and no CSP applies to them.
EMAIL_TEMPLATES = "email"


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_every_page_sends_a_policy_without_inline_code_or_eval(client, org):
    client.force_login(org.member)
    for path in ("/", "/accounts/login/", "/accessibility/", f"/key-results/{org.key_result.pk}/"):
        policy = _policy(client.get(path))
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]
        header = " ".join(" ".join(values) for values in policy.values())
        assert "unsafe-inline" not in header and "unsafe-eval" not in header


@pytest.mark.django_db
def test_htmx_is_told_not_to_evaluate_code(client):
    html = client.get("/accounts/login/").content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)
    assert config, "base.html configures htmx"
    assert json.loads(config.group(1))["allowEval"] is False


def _page_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        if EMAIL_TEMPLATES not in path.relative_to(TEMPLATES).parts:
            yield path


def test_no_template_has_inline_styles_scripts_or_handlers():
    offending = []
    patterns = {
        "style attribute": re.compile(r"\sstyle\s*="),
        "<style> element": re.compile(r"<style[\s>]"),
        "inline script": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>"),
        "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
        "hx-on attribute": re.compile(r"\shx-on[:-]"),
        "js: or javascript: value": re.compile(r"=\s*[\"'](?:js|javascript):"),
    }
    templates = list(_page_templates())
    assert len(templates) > 20, "the templates folder moved?"
    for path in templates:
        text = path.read_text()
        name = path.relative_to(TEMPLATES)
        offending += [f"{name}: {what}" for what, rx in patterns.items() if rx.search(text)]
    assert offending == []


def test_charts_use_presentation_attributes_not_style():
    start = date(2026, 1, 5)
    labels = BurnupLabels(
        actual="Verdi",
        target="Mål",
        threshold="Grense",
        pace="Tempo",
        plan="Plan",
        today="I dag",
        week="U%(week)d",
    )
    svgs = [
        burnup_chart(
            chart_id="c",
            kind="increase_to",
            start=start,
            end=start + timedelta(days=70),
            start_value=0,
            target_value=10,
            points=[(start + timedelta(days=7), 3)],
            labels=labels,
            title="t",
            description="d",
            today=start + timedelta(days=10),
            milestones=[(start + timedelta(days=35), 6)],
        ),
        sparkline([1, 2, 3], label="x"),
        rate_bars([10, None, 90], label="x"),
    ]
    for svg in svgs:
        assert "style=" not in svg
        assert "<style" not in svg


@pytest.mark.django_db
def test_forms_may_post_to_the_sign_in_provider_when_one_is_configured(client, settings):
    settings.OIDC_ISSUER = ""
    settings.FORM_ACTION_ORIGINS = []
    assert _policy(client.get("/accounts/login/"))["form-action"] == ["'self'"]
    settings.OIDC_ISSUER = "https://login.example.org/tenant/v2.0"
    settings.FORM_ACTION_ORIGINS = ["https://sso.example.org"]
    assert _policy(client.get("/accounts/login/"))["form-action"] == [
        "'self'",
        "https://sso.example.org",
        "https://login.example.org",
    ]
