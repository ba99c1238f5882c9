"""manage.py bootstrap: the way a real installation starts, on an empty database."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command

from teams.models import Membership, Team
from teams.permissions import access_for
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.SITE_URL = "http://testserver"


def bootstrap(**options) -> str:
    out = StringIO()
    call_command("bootstrap", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_it_creates_the_top_team_and_an_org_admin_with_a_one_time_link(client):
    output = bootstrap(org="Norsk Fagforbund", admin_email="Kari.Nordmann@fagforbund.no")
    team = Team.objects.get()
    user = get_user_model().objects.get()
    assert (team.name, team.slug, team.parent) == ("Norsk Fagforbund", "norsk-fagforbund", None)
    assert (user.username, user.email, user.has_usable_password()) == (
        "kari.nordmann",
        "Kari.Nordmann@fagforbund.no",
        False,
    )
    assert access_for(user).manages_organisation
    assert Membership.objects.filter(user=user, team=team, role=Membership.Role.LEAD).exists()
    # The link is printed and emailed, absolute from SITE_URL.
    printed = LINK.search(output).group(1)
    (message,) = mail.outbox
    assert message.to == ["Kari.Nordmann@fagforbund.no"]
    assert LINK.search(message.body).group(1) == printed
    assert printed in message.alternatives[0][0]
    # Following it sets the password once.
    response = client.get(printed, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "Langt-passord-42", "new_password2": "Langt-passord-42"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Langt-passord-42")
    assert client.login(username="kari.nordmann", password="Langt-passord-42")
    client.logout()
    # Used once: the same link no longer offers a form.
    response = client.get(printed, follow=True)
    assert b"new_password1" not in response.content


@pytest.mark.parametrize("existing", ["team", "user"])
def test_it_refuses_a_database_that_is_not_empty(existing):
    TeamFactory() if existing == "team" else UserFactory()
    with pytest.raises(CommandError, match="bootstrap only sets up an empty installation"):
        bootstrap(org="Ny", admin_email="ny@example.org")
    assert not mail.outbox
    assert Team.objects.count() + get_user_model().objects.count() == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"org": "Ny", "admin_email": "ikke-en-adresse"}, "is not a valid email"),
        ({"org": " ", "admin_email": "a@b.no"}, "--org"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(options, message):
    with pytest.raises(CommandError, match=message):
        bootstrap(**options)
    assert not Team.objects.exists() and not get_user_model().objects.exists()


def test_a_failing_mail_server_still_leaves_the_printed_link(settings):
    settings.EMAIL_BACKEND = "tests.teams.test_bootstrap.FailingBackend"
    output = bootstrap(org="Ny", admin_email="ny@example.org")
    assert LINK.search(output)


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")
