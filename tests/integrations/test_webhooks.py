"""Webhooks end to end against a real HTTP receiver on loopback: events from the services, signatures,
retries (5xx, timeouts) and none for 4xx, disabling after repeated failures, exactly one delivery each."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from checkins.services import checkin_submit, feedback_create
from integrations import delivery as deliveries
from integrations.events import event_record, send_test_event
from integrations.models import Attempt, Delivery, Endpoint, Event, EventType
from integrations.services import endpoint_create, endpoint_rotate_secret, endpoint_set_active
from integrations.tasks import deliver
from objectives.models import Objective
from objectives.services import cycle_close, objective_create, objective_update

from .receiver import Answer, receiver

# Real commits, so each write's on_commit hooks (the signals, the enqueueing) run as in production.
pytestmark = pytest.mark.django_db(transaction=True)

SCHEMA = json.loads((Path(__file__).parents[2] / "integrations/schemas/webhook_event.json").read_text())


@pytest.fixture
def hook(settings, celery_eager):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_TIMEOUT_SECONDS = 1.5
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    settings.WEBHOOK_DISABLE_AFTER = 3
    with receiver() as running:
        yield running


def make_endpoint(org, hook, *, team="team", events=None, owner=None) -> tuple[Endpoint, str]:
    events = events or [
        "checkin.created",
        "key_result.needs_attention",
        "objective.published",
        "cycle.closed",
        "feedback.created",
    ]
    return endpoint_create(
        kind=Endpoint.Kind.WEBHOOK,
        team=getattr(org, team) if team else None,
        name="Receiver",
        url=hook.url + "/hook?x=1",
        events=events,
        owner=owner or org.lead,
    )


def check_in(org, django_capture_on_commit_callbacks, *, value=20, confidence=7, key_result=None):
    with django_capture_on_commit_callbacks(execute=True):
        return checkin_submit(
            key_result=key_result or org.key_result,
            author=org.member,
            value=Decimal(value),
            confidence=confidence,
        )


def bodies(hook) -> list[dict]:
    return [json.loads(received.body) for received in hook.received]


def test_a_checkin_is_delivered_signed_with_id_and_occurred_at(org, hook, django_capture_on_commit_callbacks):
    endpoint, secret = make_endpoint(org, hook, events=["checkin.created"])
    checkin = check_in(org, django_capture_on_commit_callbacks)

    (received,) = hook.wait_for(1)
    assert received.method == "POST"
    assert received.path == "/hook?x=1"
    expected = "sha256=" + hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(received.headers["x-okrhub-signature"], expected)
    assert received.headers["x-okrhub-event"] == "checkin.created"
    assert received.headers["x-okrhub-timestamp"].isdigit()
    assert received.headers["content-type"] == "application/json"
    body = json.loads(received.body)
    jsonschema.validate(body, SCHEMA)
    event = Event.objects.get()
    assert body["id"] == str(event.uuid)
    assert body["occurred_at"] == checkin.created_at.isoformat()
    assert body["team"]["slug"] == "kurs"
    assert body["data"]["checkin"]["id"] == checkin.pk
    assert body["data"]["checkin"]["confidence"] == 7
    assert body["data"]["key_result"]["id"] == org.key_result.pk
    assert body["data"]["key_result"]["url"].startswith("http")

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SUCCEEDED, 1)
    (attempt,) = Attempt.objects.all()
    assert attempt.ok and attempt.status_code == 200 and attempt.response_ms > 0


def test_a_wrong_secret_does_not_verify(org, hook, django_capture_on_commit_callbacks):
    _endpoint, secret = make_endpoint(org, hook, events=["checkin.created"])
    check_in(org, django_capture_on_commit_callbacks)
    (received,) = hook.wait_for(1)
    wrong = "sha256=" + hmac.new(b"whsec_wrong", received.body, hashlib.sha256).hexdigest()
    assert received.headers["x-okrhub-signature"] != wrong


def test_a_rotated_secret_signs_from_then_on(org, hook):
    endpoint, old = make_endpoint(org, hook)
    new = endpoint_rotate_secret(endpoint=endpoint)
    assert new != old
    send_test_event(endpoint=endpoint, actor=org.lead)
    (received,) = hook.wait_for(1)
    assert received.headers["x-okrhub-signature"] == deliveries.sign(new, received.body)
    assert received.headers["x-okrhub-signature"] != deliveries.sign(old, received.body)


def test_a_500_is_retried_with_the_same_event(org, hook):
    answers = iter([Answer(status=500), Answer(status=200)])
    hook.script = lambda received: next(answers)
    endpoint, _secret = make_endpoint(org, hook)
    send_test_event(endpoint=endpoint, actor=org.lead)

    first, second = hook.wait_for(2)
    assert first.body == second.body  # the same event, the same id
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SUCCEEDED, 2)
    log = list(Attempt.objects.order_by("number").values_list("status_code", "ok", "will_retry"))
    assert log == [(500, False, True), (200, True, False)]


def test_a_timeout_is_retried(org, hook):
    answers = iter([Answer(delay=2.5), Answer()])
    hook.script = lambda received: next(answers)
    endpoint, _secret = make_endpoint(org, hook)
    send_test_event(endpoint=endpoint, actor=org.lead)
    hook.wait_for(2)
    assert Delivery.objects.get().status == Delivery.Status.SUCCEEDED
    timed_out = Attempt.objects.get(number=1)
    assert timed_out.status_code is None and timed_out.will_retry and timed_out.error


def test_a_400_is_not_retried(org, hook):
    hook.script = lambda received: Answer(status=400, body=b"bad")
    endpoint, _secret = make_endpoint(org, hook)
    send_test_event(endpoint=endpoint, actor=org.lead)
    hook.wait_for(1)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 1)
    assert len(hook.received) == 1
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1 and endpoint.is_active


def test_retries_stop_after_the_last_attempt(org, hook, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    hook.script = lambda received: Answer(status=503)
    endpoint, _secret = make_endpoint(org, hook)
    send_test_event(endpoint=endpoint, actor=org.lead)
    hook.wait_for(3)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 3)
    assert len(hook.received) == 3


def test_the_backoff_doubles(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    assert [deliveries.retry_delay(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert deliveries.retry_delay(30) == 6 * 3600


def test_repeated_failures_disable_the_endpoint_and_tell_the_owner(org, hook):
    hook.script = lambda received: Answer(status=410)
    endpoint, _secret = make_endpoint(org, hook)
    for _ in range(3):
        send_test_event(endpoint=endpoint, actor=org.lead)
    hook.wait_for(3)
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "3" in endpoint.disabled_reason
    (notice,) = mail.outbox
    assert notice.to == [org.lead.email]
    assert "Receiver" in notice.subject
    assert f"/integrations/{endpoint.pk}/" in notice.body

    # Disabled: nothing more is planned or sent.
    assert event_record(type="checkin.created", key="after", team=org.team, data={}) is None
    assert len(hook.received) == 3


def test_a_success_resets_the_failure_count(org, hook):
    answers = iter([Answer(status=404), Answer(status=404), Answer(status=200), Answer(status=404)])
    hook.script = lambda received: next(answers)
    endpoint, _secret = make_endpoint(org, hook)
    for _ in range(4):
        send_test_event(endpoint=endpoint, actor=org.lead)
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 1


def test_enabling_again_starts_afresh(org, hook):
    hook.script = lambda received: Answer(status=400)
    endpoint, _secret = make_endpoint(org, hook)
    for _ in range(3):
        send_test_event(endpoint=endpoint, actor=org.lead)
    endpoint.refresh_from_db()
    endpoint_set_active(endpoint=endpoint, active=True)
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 0


def test_each_event_is_delivered_once_per_endpoint(org, hook):
    endpoint, _secret = make_endpoint(org, hook)
    first = event_record(type="checkin.created", key="checkin:999", team=org.team, data={"x": 1})
    again = event_record(type="checkin.created", key="checkin:999", team=org.team, data={"x": 1})
    assert first == again
    (delivery,) = Delivery.objects.all()
    deliver.delay(delivery.pk)  # a duplicate message
    assert deliveries.delivery_send(delivery_id=delivery.pk)[0] == deliveries.NOT_CLAIMED
    assert len(hook.received) == 1


def test_a_held_delivery_is_not_sent_by_a_second_worker(org, hook):
    endpoint, _secret = make_endpoint(org, hook, events=["checkin.created"])
    event = Event.objects.create(type="checkin.created", key="k", team=org.team, data={})
    delivery = Delivery.objects.create(event=event, endpoint=endpoint)
    from django.utils import timezone

    assert deliveries._claim(delivery.pk, timezone.now())  # worker one holds it (and died, say)
    assert deliveries.delivery_send(delivery_id=delivery.pk)[0] == deliveries.NOT_CLAIMED
    assert hook.received == []


def test_team_endpoints_get_their_teams_and_the_teams_below(org, hook, django_capture_on_commit_callbacks):
    section, _ = make_endpoint(org, hook, team="section", events=["checkin.created"])
    sibling, _ = make_endpoint(org, hook, team="other_team", events=["checkin.created"])
    organisation, _ = make_endpoint(org, hook, team=None, events=["checkin.created"], owner=org.staff)
    not_subscribed, _ = make_endpoint(org, hook, team="team", events=["cycle.closed"])
    check_in(org, django_capture_on_commit_callbacks)
    assert set(Delivery.objects.values_list("endpoint_id", flat=True)) == {section.pk, organisation.pk}
    assert len(hook.wait_for(2)) == 2


def test_publishing_an_objective_is_announced_once(org, hook, django_capture_on_commit_callbacks):
    make_endpoint(org, hook, events=["objective.published"])
    with django_capture_on_commit_callbacks(execute=True):
        draft = objective_create(
            team=org.team, cycle=org.cycle, title="Utkast", status=Objective.Status.DRAFT
        )
    assert hook.received == []
    with django_capture_on_commit_callbacks(execute=True):
        objective_update(objective=draft, data={"status": Objective.Status.ACTIVE})
    with django_capture_on_commit_callbacks(execute=True):
        objective_update(objective=draft, data={"title": "Nytt navn"})
    (body,) = bodies(hook)
    jsonschema.validate(body, SCHEMA)
    assert body["type"] == "objective.published"
    assert body["data"]["objective"]["id"] == draft.pk


def test_closing_a_cycle_reaches_the_organisation(org, hook, django_capture_on_commit_callbacks):
    make_endpoint(org, hook, team=None, events=["cycle.closed"], owner=org.staff)
    with django_capture_on_commit_callbacks(execute=True):
        cycle_close(cycle=org.cycle, actor=org.staff)
    (body,) = bodies(hook)
    jsonschema.validate(body, SCHEMA)
    assert body["team"] is None
    assert body["data"]["cycle"]["name"] == "Q1 test"
    assert body["data"]["closed_by"]["id"] == org.staff.pk


def test_feedback_is_announced(org, hook, django_capture_on_commit_callbacks):
    make_endpoint(org, hook, events=["feedback.created"])
    with django_capture_on_commit_callbacks(execute=True):
        feedback = feedback_create(key_result=org.key_result, author=org.lead, body="Bra jobba <b>!</b>")
    (body,) = bodies(hook)
    jsonschema.validate(body, SCHEMA)
    assert body["data"]["feedback"] == {
        "id": feedback.pk,
        "body": "Bra jobba <b>!</b>",
        "author": {"id": org.lead.pk, "name": "Lise Leder"},
        "reply_to": None,
        "checkin": None,
        "created_at": feedback.created_at.isoformat(),
    }


def test_needs_attention_is_announced_once_when_it_starts(org, hook, django_capture_on_commit_callbacks):
    make_endpoint(org, hook, events=["key_result.needs_attention"])
    check_in(org, django_capture_on_commit_callbacks, value=40, confidence=9)  # done, confident: fine
    assert hook.received == []
    check_in(org, django_capture_on_commit_callbacks, value=40, confidence=2)  # low confidence: starts
    check_in(org, django_capture_on_commit_callbacks, value=40, confidence=1)  # still: no second
    (body,) = bodies(hook)
    jsonschema.validate(body, SCHEMA)
    assert body["type"] == "key_result.needs_attention"
    assert "low_confidence" in body["data"]["key_result"]["attention_reasons"]
    check_in(org, django_capture_on_commit_callbacks, value=40, confidence=9)  # over
    check_in(org, django_capture_on_commit_callbacks, value=40, confidence=2)  # a new episode
    assert len(hook.wait_for(2)) == 2


def test_the_hourly_sweep_finds_key_results_that_went_stale(org, hook):
    from integrations.announcements import attention_sweep

    make_endpoint(org, hook, events=["key_result.needs_attention"])
    # Never checked in, 45 days into the cycle: stale (and behind). Announced once however often it runs.
    assert attention_sweep() == 1
    assert attention_sweep() == 0
    assert len(hook.wait_for(1)) == 1


def test_a_url_refused_by_the_ssrf_rule_cannot_be_saved(org, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    for url in ("http://127.0.0.1:9/", "http://10.0.0.1/", "http://169.254.169.254/", "ftp://example.org/"):
        with pytest.raises(ValidationError) as caught:
            endpoint_create(
                kind="webhook", team=org.team, name="x", url=url, events=["checkin.created"], owner=org.lead
            )
        assert "url" in caught.value.message_dict
    assert not Endpoint.objects.exists()


def test_an_address_refused_at_send_time_fails_without_retry(org, hook, settings):
    endpoint, _secret = make_endpoint(org, hook)
    settings.WEBHOOK_ALLOWED_HOSTS = []  # the server's rule changed since it was saved
    send_test_event(endpoint=endpoint, actor=org.lead)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 1)
    assert hook.received == []
    assert "internal" in Attempt.objects.get().error or "intern" in Attempt.objects.get().error


@pytest.mark.parametrize("events", [["checkin.created", "bogus"], [], ["team.weekly_summary"], ["<b>"]])
def test_unknown_or_no_events_are_refused(org, hook, events):
    with pytest.raises(ValidationError) as caught:
        endpoint_create(kind="webhook", team=org.team, name="x", url=hook.url, events=events, owner=org.lead)
    assert "events" in caught.value.message_dict
    assert not Endpoint.objects.exists()


def test_secrets_and_urls_are_encrypted_at_rest_and_never_logged(
    org, hook, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    endpoint, secret = make_endpoint(org, hook)
    stored = Endpoint.objects.filter(pk=endpoint.pk).values().get()
    assert secret not in json.dumps(stored, default=str)
    assert "/hook?x=1" not in json.dumps(stored, default=str)
    assert stored["url_hint"] == f"http://127.0.0.1:{hook.port}/…"
    check_in(org, django_capture_on_commit_callbacks)
    send_test_event(endpoint=endpoint, actor=org.lead)
    hook.wait_for(2)
    assert secret not in caplog.text
    event_data = json.dumps(list(Event.objects.values_list("data", flat=True)))
    assert secret not in event_data


def test_channels_need_a_team(org, hook):
    with pytest.raises(ValidationError):
        endpoint_create(
            kind="slack", team=None, name="x", url=hook.url, events=["team.weekly_summary"], owner=org.staff
        )


def test_an_archived_team_gets_no_new_endpoint(org, hook):
    from django.utils import timezone

    org.team.archived_at = timezone.now()
    org.team.save()
    with pytest.raises(ValidationError):
        make_endpoint(org, hook)


def test_the_event_types_of_the_schema_match_the_code():
    assert set(SCHEMA["properties"]["type"]["enum"]) == {
        str(event) for event in EventType if event != EventType.WEEKLY_SUMMARY
    }


def test_the_sweep_resends_what_a_lost_message_left_behind(org, hook):
    import datetime as dt

    from django.utils import timezone

    from integrations.tasks import retry_due_deliveries

    endpoint, _secret = make_endpoint(org, hook)
    long_ago = timezone.now() - dt.timedelta(hours=1)
    due = Event.objects.create(type="test", key="due", team=org.team, data={})
    never_sent = Event.objects.create(type="test", key="never-sent", team=org.team, data={})
    held = Event.objects.create(type="test", key="held", team=org.team, data={})
    fresh = Event.objects.create(type="test", key="fresh", team=org.team, data={})
    Delivery.objects.create(event=due, endpoint=endpoint, next_attempt_at=long_ago, attempts=1)
    Delivery.objects.create(event=never_sent, endpoint=endpoint, created_at=long_ago)
    Delivery.objects.create(
        event=held,
        endpoint=endpoint,
        next_attempt_at=long_ago,
        claimed_until=timezone.now() + dt.timedelta(minutes=5),
    )
    Delivery.objects.create(event=fresh, endpoint=endpoint)  # its own message is still on its way
    assert retry_due_deliveries() == 2
    sent = {json.loads(received.body)["id"] for received in hook.wait_for(2)}
    assert sent == {str(due.uuid), str(never_sent.uuid)}


def test_ending_a_meeting_is_announced_once_with_its_decisions(org, hook, django_capture_on_commit_callbacks):
    from meetings.services import meeting_decision_add, meeting_end, meeting_start

    make_endpoint(org, hook, events=["meeting.ended"])
    with django_capture_on_commit_callbacks(execute=True):
        meeting = meeting_start(team=org.team, user=org.member)
        meeting_decision_add(meeting=meeting, author=org.member, body="Vi ringer alle nye medlemmer")
    assert hook.received == []  # starting and taking minutes announce nothing
    with django_capture_on_commit_callbacks(execute=True):
        meeting_end(meeting=meeting, user=org.member)
    (body,) = bodies(hook)
    jsonschema.validate(body, SCHEMA)
    assert body["type"] == "meeting.ended"
    assert body["team"]["id"] == org.team.pk
    data = body["data"]["meeting"]
    assert data["id"] == meeting.pk
    assert data["decisions"] == ["Vi ringer alle nye medlemmer"]
    assert data["url"].endswith(f"/teams/{org.team.slug}/meetings/{meeting.pk}/")
    assert "Vi ringer alle nye medlemmer" in data["minutes"]
    assert Event.objects.filter(type=EventType.MEETING_ENDED).count() == 1
