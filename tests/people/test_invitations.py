"""Invitations: the rules (one pending per address and team, not for members), the email, and accepting."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from teams import people_services as services
from teams.emails import invitation_accept_url
from teams.models import Invitation, Membership, Team
from teams.people_selectors import invitable_teams
from teams.people_views import INVITATION_STATE_MESSAGES
from teams.permissions import access_for
from tests.factories import MembershipFactory, ProfileFactory, UserFactory

User = get_user_model()
pytestmark = pytest.mark.django_db


def accept_path(invitation) -> str:
    return reverse("invitation_accept", args=[services.invitation_token(invitation)])


def test_an_invitation_is_pending_for_invitation_days(org, invite, settings):
    settings.INVITATION_DAYS = 3
    invitation = invite("Ny.Person@Example.org ")
    assert invitation.email == "ny.person@example.org"
    assert invitation.state_at(timezone.now()) == Invitation.State.PENDING
    assert abs(invitation.expires_at - invitation.created_at - dt.timedelta(days=3)) < dt.timedelta(seconds=5)
    assert invitation.invited_by == org.lead


def test_it_refuses_a_second_pending_invitation_to_the_same_team(org, invite):
    invite("ny@example.org")
    with pytest.raises(ValidationError) as error:
        invite("NY@example.org")
    assert error.value.messages == [
        str(services.INVITATION_DUPLICATE % {"email": "ny@example.org", "team": "Kurs"})
    ]
    assert Invitation.objects.count() == 1
    # Another team is another invitation.
    invite("ny@example.org", team=org.other_team, by=org.section_leader)
    assert Invitation.objects.count() == 2


def test_the_database_holds_one_open_invitation_per_address_and_team(org, invite):
    first = invite("ny@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(email=first.email, team=org.team, nonce="x", expires_at=first.expires_at)


def test_it_refuses_an_address_that_is_already_a_member(org, invite):
    with pytest.raises(ValidationError) as error:
        invite(org.member.email.upper())
    assert error.value.messages == [
        str(services.INVITATION_EXISTING_MEMBER % {"email": org.member.email, "team": "Kurs"})
    ]
    assert not Invitation.objects.exists()


def test_it_refuses_a_bad_address_and_a_bad_role(org, invite):
    with pytest.raises(ValidationError):
        invite("not-an-address")
    with pytest.raises(ValidationError):
        invite("ny@example.org", role="boss")
    assert not Invitation.objects.exists()


def test_inviting_again_after_expiry_renews_the_invitation(org, invite, time_machine):
    old = invite("ny@example.org")
    old_token = services.invitation_token(old)
    time_machine.move_to(timezone.now() + dt.timedelta(days=8))
    renewed = invite("ny@example.org", role=Membership.Role.LEAD)
    assert renewed.pk == old.pk and renewed.role == Membership.Role.LEAD
    assert renewed.state_at(timezone.now()) == Invitation.State.PENDING
    assert services.invitation_from_token(old_token) is None


def test_a_revoked_invitation_makes_room_for_a_new_one(org, invite):
    old = invite("ny@example.org")
    services.invitation_revoke(invitation=old)
    new = invite("ny@example.org")
    assert new.pk != old.pk


def test_resend_makes_a_new_link_and_the_old_one_stops_working(org, invite):
    invitation = invite("ny@example.org")
    old_token = services.invitation_token(invitation)
    invitation = services.invitation_resend(invitation=invitation)
    assert services.invitation_from_token(old_token) is None
    assert services.invitation_from_token(services.invitation_token(invitation)) == invitation


def test_a_forged_token_finds_nothing(org, invite):
    invitation = invite("ny@example.org")
    assert services.invitation_from_token(f"{invitation.pk}:{invitation.nonce}") is None
    assert services.invitation_from_token("") is None


def test_the_email_is_sent_after_commit_with_a_working_link(
    org, invite, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite("ny@example.org", name="Nina Ny")
    (message,) = mailoutbox
    assert message.to == ["ny@example.org"]
    assert "Kurs" in message.subject
    html = message.alternatives[0][0]
    url = invitation_accept_url(invitation)
    assert url in message.body and url in html
    assert "Nina Ny" in message.body
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


def test_the_email_is_in_the_site_language_or_the_invitees(
    org, invite, mailoutbox, celery_eager, django_capture_on_commit_callbacks, settings
):
    settings.LANGUAGE_CODE = "nb"
    with django_capture_on_commit_callbacks(execute=True):
        invite("ny@example.org")
    assert "invitert" in mailoutbox[-1].subject
    english = UserFactory(username="english", email="english@example.org")
    ProfileFactory(user=english, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        invite("english@example.org")
    assert "invited" in mailoutbox[-1].subject


def test_a_revoked_invitation_sends_nothing(org, invite, mailoutbox, celery_eager):
    from teams.tasks import send_invitation

    invitation = invite("ny@example.org")
    services.invitation_revoke(invitation=invitation)
    assert send_invitation.delay(invitation.pk).get() == "not_pending"
    assert mailoutbox == []


# --- Accepting ------------------------------------------------------------------------------------------


def test_a_new_person_sets_name_and_password_and_lands_on_my_week(client, org, invite):
    invitation = invite("nina.ny@example.org", name="Nina Ny")
    path = accept_path(invitation)
    page = client.get(path)
    assert page.status_code == 200
    assert 'name="new_password1"' in page.text and 'name="new_password2"' in page.text
    assert 'value="Nina"' in page.text
    response = client.post(
        path,
        {
            "first_name": "Nina",
            "last_name": "Ny",
            "new_password1": "kursdeltaker-2027",
            "new_password2": "kursdeltaker-2027",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("checkins:my_week")
    user = User.objects.get(email="nina.ny@example.org")
    assert (user.first_name, user.last_name, user.username) == ("Nina", "Ny", "nina.ny")
    assert user.check_password("kursdeltaker-2027")
    assert Membership.objects.filter(user=user, team=org.team, role=Membership.Role.MEMBER).exists()
    assert response.context["user"] == user
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.accepted_by == user


def test_a_used_link_says_so_and_offers_nothing(client, org, invite):
    invitation = invite("ny@example.org")
    path = accept_path(invitation)
    client.post(
        path,
        {
            "first_name": "N",
            "last_name": "Y",
            "new_password1": "kursdeltaker-2027",
            "new_password2": "kursdeltaker-2027",
        },
    )
    client.logout()
    response = client.get(path)
    assert response.status_code == 410
    assert str(INVITATION_STATE_MESSAGES[Invitation.State.ACCEPTED]) in response.text
    assert '<form method="post" novalidate' not in response.text and "new_password1" not in response.text
    assert (
        client.post(
            path,
            {
                "first_name": "X",
                "last_name": "Y",
                "new_password1": "a-new-pass-2027",
                "new_password2": "a-new-pass-2027",
            },
        ).status_code
        == 410
    )
    assert User.objects.filter(email="ny@example.org").count() == 1


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_an_expired_or_revoked_link_says_so_and_offers_nothing(client, org, invite, time_machine, state):
    invitation = invite("ny@example.org")
    path = accept_path(invitation)
    if state == "revoked":
        services.invitation_revoke(invitation=invitation)
    else:
        time_machine.move_to(timezone.now() + dt.timedelta(days=8))
    response = client.get(path)
    assert response.status_code == 410
    assert str(INVITATION_STATE_MESSAGES[state]) in response.text
    assert "new_password1" not in response.text
    client.post(
        path,
        {
            "first_name": "N",
            "last_name": "Y",
            "new_password1": "kursdeltaker-2027",
            "new_password2": "kursdeltaker-2027",
        },
    )
    assert not User.objects.filter(email="ny@example.org").exists()


def test_a_superseded_or_garbled_link_is_not_valid(client, org, invite):
    invitation = invite("ny@example.org")
    path = accept_path(invitation)
    services.invitation_resend(invitation=invitation)
    assert client.get(path).status_code == 410
    assert client.get(reverse("invitation_accept", args=["garbage"])).status_code == 410


def test_bad_passwords_are_refused_and_nothing_is_saved(client, org, invite):
    invitation = invite("ny@example.org")
    response = client.post(
        accept_path(invitation),
        {
            "first_name": "Nina",
            "last_name": "Ny",
            "new_password1": "kursdeltaker-2027",
            "new_password2": "different-2027",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["new_password2"]
    response = client.post(
        accept_path(invitation),
        {"first_name": "Nina", "last_name": "Ny", "new_password1": "123", "new_password2": "123"},
    )
    assert response.status_code == 400
    assert not User.objects.filter(email="ny@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_someone_with_an_account_joins_after_signing_in(client, org, invite):
    invitation = invite(org.outsider.email, role=Membership.Role.LEAD)
    path = accept_path(invitation)
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(org.outsider)
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    assert Membership.objects.get(user=org.outsider, team=org.team).role == Membership.Role.LEAD
    assert client.get(path).status_code == 410


def test_another_signed_in_account_cannot_take_the_invitation(client, org, invite):
    invitation = invite(org.outsider.email)
    client.force_login(org.teammate)
    response = client.post(accept_path(invitation))
    assert response.status_code == 403
    assert str(services.INVITATION_WRONG_ACCOUNT) in response.text
    assert not Membership.objects.filter(user=org.outsider, team=org.team).exists()


def test_the_accept_page_escapes_the_name_and_team(client, org, invite):
    org.team.name = "<b>Kurs</b>"
    org.team.save()
    invitation = invite("ny@example.org", name="<script>x</script> Ny")
    response = client.get(accept_path(invitation))
    assert "<script>x</script>" not in response.text and "<b>Kurs</b>" not in response.text
    assert re.search(r"&lt;b&gt;Kurs&lt;/b&gt;", response.text)


def test_an_existing_member_elsewhere_may_be_invited(org, invite):
    MembershipFactory(user=org.outsider, team=org.section)
    assert invite(org.outsider.email).team == org.team


def test_an_archived_team_takes_no_invitations_and_is_not_offered(org, invite):
    Team.objects.filter(pk=org.team.pk).update(archived_at=timezone.now())
    org.team.refresh_from_db()
    with override("en"), pytest.raises(ValidationError) as error:
        invite("ny@example.org")
    assert "Kurs is archived" in " ".join(error.value.messages)
    assert not Invitation.objects.filter(email="ny@example.org").exists()
    assert org.team not in invitable_teams(access=access_for(org.staff))
