"""/metrics (okrhub/metrics.py): only with METRICS_TOKEN, django-prometheus' figures plus the product's own,
computed from the database and the broker at scrape time."""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from notifications.models import EmailDelivery
from okrhub import metrics as metrics_module
from tests.factories import CheckInFactory, UserFactory
from tests.servers import free_port

TOKEN = "s3cret-metrics-token-for-tests"
REDIS_URL = os.environ.get("OPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/8")  # our own db (scale-out: 15)


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker unless a test asks for one
    return TOKEN


def scrape(client, token=TOKEN) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


@pytest.mark.django_db
def test_without_a_configured_token_there_are_no_metrics(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer wrong",
        f"Token {TOKEN}",
        f"Basic {TOKEN}",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
    ],
)
def test_a_wrong_or_missing_token_is_401(client, token, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"okrhub_" not in response.content


@pytest.mark.django_db
def test_a_signed_in_person_without_the_token_gets_nothing(org, login, token):
    # Not for people: a staff session is no token either.
    assert login(org.staff).get("/metrics").status_code == 401


@pytest.mark.django_db
def test_the_bearer_scheme_is_case_insensitive(client, token):
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"bearer {TOKEN}").status_code == 200


@pytest.mark.django_db
def test_requests_and_database_queries_are_counted(org, login, client, token):
    login(org.member).get("/")
    samples = scrape(client)
    assert sum(samples["django_http_requests_total_by_method_total"].values()) >= 1
    assert any(
        dict(labels).get("vendor") in {"sqlite", "postgresql"}
        for labels in samples["django_db_execute_total"]
    )


@pytest.mark.django_db
def test_check_ins_of_the_last_hour(org, client, token):
    now = timezone.now()
    CheckInFactory(key_result=org.key_result, author=org.member)
    CheckInFactory(key_result=org.key_result, author=org.member, created_at=now - timedelta(minutes=59))
    CheckInFactory(key_result=org.key_result, author=org.member, created_at=now - timedelta(minutes=61))
    samples = scrape(client)
    assert samples["okrhub_checkins_last_hour"] == {(): 2.0}
    assert samples["okrhub_checkins"] == {(): 3.0}


@pytest.mark.django_db
def test_dirty_rollups_waiting_for_the_worker(org, client, token):
    from checkins import rollups

    rollups.refresh_dirty()
    assert scrape(client)["okrhub_rollups_dirty"] == {(): 0.0}
    rollups.mark_dirty([(org.cycle.pk, org.team.pk)])
    assert scrape(client)["okrhub_rollups_dirty"] == {(): 1.0}
    rollups.refresh_dirty()
    assert scrape(client)["okrhub_rollups_dirty"] == {(): 0.0}


STATES = ("sent", "failed", "pending")


@pytest.mark.django_db
def test_reminders_and_digests_sent_failed_and_pending(client, token):
    now = timezone.now()
    kinds = EmailDelivery.Kind

    def delivery(kind, week, **fields):
        return EmailDelivery.objects.create(
            user=UserFactory(), kind=kind, iso_year=2026, iso_week=week, **fields
        )

    delivery(kinds.CHECKIN_REMINDER, 1, sent_at=now, attempts=1)
    delivery(kinds.CHECKIN_REMINDER, 2, sent_at=now - timedelta(hours=3), attempts=1)
    delivery(kinds.CHECKIN_REMINDER, 3, attempts=2, last_error="SMTP 451")
    delivery(kinds.LEADER_DIGEST, 4)
    delivery(kinds.LEADER_DIGEST, 5, sent_at=now - timedelta(minutes=5), attempts=2)
    samples = scrape(client)
    deliveries = {
        (dict(labels)["kind"], dict(labels)["state"]): value
        for labels, value in samples["okrhub_email_deliveries"].items()
    }
    assert deliveries == {
        ("checkin_reminder", "sent"): 2.0,
        ("checkin_reminder", "failed"): 1.0,
        ("checkin_reminder", "pending"): 0.0,
        ("leader_digest", "sent"): 1.0,
        ("leader_digest", "failed"): 0.0,
        ("leader_digest", "pending"): 1.0,
        **{(kind, state): 0.0 for kind in ("reply_confirmation", "meeting_minutes") for state in STATES},
    }
    last_hour = {
        dict(labels)["kind"]: value for labels, value in samples["okrhub_emails_sent_last_hour"].items()
    }
    assert last_hour == {
        "checkin_reminder": 1.0,
        "leader_digest": 1.0,
        "reply_confirmation": 0.0,
        "meeting_minutes": 0.0,
    }


@pytest.mark.django_db
def test_the_queue_length_comes_from_the_broker(client, token, settings):
    import redis

    broker = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        broker.ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"Redis does not answer at {REDIS_URL} ({exc})")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = REDIS_URL
    queue = f"o21-metrics-{os.getpid()}"
    from okrhub.celery import app

    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        broker.rpush(queue, b"{}", b"{}", b"{}")
        samples = scrape(client)
    finally:
        broker.delete(queue)
        app.conf.task_default_queue = previous
    assert samples["okrhub_celery_queue_length"] == {(("queue", queue),): 3.0}
    assert samples["okrhub_product_metric_up"][(("metric", "okrhub_celery_queue_length"),)] == 1.0


