"""Checking in inline (htmx) and without JavaScript; editing and deleting one's own check-in this week."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from checkins.models import CheckIn
from objectives.models import Cycle, KeyResult, Objective
from tests.factories import CheckInFactory, KeyResultFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "kr-1", "HTTP_ACCEPT_LANGUAGE": "en"}


def _url(key_result) -> str:
    return f"/key-results/{key_result.pk}/check-in/"


def test_it_checks_in_over_htmx_and_swaps_the_row_and_counter(org, login):
    client = login(org.member)
    response = client.post(
        _url(org.key_result), {"value": "25", "confidence": "7", "note": "Bra uke"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="kr-{org.key_result.pk}"')
    assert 'aria-valuenow="50"' in html  # 10 → 25 of 10 → 40
    assert "Checked in this week" in html
    assert 'id="checkin-counter"' in html
    assert 'hx-swap-oob="innerHTML"' in html
    assert "1 of 1 key result checked in this week" in html
    org.key_result.refresh_from_db()
    assert (org.key_result.current_value, org.key_result.confidence) == (Decimal(25), 7)
    checkin = CheckIn.objects.get()
    assert (checkin.author, checkin.note) == (org.member, "Bra uke")


def test_it_posts_and_redirects_back_without_javascript(org, login):
    client = login(org.member)
    response = client.post(_url(org.key_result), {"value": "12,5", "confidence": "5", "next": "/?show=team"})
    assert response.status_code == 302
    assert response["Location"] == "/?show=team"
    org.key_result.refresh_from_db()
    assert org.key_result.current_value == Decimal("12.5")  # nb decimal comma


def test_it_ignores_a_next_url_on_another_site(org, login):
    client = login(org.member)
    response = client.post(
        _url(org.key_result), {"value": "12", "confidence": "5", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"value": "mange", "confidence": "7"}, "Enter a number."),
        ({"value": "20", "confidence": "11"}, "Ensure this value is less than or equal to 10."),
        ({"value": "20", "confidence": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"value": "1234567890123.5", "confidence": "5"}, "no more than 12 digits before the decimal point"),
        ({"value": "12345678901234567", "confidence": "5"}, "no more than 16 digits in total"),
        ({"value": "1.23456", "confidence": "5"}, "no more than 4 decimal places"),
        ({"value": "", "confidence": "5"}, "This field is required."),
    ],
)
def test_it_shows_validation_errors_in_the_row_and_saves_nothing(org, login, data, message):
    response = login(org.member).post(_url(org.key_result), data, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html
    assert "checkin-counter" not in html  # nothing changed, so no counter swap
    assert not CheckIn.objects.exists()
    org.key_result.refresh_from_db()
    assert org.key_result.current_value == Decimal(10)


def test_it_translates_errors_to_norwegian(org, login):
    response = login(org.member).post(
        _url(org.key_result),
        {"value": "mange", "confidence": "7"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="nb",
    )
    assert "Oppgi et tall." in response.content.decode()


def test_it_shows_errors_on_a_page_without_javascript(org, login):
    response = login(org.member).post(_url(org.key_result), {"value": "x", "confidence": "7"})
    assert response.status_code == 400
    assert "checkins/checkin_form.html" in [t.name for t in response.templates]
    assert not CheckIn.objects.exists()


def test_it_refuses_a_closed_cycle(org, login):
    Cycle.objects.filter(pk=org.cycle.pk).update(status=Cycle.Status.CLOSED)
    response = login(org.member).post(_url(org.key_result), {"value": "20", "confidence": "7"}, **HTMX)
    assert "The cycle is closed" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_it_refuses_an_archived_objective(org, login):
    Objective.objects.filter(pk=org.objective.pk).update(status=Objective.Status.ARCHIVED)
    response = login(org.member).post(_url(org.key_result), {"value": "20", "confidence": "7"}, **HTMX)
    assert "archived" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_an_achieve_key_result_takes_done_or_not_done(org, login):
    achieve = KeyResultFactory(
        objective=org.objective, owner=org.member, kind=KeyResult.Kind.ACHIEVE, start_value=0, target_value=1
    )
    client = login(org.member)
    response = client.post(_url(achieve), {"value": "5", "confidence": "7"}, **HTMX)
    assert "Select a valid choice" in response.content.decode()
    response = client.post(_url(achieve), {"value": "1", "confidence": "8"}, **HTMX)
    assert 'aria-valuenow="100"' in response.content.decode()
    achieve.refresh_from_db()
    assert achieve.current_value == 1


def test_it_escapes_html_in_notes(org, login):
    client = login(org.member)
    client.post(
        _url(org.key_result), {"value": "20", "confidence": "7", "note": "<script>alert(1)</script>\nok"}
    )
    html = client.get(f"/key-results/{org.key_result.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>ok" in html


@pytest.mark.parametrize("persona", ["member", "teammate", "lead", "section_leader", "staff"])
def test_members_and_leads_above_may_check_in(org, login, persona):
    response = login(getattr(org, persona)).post(_url(org.key_result), {"value": "20", "confidence": "7"})
    assert response.status_code == 302
    assert CheckIn.objects.filter(author=getattr(org, persona)).exists()


@pytest.mark.parametrize("persona", ["outsider", "ambassador"])
def test_it_forbids_people_outside_the_team(org, login, persona):
    client = login(getattr(org, persona))
    assert client.post(_url(org.key_result), {"value": "20", "confidence": "7"}, **HTMX).status_code == 403
    assert client.get(_url(org.key_result)).status_code == 403
    assert not CheckIn.objects.exists()


def test_it_hides_a_draft_of_another_team(org, login):
    Objective.objects.filter(pk=org.objective.pk).update(status=Objective.Status.DRAFT)
    response = login(org.outsider).post(_url(org.key_result), {"value": "20", "confidence": "7"})
    assert response.status_code == 404


def test_it_refuses_get_for_my_week_mutations(org, login):
    assert login(org.member).put(_url(org.key_result)).status_code == 405


def test_the_form_page_works_without_javascript(org, login):
    response = login(org.member).get(_url(org.key_result))
    assert response.status_code == 200
    assert f'id="id_kr{org.key_result.pk}_value"' in response.content.decode()


# --- Editing and deleting one's own check-in within the ISO week ----------------------------------------


def test_the_author_edits_a_check_in_this_week(org, login):
    checkin = CheckInFactory(key_result=org.key_result, author=org.member, value=Decimal(20), confidence=5)
    client = login(org.member)
    assert client.get(f"/check-ins/{checkin.pk}/edit/").status_code == 200
    response = client.post(
        f"/check-ins/{checkin.pk}/edit/", {"value": "30", "confidence": "8", "note": "rettet"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/key-results/{org.key_result.pk}/"
    org.key_result.refresh_from_db()
    assert (org.key_result.current_value, org.key_result.confidence) == (Decimal(30), 8)


def test_an_invalid_edit_changes_nothing(org, login):
    checkin = CheckInFactory(key_result=org.key_result, author=org.member, value=Decimal(20), confidence=5)
    response = login(org.member).post(f"/check-ins/{checkin.pk}/edit/", {"value": "x", "confidence": "8"})
    assert response.status_code == 400
    checkin.refresh_from_db()
    assert checkin.value == Decimal(20)


def test_deleting_recomputes_from_the_latest_remaining_check_in(org, login):
    earlier = timezone.now() - dt.timedelta(minutes=5)
    CheckInFactory(
        key_result=org.key_result, author=org.member, value=Decimal(15), confidence=4, created_at=earlier
    )
    latest = CheckInFactory(key_result=org.key_result, author=org.member, value=Decimal(30), confidence=9)
    client = login(org.member)
    assert client.get(f"/check-ins/{latest.pk}/delete/").status_code == 200
    assert client.post(f"/check-ins/{latest.pk}/delete/").status_code == 302
    org.key_result.refresh_from_db()
    assert (org.key_result.current_value, org.key_result.confidence) == (Decimal(15), 4)


def test_deleting_the_only_check_in_returns_to_the_start_value(org, login):
    checkin = CheckInFactory(key_result=org.key_result, author=org.member, value=Decimal(30), confidence=9)
    login(org.member).post(f"/check-ins/{checkin.pk}/delete/")
    org.key_result.refresh_from_db()
    assert (org.key_result.current_value, org.key_result.confidence, org.key_result.last_checkin_at) == (
        Decimal(10),
        None,
        None,
    )


def test_it_forbids_changing_someone_elses_check_in(org, login):
    checkin = CheckInFactory(key_result=org.key_result, author=org.teammate)
    client = login(org.member)
    assert client.post(f"/check-ins/{checkin.pk}/edit/", {"value": "1", "confidence": "1"}).status_code == 403
    assert client.post(f"/check-ins/{checkin.pk}/delete/").status_code == 403
    assert login(org.lead).post(f"/check-ins/{checkin.pk}/delete/").status_code == 403
    assert CheckIn.objects.filter(pk=checkin.pk).exists()


def test_it_forbids_changing_a_check_in_from_last_week(org, login):
    monday = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(monday, tick=False):
        checkin = CheckInFactory(key_result=org.key_result, author=org.member)
    with time_machine.travel(monday + dt.timedelta(days=7), tick=False):
        client = login(org.member)
        assert client.get(f"/check-ins/{checkin.pk}/edit/").status_code == 403
        assert client.post(f"/check-ins/{checkin.pk}/delete/").status_code == 403


def test_it_hides_check_ins_of_another_teams_draft(org, login):
    checkin = CheckInFactory(key_result=org.other_key_result, author=org.outsider)
    Objective.objects.filter(pk=org.other_objective.pk).update(status=Objective.Status.DRAFT)
    assert login(org.member).get(f"/check-ins/{checkin.pk}/edit/").status_code == 404


def test_it_refuses_to_change_a_check_in_once_the_cycle_closed(org, login):
    checkin = CheckInFactory(key_result=org.key_result, author=org.member)
    Cycle.objects.filter(pk=org.cycle.pk).update(status=Cycle.Status.CLOSED)
    response = login(org.member).post(f"/check-ins/{checkin.pk}/delete/")
    assert response.status_code == 400
    assert CheckIn.objects.filter(pk=checkin.pk).exists()
