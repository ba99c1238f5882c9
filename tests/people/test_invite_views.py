"""The invitation pages and API: who may do what (every persona), pasting and uploading, bad rows, queries."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from teams import people_services as services
from teams.models import Invitation

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "member", "lead", "lead_elsewhere", "section_leader", "ambassador", "staff"]


def client_for(client, user):
    if user is not None:
        client.force_login(user)
    return client


# --- Permission matrix ----------------------------------------------------------------------------------

# Opening the pages: anyone who leads a team (or is an organisation admin); others 403, anonymous to login.
PAGE_STATUS = {
    "anonymous": 302,
    "member": 403,
    "lead": 200,
    "lead_elsewhere": 200,
    "section_leader": 200,
    "ambassador": 403,
    "staff": 200,
}


@pytest.mark.parametrize("name", ["people:invitations", "people:invite"])
@pytest.mark.parametrize("who", PERSONAS)
def test_who_opens_the_invitation_pages(client, persona, name, who):
    response = client_for(client, persona(who)).get(reverse(name))
    assert response.status_code == PAGE_STATUS[who]


# Acting on an invitation to Kurs: its lead, the section leader above it and organisation admins.
KURS_STATUS = {
    "anonymous": 302,
    "member": 403,
    "lead": 302,
    "lead_elsewhere": 403,
    "section_leader": 302,
    "ambassador": 403,
    "staff": 302,
}


@pytest.mark.parametrize("who", PERSONAS)
def test_who_resends_an_invitation_to_kurs(client, persona, invite, who):
    invitation = invite("ny@example.org")
    nonce = invitation.nonce
    response = client_for(client, persona(who)).post(reverse("people:resend", args=[invitation.pk]))
    assert response.status_code == KURS_STATUS[who]
    invitation.refresh_from_db()
    assert (invitation.nonce != nonce) == (KURS_STATUS[who] == 302 and who != "anonymous")


@pytest.mark.parametrize("who", PERSONAS)
def test_who_revokes_an_invitation_to_kurs(client, persona, invite, who):
    invitation = invite("ny@example.org")
    response = client_for(client, persona(who)).post(reverse("people:revoke", args=[invitation.pk]))
    assert response.status_code == KURS_STATUS[who]
    invitation.refresh_from_db()
    assert (invitation.revoked_at is not None) == (KURS_STATUS[who] == 302 and who != "anonymous")


@pytest.mark.parametrize("who", PERSONAS)
def test_who_invites_to_kurs_from_the_form(client, org, persona, who):
    response = client_for(client, persona(who)).post(
        reverse("people:invite"), {"team": org.team.slug, "role": "member", "emails": "ny@example.org"}
    )
    allowed = KURS_STATUS[who] == 302 and who != "anonymous"
    assert Invitation.objects.filter(email="ny@example.org", team=org.team).exists() == allowed
    if who == "lead_elsewhere":
        assert response.status_code == 400  # Kurs is not among the teams they may choose
        assert "team" in response.context["form"].errors


def test_a_lead_sees_only_the_invitations_of_the_teams_they_lead(client, org, invite, lead_elsewhere):
    invite("kurs@example.org")
    invite("karriere@example.org", team=org.other_team, by=lead_elsewhere)
    text = client_for(client, lead_elsewhere).get(reverse("people:invitations")).text
    assert "karriere@example.org" in text and "kurs@example.org" not in text
    text = client_for(client, org.section_leader).get(reverse("people:invitations")).text
    assert "karriere@example.org" in text and "kurs@example.org" in text


# --- Paste and upload -----------------------------------------------------------------------------------


def test_pasting_many_addresses_invites_each(client, org):
    response = client_for(client, org.lead).post(
        reverse("people:invite"),
        {"team": org.team.slug, "role": "lead", "emails": "a@example.org, B@example.org\nc@example.org;"},
    )
    assert response.status_code == 302
    assert set(Invitation.objects.values_list("email", "role")) == {
        ("a@example.org", "lead"),
        ("b@example.org", "lead"),
        ("c@example.org", "lead"),
    }


def test_one_bad_address_saves_nothing_and_names_each_problem(client, org, invite):
    invite("pending@example.org")
    addresses = [
        "ok@example.org",
        "not-an-address",
        org.member.email,
        "pending@example.org",
        "ok@example.org",
    ]
    response = client_for(client, org.lead).post(
        reverse("people:invite"),
        {
            "team": org.team.slug,
            "role": "member",
            "emails": "\n".join(addresses),
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].row_errors
    assert len(errors) == 4
    assert any(error.startswith("not-an-address:") for error in errors)
    assert (
        f"{org.member.email}: "
        + str(services.INVITATION_EXISTING_MEMBER % {"email": org.member.email, "team": "Kurs"})
        in errors
    )
    assert any(error.startswith("pending@example.org:") for error in errors)
    assert (
        "ok@example.org: " + str(services.INVITATION_TWICE % {"email": "ok@example.org", "team": "Kurs"})
        in errors
    )
    assert set(Invitation.objects.values_list("email", flat=True)) == {"pending@example.org"}


def test_nothing_to_invite_is_an_error(client, org):
    response = client_for(client, org.lead).post(
        reverse("people:invite"), {"team": org.team.slug, "role": "member"}
    )
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("people.csv", text.encode("utf-8"), content_type="text/csv")


def _xlsx(rows: list[list]) -> SimpleUploadedFile:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("people.xlsx", buffer.getvalue())


def test_a_csv_file_invites_each_row_to_its_team_and_role(client, org):
    upload = _csv("email;name;team;role\nnina@example.org;Nina Ny;kurs;lead\nper@example.org;Per;Karriere;\n")
    response = client_for(client, org.section_leader).post(
        reverse("people:invite"), {"team": org.team.slug, "role": "member", "file": upload}
    )
    assert response.status_code == 302
    rows = set(Invitation.objects.values_list("email", "name", "team__slug", "role"))
    assert rows == {
        ("nina@example.org", "Nina Ny", "kurs", "lead"),
        ("per@example.org", "Per", "karriere", "member"),
    }


def test_an_xlsx_file_without_a_header_uses_the_default_columns(client, org):
    upload = _xlsx(
        [["nina@example.org", "Nina Ny", "Kurs", "medlem"], ["per@example.org", None, None, "teamleder"]]
    )
    response = client_for(client, org.lead).post(
        reverse("people:invite"), {"team": org.team.slug, "role": "member", "file": upload}
    )
    assert response.status_code == 302
    assert set(Invitation.objects.values_list("email", "role")) == {
        ("nina@example.org", "member"),
        ("per@example.org", "lead"),
    }


def test_invalid_rows_are_listed_by_row_and_nothing_is_saved(client, org):
    upload = _xlsx(
        [
            ["E-post", "Navn", "Team", "Rolle"],
            ["nina@example.org", "Nina", "kurs", "member"],
            ["broken", "X", "kurs", "member"],
            ["per@example.org", "Per", "karriere", "member"],  # the lead of Kurs may not invite to Karriere
            ["ola@example.org", "Ola", "kurs", "boss"],
        ]
    )
    response = client_for(client, org.lead).post(
        reverse("people:invite"), {"team": org.team.slug, "role": "member", "file": upload}
    )
    assert response.status_code == 400
    errors = response.context["form"].row_errors
    # "Row 3: …" (the header is row 1), in the page's language.
    assert [error.split(":")[0].split()[-1] for error in errors] == ["3", "4", "5"]
    assert all(error in response.text for error in errors)
    assert not Invitation.objects.exists()


def test_a_file_that_is_not_csv_or_xlsx_is_refused(client, org):
    upload = SimpleUploadedFile("people.pdf", b"%PDF-1.4")
    response = client_for(client, org.lead).post(
        reverse("people:invite"), {"team": org.team.slug, "role": "member", "file": upload}
    )
    assert response.status_code == 400
    assert not Invitation.objects.exists()
    broken = SimpleUploadedFile("people.xlsx", b"not a workbook")
    response = client_for(client, org.lead).post(
        reverse("people:invite"), {"team": org.team.slug, "role": "member", "file": broken}
    )
    assert response.status_code == 400


def test_the_messages_are_translated(client, org, invite):
    invite("pending@example.org")
    client_for(client, org.lead)
    client.cookies["django_language"] = "nb"
    response = client.post(
        reverse("people:invite"), {"team": org.team.slug, "role": "member", "emails": "pending@example.org"}
    )
    assert "har allerede en ventende invitasjon til Kurs" in response.text


# --- Query counts ---------------------------------------------------------------------------------------


def test_the_invitation_list_runs_the_same_queries_for_3_and_30_invitations(
    client, org, invite, django_assert_num_queries
):
    client_for(client, org.section_leader)
    for n in range(3):
        invite(f"a{n}@example.org", by=org.section_leader)
    client.get(reverse("people:invitations"))
    # session, user, memberships, team tree, roles flags, count, page of invitations (with inviter and team)
    with django_assert_num_queries(7) as few:
        client.get(reverse("people:invitations"))
    for n in range(27):
        invite(f"b{n}@example.org", by=org.section_leader)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("people:invitations"))
    assert response.text.count('id="invitation-') == 30


# --- API ------------------------------------------------------------------------------------------------


def api_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


API_CREATE_STATUS = {
    "anonymous": 401,
    "member": 403,
    "lead": 201,
    "lead_elsewhere": 403,
    "section_leader": 201,
    "ambassador": 403,
    "staff": 201,
}


@pytest.mark.parametrize("who", PERSONAS)
def test_who_invites_through_the_api(org, persona, who):
    response = api_for(persona(who)).post(
        "/api/v1/invitations/",
        {"email": "ny@example.org", "team": org.team.pk, "role": "lead"},
        format="json",
    )
    assert response.status_code == API_CREATE_STATUS[who], response.content
    if response.status_code == 201:
        body = response.json()
        assert body["email"] == "ny@example.org" and body["role"] == "lead" and body["state"] == "pending"
        assert Invitation.objects.get(pk=body["id"]).team == org.team
    else:
        assert not Invitation.objects.exists()


def test_the_api_refuses_members_and_duplicates_with_400(org, invite):
    invite("pending@example.org")
    client = api_for(org.lead)
    for email in (org.member.email, "pending@example.org", "broken"):
        response = client.post("/api/v1/invitations/", {"email": email, "team": org.team.pk}, format="json")
        assert response.status_code == 400, email
        assert "email" in response.json()
    assert Invitation.objects.count() == 1


API_LIST_STATUS = {
    "anonymous": 401,
    "member": 403,
    "lead": 200,
    "lead_elsewhere": 200,
    "section_leader": 200,
    "ambassador": 403,
    "staff": 200,
}


@pytest.mark.parametrize("who", PERSONAS)
def test_who_lists_and_revokes_through_the_api(org, persona, invite, who):
    invitation = invite("ny@example.org")
    client = api_for(persona(who))
    response = client.get("/api/v1/invitations/")
    assert response.status_code == API_LIST_STATUS[who]
    if response.status_code == 200:
        ids = [row["id"] for row in response.json()["results"]]
        assert ids == ([invitation.pk] if who in {"lead", "section_leader", "staff"} else [])
    response = client.post(f"/api/v1/invitations/{invitation.pk}/revoke/")
    expected = {"anonymous": 401, "lead": 200, "section_leader": 200, "staff": 200}.get(who, 404)
    assert response.status_code == expected
    invitation.refresh_from_db()
    assert (invitation.revoked_at is not None) == (expected == 200)
    if expected == 200:
        assert client.post(f"/api/v1/invitations/{invitation.pk}/revoke/").status_code == 404
