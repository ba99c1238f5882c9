"""Teams and Slack channel posts: the weekly summary and needs-attention alerts, as an Adaptive Card and as
Block Kit (validated against the hand-checked schemas in tests/integrations/schemas/), in the channel's
language, with links back, through the same delivery machinery as webhooks (a real receiver on loopback)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings as django_settings

from checkins.services import checkin_submit
from integrations.announcements import weekly_summaries_send
from integrations.channels import channel_message
from integrations.models import Delivery, Endpoint, Event, EventType
from integrations.services import endpoint_create
from tests.factories import KeyResultFactory

from .receiver import receiver

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMAS = Path(__file__).parent / "schemas"
TEAMS_SCHEMA = json.loads((SCHEMAS / "teams_adaptive_card.json").read_text())
SLACK_SCHEMA = json.loads((SCHEMAS / "slack_block_kit.json").read_text())


@pytest.fixture
def channel(settings, celery_eager):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    with receiver() as running:
        yield running


def make_channel(org, channel, kind: str, *, language: str = "nb", events=None) -> Endpoint:
    endpoint, secret = endpoint_create(
        kind=kind,
        team=org.team,
        name=f"{kind} channel",
        url=channel.url + "/services/T000/B000/XXXX",
        events=events or ["team.weekly_summary", "key_result.needs_attention"],
        language=language,
        owner=org.lead,
    )
    assert secret == ""  # channels are not signed: Slack and Teams do not check
    return endpoint


def test_the_weekly_summary_in_slack(org, channel, django_capture_on_commit_callbacks):
    make_channel(org, channel, "slack")
    assert weekly_summaries_send(ignore_slot=True) == 1
    (received,) = channel.wait_for(1)
    body = json.loads(received.body)
    jsonschema.validate(body, SLACK_SCHEMA)
    text = json.dumps(body, ensure_ascii=False)
    assert "Ukesoppsummering for Kurs" in text
    assert "Maja Medlem" in text  # owns a key result and did not check in last week
    assert "Øke antall kurs fra 10 til 40" in text  # needs attention (never checked in, behind)
    assert django_settings.SITE_URL + "/dashboards/" in text
    assert "x-okrhub-signature" not in received.headers


def test_the_weekly_summary_in_teams_in_english(org, channel):
    make_channel(org, channel, "teams", language="en")
    weekly_summaries_send(ignore_slot=True)
    body = json.loads(channel.wait_for(1)[0].body)
    jsonschema.validate(body, TEAMS_SCHEMA)
    card = body["attachments"][0]["content"]
    assert card["body"][0]["text"] == "Weekly summary for Kurs"
    assert card["actions"][0]["url"].startswith(django_settings.SITE_URL)
    facts = {
        fact["title"]: fact["value"]
        for block in card["body"]
        if block["type"] == "FactSet"
        for fact in block["facts"]
    }
    assert facts["Cycle"] == "Q1 test"
    assert "0 of 1 key results checked in last week" in facts["Kurs"]


def test_the_weekly_summary_is_sent_once_a_week(org, channel):
    make_channel(org, channel, "slack")
    weekly_summaries_send(ignore_slot=True)
    weekly_summaries_send(ignore_slot=True)
    assert Event.objects.filter(type=EventType.WEEKLY_SUMMARY).count() == 1
    assert len(channel.wait_for(1)) == 1


def test_the_weekly_summary_waits_for_monday_morning(org, channel, time_machine):
    make_channel(org, channel, "slack")
    time_machine.move_to("2026-11-30 06:30:00+01:00")  # Monday, before 08:00 Oslo time
    assert weekly_summaries_send() == 0
    time_machine.move_to("2026-11-30 08:05:00+01:00")
    assert weekly_summaries_send() == 1


def test_the_summary_reuses_the_digest_read_model(org, channel):
    """The numbers are the leaders' digest's (notifications/digest.py), not a second computation."""
    from integrations.announcements import weekly_summary_data
    from notifications.digest import team_digest_build

    digest = team_digest_build(roots={org.team.pk})
    data = weekly_summary_data(team=org.team)
    assert data["attention_total"] == digest.attention_total
    assert [row["progress"] for row in data["teams"]] == [round(row.progress, 4) for row in digest.teams]
    assert data["expected_progress"] == round(digest.expected, 4)


def test_a_needs_attention_alert_in_both(org, channel, django_capture_on_commit_callbacks):
    make_channel(org, channel, "slack")
    make_channel(org, channel, "teams")
    with django_capture_on_commit_callbacks(execute=True):
        checkin_submit(key_result=org.key_result, author=org.member, value=Decimal(12), confidence=2)
    received = channel.wait_for(2)
    kinds = set()
    for request in received:
        body = json.loads(request.body)
        if "attachments" in body:
            jsonschema.validate(body, TEAMS_SCHEMA)
            kinds.add("teams")
            assert body["attachments"][0]["content"]["body"][0]["text"].startswith("Trenger oppfølging")
        else:
            jsonschema.validate(body, SLACK_SCHEMA)
            kinds.add("slack")
    assert kinds == {"teams", "slack"}
    assert Delivery.objects.filter(status=Delivery.Status.SUCCEEDED).count() == 2


def test_channels_of_other_teams_hear_nothing(org, channel, django_capture_on_commit_callbacks):
    make_channel(org, channel, "slack")
    with django_capture_on_commit_callbacks(execute=True):
        checkin_submit(key_result=org.other_key_result, author=org.outsider, value=Decimal(12), confidence=1)
    assert channel.received == []


def test_a_test_message(org, channel):
    from integrations.events import send_test_event

    endpoint = make_channel(org, channel, "teams")
    send_test_event(endpoint=endpoint, actor=org.lead)
    body = json.loads(channel.wait_for(1)[0].body)
    jsonschema.validate(body, TEAMS_SCHEMA)


def test_long_and_hostile_text_stays_within_the_limits(org, channel):
    """Titles at the length limits, Slack's control characters and many key results still validate."""
    for n in range(30):
        KeyResultFactory(
            objective=org.objective, owner=org.teammate, title=f"<!channel> & <@U1> {n} " + "x" * 170
        )
    endpoint = make_channel(org, channel, "slack")
    weekly_summaries_send(ignore_slot=True)
    event = Event.objects.get(type=EventType.WEEKLY_SUMMARY)
    body = channel_message(endpoint=endpoint, event=event)
    jsonschema.validate(body, SLACK_SCHEMA)
    assert "<!channel>" not in json.dumps(body)
    endpoint.kind = Endpoint.Kind.TEAMS
    jsonschema.validate(channel_message(endpoint=endpoint, event=event), TEAMS_SCHEMA)


def test_the_fixtures_refuse_a_malformed_card():
    """The hand-made schemas do catch mistakes (so a passing validation means something)."""
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"text": "x", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]},
            SLACK_SCHEMA,
        )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"text": "x", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]},
            SLACK_SCHEMA,
        )
    card = {"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "txt": "typo"}]}
    message = {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(message, TEAMS_SCHEMA)
