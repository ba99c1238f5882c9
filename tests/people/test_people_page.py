"""The People page: search and pages, deactivate and reactivate, anonymise; who may do it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from teams import people_services as services
from teams.models import Invitation, Membership, Profile
from tests.factories import CheckInFactory, MembershipFactory, UserFactory

User = get_user_model()
pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "member", "lead", "lead_elsewhere", "section_leader", "ambassador", "staff"]
# Only organisation admins manage everyone.
STATUS = {"anonymous": 302, "staff": 200}


def as_(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who", PERSONAS)
def test_who_opens_the_people_page_and_the_anonymise_confirmation(client, org, persona, who):
    client = as_(client, persona(who))
    assert client.get(reverse("people:list")).status_code == STATUS.get(who, 403)
    assert client.get(reverse("people:anonymise", args=[org.teammate.pk])).status_code == STATUS.get(who, 403)


@pytest.mark.parametrize("action", ["deactivate", "reactivate", "anonymise"])
@pytest.mark.parametrize("who", PERSONAS)
def test_who_deactivates_reactivates_and_anonymises(client, org, persona, who, action):
    if action == "reactivate":
        services.person_deactivate(user=org.teammate)
    response = as_(client, persona(who)).post(reverse(f"people:{action}", args=[org.teammate.pk]))
    allowed = who == "staff"
    assert response.status_code == (302 if allowed or who == "anonymous" else 403)
    org.teammate.refresh_from_db()
    expected_active = {"deactivate": not allowed, "reactivate": allowed, "anonymise": not allowed}[action]
    assert org.teammate.is_active == expected_active
    assert (org.teammate.username != "teammate") == (allowed and action == "anonymise")


def test_an_admin_cannot_deactivate_or_anonymise_themselves(client, org):
    as_(client, org.staff)
    assert client.post(reverse("people:deactivate", args=[org.staff.pk])).status_code == 403
    assert client.post(reverse("people:anonymise", args=[org.staff.pk])).status_code == 403
    org.staff.refresh_from_db()
    assert org.staff.is_active and org.staff.username == "staff"


def test_a_deactivated_person_cannot_sign_in_anywhere_and_keeps_their_history(client, org):
    CheckInFactory(key_result=org.key_result, author=org.member, value=12, confidence=7)
    token = Token.objects.create(user=org.member)
    signed_in = client.__class__()
    signed_in.force_login(org.member)
    as_(client, org.staff).post(reverse("people:deactivate", args=[org.member.pk]))
    assert (
        client.__class__().post(reverse("login"), {"username": "member", "password": "demo"}).status_code
        == 200
    )
    assert signed_in.get(reverse("checkins:my_week")).status_code == 302  # the open session ends
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/teams/").status_code == 401
    assert (
        APIClient().post("/api/v1/auth/token/", {"username": "member", "password": "demo"}).status_code == 400
    )
    assert org.key_result.checkins.filter(author=org.member).count() == 1
    assert Membership.objects.filter(user=org.member).exists()
    org.key_result.refresh_from_db()
    assert org.key_result.owner == org.member


def test_reactivating_lets_them_sign_in_again(client, org):
    services.person_deactivate(user=org.member)
    as_(client, org.staff).post(reverse("people:reactivate", args=[org.member.pk]))
    assert (
        client.__class__().post(reverse("login"), {"username": "member", "password": "demo"}).status_code
        == 302
    )


def test_the_anonymise_page_asks_first_and_says_it_is_irreversible(client, org):
    response = as_(client, org.staff).get(reverse("people:anonymise", args=[org.member.pk]))
    assert "Maja Medlem" in response.text
    org.member.refresh_from_db()
    assert org.member.first_name == "Maja"


def test_anonymising_removes_name_email_and_sign_in_and_keeps_the_check_ins(client, org, invite):
    checkin = CheckInFactory(key_result=org.key_result, author=org.member, value=12, confidence=7, note="ok")
    Token.objects.create(user=org.member)
    Profile.objects.create(user=org.member, language="en")
    invite(org.member.email, team=org.other_team, by=org.section_leader)
    response = as_(client, org.staff).post(reverse("people:anonymise", args=[org.member.pk]))
    assert response.status_code == 302
    person = User.objects.get(pk=org.member.pk)
    assert person.username == f"anonymised-{person.pk}"
    assert (person.first_name, person.last_name, person.email) == ("", "", "")
    assert not person.is_active and not person.has_usable_password()
    assert not Token.objects.filter(user=person).exists()
    assert not Membership.objects.filter(user=person).exists()
    assert not Profile.objects.filter(user=person).exists()
    assert not Invitation.objects.filter(email="member@example.org").exists()
    checkin.refresh_from_db()
    assert (checkin.author_id, checkin.value, checkin.note) == (person.pk, 12, "ok")
    assert (
        "Maja"
        not in as_(client.__class__(), org.lead)
        .get(reverse("checkins:key_result_detail", args=[org.key_result.pk]))
        .text
    )
    # Irreversible: no reactivation, no second anonymisation.
    as_(client, org.staff).post(reverse("people:reactivate", args=[person.pk]))
    person.refresh_from_db()
    assert not person.is_active
    assert client.get(reverse("people:anonymise", args=[person.pk])).status_code == 404


def test_the_page_searches_by_name_username_and_email(client, org):
    client = as_(client, org.staff)
    text = client.get(reverse("people:list"), {"q": "maja"}).text
    assert f'id="person-{org.member.pk}"' in text and f'id="person-{org.teammate.pk}"' not in text
    text = client.get(reverse("people:list"), {"q": "teammate@example"}).text
    assert f'id="person-{org.teammate.pk}"' in text and f'id="person-{org.member.pk}"' not in text


def _people(n: int, team) -> None:
    for i in range(n):
        MembershipFactory(user=UserFactory(username=f"p{team.slug}{i}"), team=team)


def test_the_people_page_runs_the_same_queries_for_few_and_many_people(
    client, org, django_assert_num_queries
):
    client = as_(client, org.staff)
    client.get(reverse("people:list"))
    # session, user, the admin's memberships, ambassador flag, count, the page of people, their memberships,
    # which of them are locked out (teams/lockouts.py)
    with django_assert_num_queries(8) as few:
        response = client.get(reverse("people:list"))
    assert response.text.count('id="person-') == User.objects.count()
    _people(60, org.team)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("people:list"), {"page": 2})
    assert response.text.count('id="person-') == User.objects.count() - 50


def test_the_page_escapes_names(client, org):
    org.member.first_name = "<script>alert(1)</script>"
    org.member.save()
    text = as_(client, org.staff).get(reverse("people:list")).text
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
