"""Small hardening: no caching of pages that show a token, 403s logged as one line."""

from __future__ import annotations

import logging

from django.urls import reverse


def test_the_profile_page_with_the_token_is_never_stored(org, login):
    response = login(org.member).get(reverse("profile"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_403_is_logged_as_one_line_without_a_traceback(org, login, caplog):
    client = login(org.outsider)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.post(
            reverse("checkins:checkin_create", args=[org.key_result.pk]), {"value": "12", "confidence": "7"}
        )
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    record = records[0]
    assert record.exc_info is None
    line = logging.Formatter().format(record)
    assert line == f"Forbidden (Permission denied): /key-results/{org.key_result.pk}/check-in/"
    assert "\n" not in line
