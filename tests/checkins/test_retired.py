"""A key result retired mid-cycle keeps its check-ins but takes no new ones, on the page, in the API or
in the service."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from checkins.models import CheckIn
from checkins.services import checkin_delete, checkin_submit, checkin_update
from objectives.models import Cycle, KeyResult, Objective
from objectives.writability import CYCLE_CLOSED, KEY_RESULT_RETIRED, OBJECTIVE_ARCHIVED
from tests.factories import KeyResultFactory
from workshops.services import key_result_retire

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def retire(org) -> KeyResult:
    key_result_retire(key_result=org.key_result, actor=org.lead, reason="Målte feil ting")
    return KeyResult.objects.select_related("objective__cycle").get(pk=org.key_result.pk)


def test_the_service_refuses_a_check_in_on_a_retired_key_result(org):
    kr = retire(org)
    with override("en"), pytest.raises(ValidationError) as error:
        checkin_submit(key_result=kr, author=org.member, value=20, confidence=7)
    assert error.value.messages == [KEY_RESULT_RETIRED]
    assert not CheckIn.objects.exists()
    kr.refresh_from_db()
    assert kr.current_value == Decimal(10)


def test_earlier_check_ins_stay_as_they_were(org):
    checkin = checkin_submit(key_result=org.key_result, author=org.member, value=20, confidence=7)
    kr = retire(org)
    with pytest.raises(ValidationError):
        checkin_update(checkin=checkin, value=30, confidence=7)
    with pytest.raises(ValidationError):
        checkin_delete(checkin=checkin)
    assert CheckIn.objects.get(pk=checkin.pk).value == Decimal(20)
    kr.refresh_from_db()
    assert kr.current_value == Decimal(20)


def test_the_api_answers_409(org):
    retire(org)
    token, _ = Token.objects.get_or_create(user=org.member)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.post(
        "/api/v1/checkins/", {"key_result": org.key_result.pk, "value": "20", "confidence": 7}, **EN
    )
    assert response.status_code == 409
    with override("en"):
        assert response.json() == {"detail": str(KEY_RESULT_RETIRED)}
    assert not CheckIn.objects.exists()


def test_the_key_result_page_says_when_it_was_retired_instead_of_offering_the_form(org, login):
    kr = retire(org)
    html = login(org.member).get(f"/key-results/{kr.pk}/", **EN).content.decode()
    assert f'id="kr-{kr.pk}-form"' not in html
    assert 'id="kr-retired"' in html
    with override("en"):
        day = date_format(timezone.localtime(kr.retired_at), "SHORT_DATE_FORMAT")
    assert f"Retired on {day}." in html


def test_the_key_result_page_offers_the_form_while_it_counts(org, login):
    html = login(org.member).get(f"/key-results/{org.key_result.pk}/", **EN).content.decode()
    assert f'id="kr-{org.key_result.pk}-form"' in html
    assert 'id="kr-retired"' not in html


def test_posting_the_form_anyway_is_refused(org, login):
    retire(org)
    response = login(org.member).post(
        f"/key-results/{org.key_result.pk}/check-in/", {"value": "20", "confidence": "7"}, **EN
    )
    assert response.status_code == 400
    assert "The key result is retired" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_my_week_lists_only_key_results_in_progress(org, login):
    kept = KeyResultFactory(objective=org.objective, owner=org.member)
    retire(org)
    html = login(org.member).get("/", **EN).content.decode()
    assert f'id="kr-{org.key_result.pk}"' not in html
    assert f'id="kr-{kept.pk}"' in html


def test_the_plain_check_in_page_sends_a_retired_key_result_to_its_page(org, login):
    retire(org)
    response = login(org.member).get(f"/key-results/{org.key_result.pk}/check-in/", **EN)
    assert response.status_code == 302
    assert response["Location"] == f"/key-results/{org.key_result.pk}/"


def test_another_team_cannot_probe_a_retired_key_result(org, login):
    key_result_retire(key_result=org.other_key_result, actor=org.staff, reason="Feil mål")
    response = login(org.member).post(
        f"/key-results/{org.other_key_result.pk}/check-in/", {"value": "20", "confidence": "7"}, **EN
    )
    assert response.status_code in (403, 404)
    assert not CheckIn.objects.exists()


def test_the_model_refuses_one_too_so_the_admin_cannot_add_it(org):
    kr = retire(org)
    checkin = CheckIn(key_result=kr, author=org.member, value=Decimal(20), confidence=7)
    with override("en"), pytest.raises(ValidationError) as error:
        checkin.full_clean()
    assert str(KEY_RESULT_RETIRED) in error.value.messages


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("archive", OBJECTIVE_ARCHIVED),
        ("close", CYCLE_CLOSED),
    ],
)
def test_an_archived_or_closed_key_result_page_shows_no_form_and_says_why(org, client, change, reason):
    with override("en"):
        reason = html.escape(str(reason))
    if change == "archive":
        Objective.objects.filter(pk=org.objective.pk).update(status=Objective.Status.ARCHIVED)
    else:
        Cycle.objects.filter(pk=org.cycle.pk).update(status=Cycle.Status.CLOSED)
    client.force_login(org.member)
    url = f"/key-results/{org.key_result.pk}/"
    body = client.get(url, **EN).content.decode()
    assert 'id="kr-checkin-closed"' in body and reason in body
    assert f'action="/key-results/{org.key_result.pk}/check-in/"' not in body
    # The plain check-in page sends them back to the key result page, and a POST changes nothing.
    assert client.get(f"{url}check-in/", **EN)["Location"] == url
    response = client.post(f"{url}check-in/", {"value": "20", "confidence": "7"}, **EN)
    assert reason in response.content.decode()
    assert not CheckIn.objects.exists()
