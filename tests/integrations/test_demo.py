"""The demo organisation has integrations to look at: disabled (no receiver), with a short delivery log."""

from __future__ import annotations

from django.core.management import call_command

from integrations import crypto
from integrations.models import Attempt, Delivery, Endpoint


def test_seed_demo_makes_two_disabled_endpoints_with_a_log_once(db):
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    endpoints = list(Endpoint.objects.order_by("kind"))
    assert [(e.kind, e.is_active) for e in endpoints] == [("slack", False), ("webhook", False)]
    slack, webhook = endpoints
    assert slack.team.slug == "kurs-og-arrangementer" and webhook.team is None
    assert crypto.decrypt(webhook.url_encrypted) == "https://example.org/okrhub/webhook"
    assert "demo-not-a-real-token" not in slack.url_hint
    assert Delivery.objects.count() == 4
    assert Attempt.objects.filter(will_retry=True).count() == 2
