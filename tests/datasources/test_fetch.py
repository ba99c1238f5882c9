"""Fetching a data source from a real HTTP server on loopback: a changed value becomes a check-in by the
system author through the check-in service; every failure is recorded and leaves the value alone."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import pytest
from django.test import override_settings

from checkins.models import CheckIn
from checkins.services import checkin_submit
from datasources import services
from datasources.models import DataSource, DataSourceFetch
from objectives.models import Cycle, KeyResult
from tests.factories import ProfileFactory

MEMBERS = json.dumps({"data": {"members": {"active": 25}}})


def reload(key_result: KeyResult) -> KeyResult:
    return KeyResult.objects.get(pk=key_result.pk)


def test_a_changed_value_becomes_a_check_in_by_the_system_author(org, feed, linked):
    checkin_submit(key_result=org.key_result, author=org.member, value=20, confidence=8)
    feed.route("/members.json", MEMBERS)
    source = linked()
    result = services.data_source_fetch(source=source)
    assert result.outcome == DataSourceFetch.Outcome.UPDATED
    key_result = reload(org.key_result)
    assert key_result.current_value == Decimal(25)
    latest = CheckIn.objects.filter(key_result=key_result).order_by("-created_at", "-id").first()
    assert services.is_system_author(latest.author)
    assert latest.source == CheckIn.Source.DATA_SOURCE
    assert latest.confidence == 8  # the owner's last confidence
    assert latest.note == "Automatisk oppdatert fra 127.0.0.1"
    source.refresh_from_db()
    assert source.last_value == Decimal(25) and source.last_error == ""
    source.key_result = key_result
    assert source.awaits_confidence is True  # the latest check-in is the automatic one


def test_the_note_is_in_the_owners_language(org, feed, linked):
    ProfileFactory(user=org.member, language="en")
    feed.route("/members.json", MEMBERS)
    services.data_source_fetch(source=linked())
    assert CheckIn.objects.get().note == "Updated automatically from 127.0.0.1"


def test_a_key_result_never_checked_in_gets_the_middle_confidence(org, feed, linked):
    feed.route("/members.json", MEMBERS)
    services.data_source_fetch(source=linked())
    assert CheckIn.objects.get().confidence == services.DEFAULT_CONFIDENCE


def test_an_unchanged_value_makes_no_check_in(org, feed, linked):
    checkin_submit(key_result=org.key_result, author=org.member, value=25, confidence=6)
    feed.route("/members.json", MEMBERS)
    source = linked()
    assert services.data_source_fetch(source=source).outcome == DataSourceFetch.Outcome.UNCHANGED
    assert services.data_source_fetch(source=source).outcome == DataSourceFetch.Outcome.UNCHANGED
    assert CheckIn.objects.count() == 1
    source.refresh_from_db()
    assert source.last_fetched_at is not None and source.last_value == Decimal(25)


def test_the_csv_columns_last_row_is_the_value(org, feed, linked):
    feed.route("/stats.csv", "uke;medlemmer\n1;18\n2;21,5\n", headers={"Content-Type": "text/csv"})
    services.data_source_fetch(source=linked("/stats.csv", fmt="csv", json_path="medlemmer"))
    assert reload(org.key_result).current_value == Decimal("21.5")


def test_the_header_secret_is_sent_stored_encrypted_and_never_logged(org, feed, linked, caplog):
    feed.route("/members.json", MEMBERS)
    source = linked(header_name="Authorization", header_value="Bearer s3cret-token")
    assert "s3cret-token" not in source.header_value_encrypted
    assert "s3cret-token" not in DataSource.objects.values_list("header_value_encrypted", flat=True).get()
    feed.route("/fail.json", "nope", status=500)
    with caplog.at_level(logging.DEBUG):
        services.data_source_fetch(source=source)
        source.url = feed.url("/fail.json")
        source.save()
        services.data_source_fetch(source=source)
    assert feed.requests[0][1].get("Authorization") == "Bearer s3cret-token"
    assert "s3cret-token" not in caplog.text


def test_keeping_and_removing_the_secret(org, feed, linked):
    source = linked(header_name="X-Api-Key", header_value="abc")
    kept = linked(header_name="X-Api-Key", header_value=None)
    assert kept.pk == source.pk and kept.header_value_encrypted == source.header_value_encrypted
    assert linked(header_name="X-Api-Key", header_value="").header_value_encrypted == ""


@pytest.mark.parametrize(
    ("route", "path", "message"),
    [
        ({"body": "oops", "status": 500}, "data.members.active", "HTTP status 500"),
        ({"body": "gone", "status": 404}, "data.members.active", "HTTP status 404"),
        ({"body": "{broken"}, "data.members.active", "valid JSON"),
        ({"body": MEMBERS}, "data.members.passive", "is not in"),
        (
            {"body": json.dumps({"data": {"members": {"active": "mange"}}})},
            "data.members.active",
            "not a number",
        ),
        # Beyond the value field's 16 digits: the check-in service refuses it.
        (
            {"body": json.dumps({"data": {"members": {"active": 1e20}}})},
            "data.members.active",
            "not accepted",
        ),
    ],
)
def test_failures_are_recorded_and_leave_the_value(org, feed, linked, settings, route, path, message):
    settings.LANGUAGE_CODE = "en"
    checkin_submit(key_result=org.key_result, author=org.member, value=20, confidence=8)
    feed.route("/members.json", **route)
    source = linked(json_path=path)
    result = services.data_source_fetch(source=source)
    assert result.outcome == DataSourceFetch.Outcome.FAILED
    assert message in result.error
    source.refresh_from_db()
    assert message in source.last_error and source.last_error_at is not None
    assert reload(org.key_result).current_value == Decimal(20)
    assert CheckIn.objects.count() == 1


def test_an_achieve_key_result_takes_only_done_or_not(org, feed, linked):
    KeyResult.objects.filter(pk=org.key_result.pk).update(kind="achieve", start_value=0, target_value=1)
    feed.route("/members.json", MEMBERS)
    result = services.data_source_fetch(source=linked())
    assert result.outcome == DataSourceFetch.Outcome.FAILED
    assert not CheckIn.objects.exists()


def test_a_timeout_is_a_transient_failure(org, feed, linked):
    feed.route("/slow.json", MEMBERS, delay=2.5)
    with override_settings(DATA_SOURCE_TIMEOUT=0.5):
        result = services.data_source_fetch(source=linked("/slow.json"))
    assert result.outcome == DataSourceFetch.Outcome.FAILED and result.transient
    assert not CheckIn.objects.exists()


def test_a_huge_body_is_cut_and_refused(org, feed, linked):
    feed.route("/huge.json", '{"data": {"members": {"active": 25}}, "pad": "' + "x" * 50_000 + '"}')
    with override_settings(DATA_SOURCE_MAX_BYTES=10_000):
        result = services.data_source_fetch(source=linked("/huge.json"))
    assert result.outcome == DataSourceFetch.Outcome.FAILED
    assert "10000" in result.error.replace("\u00a0", "").replace(" ", "")
    assert not CheckIn.objects.exists()


def test_a_redirect_to_a_private_address_is_refused(org, feed, linked):
    # 127.0.0.1 is allowed for the test, 10.0.0.1 is not: the redirect's destination is checked too.
    feed.route("/moved.json", "", status=302, headers={"Location": "http://10.0.0.1/members.json"})
    result = services.data_source_fetch(source=linked("/moved.json"))
    assert result.outcome == DataSourceFetch.Outcome.FAILED
    assert not CheckIn.objects.exists()
    assert [path for path, _headers in feed.requests] == ["/moved.json"]


def test_a_private_address_is_refused_when_saving(org):
    with pytest.raises(Exception) as error:
        services.data_source_save(
            key_result=org.key_result, actor=org.lead, format="json", url="http://127.0.0.1:9/x", path="a"
        )
    assert "url" in error.value.message_dict
    assert not DataSource.objects.exists()


def test_a_closed_cycle_takes_no_check_in_and_says_so(org, feed, linked, settings):
    settings.LANGUAGE_CODE = "en"
    feed.route("/members.json", MEMBERS)
    source = linked()
    Cycle.objects.filter(pk=org.cycle.pk).update(status=Cycle.Status.CLOSED)
    result = services.data_source_fetch(source=source)
    assert result.outcome == DataSourceFetch.Outcome.FAILED
    assert "closed" in result.error
    assert not CheckIn.objects.exists()
    assert feed.requests == []  # not even fetched
    source.refresh_from_db()
    assert "closed" in source.last_error


def test_a_success_clears_the_last_error(org, feed, linked):
    feed.route("/members.json", "oops", status=500)
    source = linked()
    services.data_source_fetch(source=source)
    feed.route("/members.json", MEMBERS)
    services.data_source_fetch(source=source)
    source.refresh_from_db()
    assert source.last_error == "" and source.last_error_at is None
