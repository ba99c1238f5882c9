from __future__ import annotations

import pytest

from okrhub.lib import assign_fields
from teams.models import Team


def test_it_sets_the_allowed_fields():
    team = Team(name="Kurs", slug="kurs")
    assign_fields(team, {"name": "Kurs og arrangementer"}, ("name", "slug"))
    assert (team.name, team.slug) == ("Kurs og arrangementer", "kurs")


def test_it_refuses_a_field_outside_the_allowed_ones_and_changes_nothing():
    team = Team(name="Kurs", slug="kurs")
    with pytest.raises(TypeError, match="parent"):
        assign_fields(team, {"name": "Nytt", "parent": None}, ("name",))
    assert team.name == "Kurs"
