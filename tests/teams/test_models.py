"""Teams, memberships and profiles: validation in full_clean() and in the database."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from teams.models import Membership, Team
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_membership_exists_once():
    membership = MembershipFactory()
    twice = Membership(user=membership.user, team=membership.team, role=Membership.Role.LEAD)
    with translation.override("en"), pytest.raises(ValidationError, match="already a member"):
        twice.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        twice.save()


def test_one_user_may_belong_to_several_teams():
    user = UserFactory()
    MembershipFactory(user=user, team=TeamFactory(slug="kurs"))
    other = Membership(user=user, team=TeamFactory(slug="karriere"))
    other.full_clean()
    other.save()
    assert user.memberships.count() == 2


def test_a_team_cannot_be_its_own_parent():
    team = TeamFactory()
    team.parent = team
    with pytest.raises(ValidationError) as error:
        team.full_clean()
    assert "parent" in error.value.message_dict


def test_a_team_cannot_be_placed_below_its_descendant():
    organisation = TeamFactory(slug="org")
    section = TeamFactory(slug="seksjon", parent=organisation)
    team = TeamFactory(slug="team", parent=section)
    organisation.parent = team
    with translation.override("en"), pytest.raises(ValidationError, match="below itself"):
        organisation.full_clean()


def test_a_team_can_move_elsewhere_in_the_tree():
    organisation = TeamFactory(slug="org")
    section = TeamFactory(slug="seksjon", parent=organisation)
    other_section = TeamFactory(slug="annen-seksjon", parent=organisation)
    team = TeamFactory(slug="team", parent=section)
    team.parent = other_section
    team.full_clean()
    new_team = Team(name="Nytt team", slug="nytt-team", parent=team)
    new_team.full_clean()


def test_team_defaults_remind_on_thursday_at_two_in_oslo():
    team = Team.objects.create(name="Kurs", slug="kurs")
    assert (team.reminder_weekday, team.reminder_hour, team.time_zone) == (4, 14, "Europe/Oslo")


@pytest.mark.parametrize(
    ("field", "value"),
    [("reminder_hour", 24), ("reminder_weekday", 0), ("reminder_weekday", 8), ("time_zone", "Europe/Bergen")],
)
def test_team_reminder_settings_are_validated(field, value):
    team = TeamFactory()
    setattr(team, field, value)
    with pytest.raises(ValidationError) as error:
        team.full_clean()
    assert field in error.value.message_dict


@pytest.mark.parametrize(("field", "value"), [("reminder_hour", 24), ("reminder_weekday", 8)])
def test_the_database_refuses_reminder_settings_out_of_range(field, value):
    team = TeamFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.filter(pk=team.pk).update(**{field: value})


def test_team_slugs_are_unique():
    TeamFactory(slug="kurs")
    with pytest.raises(ValidationError):
        Team(name="Kurs 2", slug="kurs").full_clean()


def test_a_team_with_teams_below_it_is_not_deleted_by_accident():
    section = TeamFactory(slug="seksjon")
    TeamFactory(slug="team", parent=section)
    with pytest.raises(IntegrityError), transaction.atomic():
        section.delete()
