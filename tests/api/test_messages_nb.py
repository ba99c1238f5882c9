"""The API's and forms' validator messages read naturally in Norwegian: our catalogue overrides Django's and
Django REST framework's wording for the same msgid (LOCALE_PATHS comes first)."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext

from checkins.models import CheckIn

OVERRIDES = {
    "Ensure this value is less than or equal to {max_value}.": (
        "Verdien kan ikke være høyere enn {max_value}."
    ),
    "Ensure this value is less than or equal to %(limit_value)s.": (
        "Verdien kan ikke være høyere enn %(limit_value)s."
    ),
    "A valid number is required.": "Skriv inn et tall.",
    "This field is required.": "Feltet må fylles ut.",
}


@pytest.mark.parametrize(("msgid", "expected"), OVERRIDES.items())
def test_our_catalogue_wins_over_djangos_and_drfs(msgid, expected):
    with translation.override("nb"):
        assert gettext(msgid) == expected
    with translation.override("en"):
        assert gettext(msgid) == msgid


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"value": "20", "confidence": 11}, "confidence", "Verdien kan ikke være høyere enn 10."),
        ({"value": "20", "confidence": 0}, "confidence", "Verdien kan ikke være lavere enn 1."),
        ({"value": "mange", "confidence": 7}, "value", "Skriv inn et tall."),
        ({"confidence": 7}, "value", "Feltet må fylles ut."),
        ({"value": "1.23456", "confidence": 7}, "value", "Tallet kan ha høyst 4 desimaler."),
    ],
)
def test_api_errors_read_naturally_in_norwegian(org, api, data, field, message):
    response = api(org.member).post(
        "/api/v1/checkins/", {"key_result": org.key_result.pk, **data}, HTTP_ACCEPT_LANGUAGE="nb"
    )
    assert response.status_code == 400
    assert response.json()[field] == [message]
    assert not CheckIn.objects.exists()


def test_the_check_in_form_says_it_in_norwegian_too(org, login):
    response = login(org.member).post(
        f"/key-results/{org.key_result.pk}/check-in/",
        {"value": "12,5", "confidence": "11"},
        HTTP_ACCEPT_LANGUAGE="nb",
    )
    assert "Verdien kan ikke være høyere enn 10." in response.content.decode()
    assert not CheckIn.objects.exists()
