"""The daily run (Celery beat): named, time-limited tasks; each source fetched at most once a day, even when
the run is repeated or two workers take the same task."""

from __future__ import annotations

import json

from django.utils import timezone

from checkins.models import CheckIn
from datasources import services, tasks
from datasources.models import DataSourceFetch
from objectives.models import Cycle
from okrhub.celery import app as celery_app

MEMBERS = json.dumps({"data": {"members": {"active": 25}}})


def test_the_beat_schedule_runs_the_daily_fetch(settings):
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "datasources.fetch_all"]
    assert entry["task"] in celery_app.tasks
    assert len(entry["schedule"].hour) == 1 and len(entry["schedule"].minute) == 1  # once a day


def test_tasks_have_explicit_names_time_limits_and_retries():
    for task in (tasks.fetch_all, tasks.fetch_one):
        assert task.name.startswith("datasources.")
        assert task.soft_time_limit and task.time_limit > task.soft_time_limit
    assert tasks.fetch_one.max_retries == tasks.MAX_RETRIES


def test_running_the_day_twice_fetches_once(
    org, feed, linked, celery_eager, django_capture_on_commit_callbacks
):
    feed.route("/members.json", MEMBERS)
    linked()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.fetch_all.delay().get() == 1
    assert len(feed.requests) == 1
    assert CheckIn.objects.count() == 1
    fetch = DataSourceFetch.objects.get()
    assert fetch.outcome == DataSourceFetch.Outcome.UPDATED and fetch.finished_at is not None
    assert fetch.attempts == 1


def test_a_second_worker_with_the_same_task_finds_it_claimed(org, feed, linked):
    source = linked()
    day = timezone.localdate()
    first = services.scheduled_fetch_claim(source_id=source.pk, day=day)
    assert first is not None
    # Another worker read the row at the same attempt count: its conditional update changes nothing.
    assert DataSourceFetch.objects.filter(pk=first.pk, attempts=first.attempts - 1).update(attempts=9) == 0
    services.scheduled_fetch_finish(fetch=first, result=services.FetchResult(outcome="unchanged"), final=True)
    assert services.scheduled_fetch_claim(source_id=source.pk, day=day) is None


def test_a_transient_failure_is_tried_again_the_same_day(org, feed, linked):
    feed.route("/members.json", "busy", status=503)
    source = linked()
    day = timezone.localdate()
    fetch = services.scheduled_fetch_claim(source_id=source.pk, day=day)
    result = services.data_source_fetch(source=source)
    assert result.transient
    services.scheduled_fetch_finish(fetch=fetch, result=result, final=False)
    retry = services.scheduled_fetch_claim(source_id=source.pk, day=day)
    assert retry is not None and retry.attempts == 2
    services.scheduled_fetch_finish(fetch=retry, result=result, final=True)
    assert services.scheduled_fetch_claim(source_id=source.pk, day=day) is None


def test_a_client_error_is_not_retried(org, feed, linked):
    feed.route("/members.json", "no", status=404)
    source = linked()
    fetch = services.scheduled_fetch_claim(source_id=source.pk, day=timezone.localdate())
    result = services.data_source_fetch(source=source)
    assert not result.transient
    services.scheduled_fetch_finish(fetch=fetch, result=result, final=False)
    assert DataSourceFetch.objects.get().finished_at is not None


def test_closed_cycles_and_paused_sources_are_not_fetched_daily(org, feed, linked):
    source = linked()
    assert services.sources_due() == [source.pk]
    source.enabled = False
    source.save()
    assert services.sources_due() == []
    source.enabled = True
    source.save()
    Cycle.objects.filter(pk=org.cycle.pk).update(status=Cycle.Status.CLOSED)
    assert services.sources_due() == []