@pytest.mark.django_db
def test_an_unreachable_broker_fails_that_figure_only(client, token, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/15"
    samples = scrape(client)
    up = {dict(labels)["metric"]: value for labels, value in samples["okrhub_product_metric_up"].items()}
    assert up["okrhub_celery_queue_length"] == 0.0
    assert "okrhub_celery_queue_length" not in samples
    assert up["okrhub_checkins_last_hour"] == 1.0
    assert "okrhub_checkins_last_hour" in samples


@pytest.mark.django_db
def test_a_new_figure_is_one_registered_function(client, token, monkeypatch):
    monkeypatch.setattr(metrics_module, "PRODUCT_METRICS", dict(metrics_module.PRODUCT_METRICS))

    @metrics_module.product_metric("okrhub_test_things", "Things.", labels=("colour",))
    def things():
        return [(("red",), 2), (("blue",), 5)]

    samples = scrape(client)
    assert samples["okrhub_test_things"] == {(("colour", "blue"),): 5.0, (("colour", "red"),): 2.0}


@pytest.mark.django_db
def test_webhook_deliveries_by_kind_and_status(org, client, token):
    from integrations.models import Delivery, Endpoint, Event

    hook = Endpoint.objects.create(name="Hook", url_encrypted="x", url_hint="hooks.example", team=org.team)
    slack = Endpoint.objects.create(
        name="Slack", kind=Endpoint.Kind.SLACK, url_encrypted="x", url_hint="hooks.slack.com", team=org.team
    )
    for n, (endpoint, status) in enumerate(
        [(hook, "succeeded"), (hook, "succeeded"), (hook, "failed"), (slack, "pending")]
    ):
        event = Event.objects.create(type="checkin.created", key=f"metrics:{n}", team=org.team)
        Delivery.objects.create(event=event, endpoint=endpoint, status=status)
    samples = scrape(client)
    deliveries = {
        (dict(labels)["kind"], dict(labels)["status"]): value
        for labels, value in samples["okrhub_webhook_deliveries"].items()
    }
    assert deliveries[("webhook", "succeeded")] == 2.0
    assert deliveries[("webhook", "failed")] == 1.0
    assert deliveries[("slack", "pending")] == 1.0
    assert deliveries[("teams", "succeeded")] == 0.0
    assert sum(deliveries.values()) == 4.0


@pytest.mark.django_db
def test_inbound_replies_by_outcome(client, token):
    from notifications.models import InboundMessage

    for n, status in enumerate(["processed", "processed", "refused"]):
        InboundMessage.objects.create(message_key=f"{n:064d}", status=status)
    samples = scrape(client)
    assert samples["okrhub_inbound_messages"] == {
        (("status", "processed"),): 2.0,
        (("status", "refused"),): 1.0,
        (("status", "dropped"),): 0.0,
    }


@pytest.mark.django_db
def test_the_product_figures_take_a_fixed_number_of_queries(
    org, client, token, django_assert_max_num_queries
):
    # Counted queries, not rows: the figures must not grow with the data.
    CheckInFactory.create_batch(5, key_result=org.key_result, author=org.member)
    with django_assert_max_num_queries(8):
        scrape(client)


@pytest.mark.django_db
def test_every_figure_of_the_grafana_dashboard_is_exposed(org, login, client, token):
    login(org.member).get("/")  # a request and some queries, so the request and database families exist
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    text = response.content.decode()
    exposed = set(re.findall(r"^# HELP (\w+)", text, flags=re.M)) | set(
        re.findall(r"^(\w+)[{ ]", text, flags=re.M)
    )
    dashboard = json.loads((Path(settings.BASE_DIR) / "deploy" / "grafana" / "okrhub.json").read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for expr in expressions for name in re.findall(r"\b((?:django|okrhub)_\w+)", expr)}
    assert len(used) >= 8
    missing = {
        name
        for name in used
        if name not in exposed and re.sub(r"_(bucket|count|sum)$", "", name) not in exposed
    }
    assert missing == set()


@pytest.mark.integration
def test_under_gunicorn_one_scrape_sums_every_worker_and_logs_are_json(tmp_path):
    """Two gunicorn workers in multiprocess mode (PROMETHEUS_MULTIPROC_DIR): whichever worker answers the
    scrape counts the requests both served; each request is one JSON line with its X-Request-ID."""
    import httpx

    from tests.servers import gunicorn

    env = {
        "GUNICORN_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "METRICS_TOKEN": TOKEN,
        "LOG_FORMAT": "json",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "CACHE_URL": "locmemcache://",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "SECURE_SSL_REDIRECT": "false",
    }
    with gunicorn(env, log_dir=tmp_path, ready=lambda r: r.status_code == 200) as base:
        with httpx.Client(base_url=base, timeout=10) as http:
            for _ in range(20):
                assert http.get("/healthz").status_code == 200
            login = http.get("/accounts/login/", headers={"X-Request-ID": "req-gunicorn-00000001"})
            assert login.headers["X-Request-ID"] == "req-gunicorn-00000001"
            for _ in range(3):  # whichever worker answers
                response = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
                assert response.status_code == 200
                counted = sum(
                    sample.value
                    for family in text_string_to_metric_families(response.text)
                    for sample in family.samples
                    if sample.name == "django_http_requests_before_middlewares_total"
                )
                assert counted >= 21
        log_lines = []
        for path in tmp_path.glob("gunicorn-*.log"):
            for raw in path.read_text().splitlines():
                if raw.startswith("{"):
                    log_lines.append(json.loads(raw))
    requests = [line for line in log_lines if line["logger"] == "okrhub.request"]
    assert [line["request_id"] for line in requests if line["path"] == "/accounts/login/"] == [
        "req-gunicorn-00000001"
    ]
    assert len(list((tmp_path / "prometheus").glob("*.db"))) >= 2  # both workers wrote their figures
