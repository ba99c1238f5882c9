"""A form field that chooses a team (teams.forms.TeamField): a search, never a list of every team, in the
invitation, move and integration forms; its endpoint offers only the teams that form may choose."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.models import Endpoint
from teams.forms import TEAM_FIELD_NONE, TEAM_FIELD_REFUSED, TEAM_FIELD_SEVERAL
from teams.models import Invitation, Membership, Team
from teams.search import TEAM_SEARCH_LIMIT
from tests.factories import MembershipFactory, TeamFactory, UserFactory

INVITE = reverse("people:invite")
INTEGRATIONS = reverse("integrations:index")
PICK = reverse("organisation:team_pick")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def _organisation(size: int) -> Team:
    section = TeamFactory(name=f"Seksjon {size}", slug=f"seksjon-{size}")
    for number in range(size):
        TeamFactory(name=f"Lag {size}-{number:03d}", slug=f"lag-{size}-{number}", parent=section)
    return section


def _move(team: Team) -> str:
    return reverse("organisation:team_move", args=[team.pk])


def _radios(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="radio" name="{name}_choice" value="([^"]+)"', html)


def _invite(client, **team):
    return client.post(INVITE, {"role": "member", "emails": "ny@example.org", **team})


# --- The pages no longer list every team --------------------------------------------------------------------


@pytest.mark.parametrize("page", ["invite", "integrations", "move"])
def test_the_pages_do_not_grow_with_the_organisation(org, login, page):
    client = login(org.staff)
    url = {"invite": INVITE, "integrations": INTEGRATIONS, "move": _move(org.team)}[page]
    sizes = {}
    for size in (5, 50):
        _organisation(size)
        html = client.get(url).content.decode()
        assert not re.search(r"Lag \d+-\d+", html), "no team's name on the page"
        assert "<select" not in html.split("data-team-field", 1)[1].split("</span>\n", 1)[0]
        sizes[size] = (html.count("<option"), len(re.sub(r'value="[^"]{32,}"', "", html)))
    assert sizes[5] == sizes[50]
    assert sizes[50][0] < 10  # the role's or the kind's choices and the language menu, not 50 teams


def test_the_field_is_a_labelled_text_field_with_the_chosen_team(org, login):
    html = login(org.staff).get(_move(org.team)).content.decode()
    assert '<label for="id_move-parent">New parent team</label>' in html
    assert 'id="id_move-parent" name="move-parent_query" value="Kompetansesenteret"' in html
    assert '<input type="hidden" name="move-parent" value="kompetansesenteret" data-team-value>' in html
    assert f'data-team-search-url="{PICK}?purpose=move&amp;team={org.team.pk}"' in html
    html = login(org.lead).get(INVITE, {"team": org.team.pk}).content.decode()
    assert 'name="team_query" value="Kurs"' in html and 'name="team" value="kurs"' in html


# --- The invitation form ------------------------------------------------------------------------------------


def test_invite_by_slug_and_by_a_unique_typed_name(org, login):
    client = login(org.staff)
    assert _invite(client, team="kurs").status_code == 302
    response = client.post(INVITE, {"role": "member", "emails": "to@example.org", "team_query": " karr "})
    assert response.status_code == 302
    assert Invitation.objects.get(email="to@example.org").team == org.other_team
    # The script's slug, with its name in the text.
    response = client.post(
        INVITE, {"role": "member", "emails": "tre@example.org", "team": "kurs", "team_query": "Kurs"}
    )
    assert Invitation.objects.get(email="tre@example.org").team == org.team


def test_a_name_typed_over_the_chosen_team_counts(org, login):
    client = login(org.staff)
    response = client.post(
        INVITE, {"role": "member", "emails": "ny@example.org", "team": "kurs", "team_query": "Karriere"}
    )
    assert response.status_code == 302
    assert Invitation.objects.get().team == org.other_team


def test_several_matches_are_offered_as_radio_buttons(org, login):
    TeamFactory(name="Kurs", slug="kurs-2", parent=org.other_team)
    client = login(org.staff)
    response = _invite(client, team="", team_query="kurs")
    assert response.status_code == 400
    assert not Invitation.objects.exists()
    html = response.content.decode()
    assert str(TEAM_FIELD_SEVERAL % {"query": "kurs"}) in html
    assert sorted(_radios(html, "team")) == ["kurs", "kurs-2"]
    assert '<span class="team-picker-path">Kompetansesenteret › Karriere ›</span>' in html
    # Without JavaScript: the radio button chosen is the team.
    response = _invite(client, team="", team_query="kurs", team_choice="kurs-2")
    assert response.status_code == 302
    assert Invitation.objects.get().team.slug == "kurs-2"


def test_unknown_and_foreign_teams_are_refused_and_nothing_is_saved(org, login):
    other = TeamFactory(name="Helse", slug="helse")
    client = login(org.lead)  # leads Kurs only
    for data, message in [
        ({"team_query": "Ingen slik"}, TEAM_FIELD_NONE % {"query": "Ingen slik"}),
        ({"team_query": "Helse"}, TEAM_FIELD_NONE % {"query": "Helse"}),  # as if it did not exist
        ({"team_query": "Karriere"}, TEAM_FIELD_NONE % {"query": "Karriere"}),
        ({"team": other.slug}, TEAM_FIELD_REFUSED),
        ({"team_choice": "karriere", "team_query": "k"}, TEAM_FIELD_REFUSED),
        ({"team": "no-such-team"}, TEAM_FIELD_REFUSED),
    ]:
        response = _invite(client, **data)
        assert response.status_code == 400, data
        assert str(message) in response.content.decode()
        assert _radios(response.content.decode(), "team") == []  # nothing beyond what the form allows
    assert not Invitation.objects.exists()


def test_the_invitation_field_is_required(org, login):
    response = _invite(login(org.staff), team="", team_query="  ")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


# --- The move form ------------------------------------------------------------------------------------------


def test_move_by_slug_by_typed_name_and_to_the_top_level(org, login):
    client = login(org.staff)
    target = TeamFactory(name="Helse", slug="helse")
    assert client.post(_move(org.team), {"move-parent": "helse"}).status_code == 302
    org.team.refresh_from_db()
    assert org.team.parent == target
    client.post(_move(org.team), {"move-parent": "helse", "move-parent_query": "kompetanse"})
    org.team.refresh_from_db()
    assert org.team.parent == org.section
    # Emptied: the top level (organisation admins may).
    client.post(_move(org.team), {"move-parent": "kompetansesenteret", "move-parent_query": ""})
    org.team.refresh_from_db()
    assert org.team.parent is None


def test_move_refuses_unknown_and_foreign_parents(org, login):
    TeamFactory(name="Karriere", slug="karriere-2")
    TeamFactory(name="Helse", slug="helse")
    client = login(org.section_leader)  # leads Kompetansesenteret and the teams below it
    # Typed, one of the leader's teams matches: Karriere, not the Karriere outside their subtree.
    assert client.post(_move(org.team), {"move-parent_query": "Karr"}).status_code == 302
    org.team.refresh_from_db()
    assert org.team.parent == org.other_team
    cases = [
        ({"move-parent_query": "Ingen"}, TEAM_FIELD_NONE % {"query": "Ingen"}),
        ({"move-parent_query": "Helse"}, TEAM_FIELD_NONE % {"query": "Helse"}),
        ({"move-parent": "helse"}, TEAM_FIELD_REFUSED),
        ({"move-parent": "karriere-2", "move-parent_query": "Karriere"}, TEAM_FIELD_REFUSED),
        ({"move-parent_query": ""}, "This field is required."),  # a lead may not move to the top level
    ]
    for data, message in cases:
        response = client.post(_move(org.team), data)
        assert response.status_code == 400, data
        assert str(message) in response.content.decode()
        org.team.refresh_from_db()
        assert org.team.parent == org.other_team


def test_move_offers_several_of_the_same_name_to_choose(org, login):
    TeamFactory(name="Karriere", slug="karriere-2", parent=org.section)
    response = login(org.staff).post(_move(org.team), {"move-parent_query": "karriere"})
    assert response.status_code == 400
    assert sorted(_radios(response.content.decode(), "move-parent")) == ["karriere", "karriere-2"]
    org.team.refresh_from_db()
    assert org.team.parent == org.section


# --- The integrations page ----------------------------------------------------------------------------------


def test_integrations_add_opens_the_form_for_the_chosen_team(org, login):
    client = login(org.lead)
    response = client.get(INTEGRATIONS, {"new-team_query": "kurs", "new-kind": "slack"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('integrations:new')}?kind=slack&team=kurs"
    response = client.get(INTEGRATIONS, {"new-team": "kurs", "new-kind": "webhook"})
    assert response["Location"] == f"{reverse('integrations:new')}?kind=webhook&team=kurs"


def test_integrations_add_refuses_other_teams(org, login):
    client = login(org.lead)
    for data, message in [
        ({"new-team_query": "Karriere"}, TEAM_FIELD_NONE % {"query": "Karriere"}),
        ({"new-team": "karriere"}, TEAM_FIELD_REFUSED),
    ]:
        response = client.get(INTEGRATIONS, {**data, "new-kind": "webhook"})
        assert response.status_code == 400
        assert str(message) in response.content.decode()
    assert not Endpoint.objects.exists()


def test_integrations_add_offers_several_to_choose(org, login):
    TeamFactory(name="Kursadministrasjon", slug="kursadm")
    response = login(org.staff).get(INTEGRATIONS, {"new-team_query": "kur", "new-kind": "webhook"})
    assert response.status_code == 400
    assert sorted(_radios(response.content.decode(), "new-team")) == ["kurs", "kursadm"]


# --- The search endpoint ------------------------------------------------------------------------------------


def _slugs(response) -> list[str]:
    return [match["slug"] for match in response.json()["matches"]]


def test_the_endpoint_needs_a_login_and_only_get(client, org):
    response = client.get(PICK, {"purpose": "invite", "q": "k"})
    assert response.status_code == 302
    client.force_login(org.staff)
    assert client.post(PICK, {"purpose": "invite", "q": "k"}).status_code == 405


def test_the_endpoint_offers_only_what_the_form_may_choose(org, login):
    TeamFactory(name="Kursadministrasjon", slug="kursadm")
    client = login(org.lead)
    assert _slugs(client.get(PICK, {"purpose": "invite", "q": "k"})) == ["kurs"]
    assert _slugs(client.get(PICK, {"purpose": "integration", "q": "k"})) == ["kurs"]
    response = client.get(PICK, {"purpose": "invite", "q": "kurs"})
    assert response.json() == {
        "status": "1 team matches “kurs”.",
        "matches": [{"slug": "kurs", "name": "Kurs", "path": "Kompetansesenteret"}],
    }
    # A lead may move no team here: Kurs's parent is not theirs.
    assert client.get(PICK, {"purpose": "move", "team": org.team.pk, "q": "k"}).status_code == 403
    client = login(org.section_leader)
    response = client.get(PICK, {"purpose": "move", "team": org.team.pk, "q": "k"})
    assert _slugs(response) == ["karriere", "kompetansesenteret"]  # not Kurs itself, nor other teams
    assert client.get(PICK, {"purpose": "move", "team": "x", "q": "k"}).status_code == 403
    assert client.get(PICK, {"purpose": "move", "team": "999999", "q": "k"}).status_code == 404


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_people_without_the_form_get_nothing(org, login, who):
    client = login(getattr(org, who))
    for purpose in ("invite", "integration", "nonsense", ""):
        assert client.get(PICK, {"purpose": purpose, "q": "k"}).status_code == 403


def test_the_endpoint_shows_at_most_the_limit_and_escapes(db, client):
    _organisation(TEAM_SEARCH_LIMIT + 5)
    user = UserFactory(is_staff=True)
    client.force_login(user)
    data = client.get(PICK, {"purpose": "invite", "q": "lag"}).json()
    assert len(data["matches"]) == TEAM_SEARCH_LIMIT
    assert data["status"].startswith(f"More than {TEAM_SEARCH_LIMIT} teams match")
    assert client.get(PICK, {"purpose": "invite", "q": "\x00%_"}).status_code == 200
    assert client.get(PICK, {"purpose": "invite", "q": ""}).json() == {"status": "", "matches": []}


def test_the_endpoint_makes_the_same_queries_at_any_size(db, client, django_assert_num_queries):
    lead = UserFactory()
    sizes = []
    for size in (5, 50):
        section = _organisation(size)
        MembershipFactory(user=lead, team=section, role=Membership.Role.LEAD)
        moving = Team.objects.filter(parent=section).first()
        for purpose, extra in (("invite", {}), ("integration", {}), ("move", {"team": moving.pk})):
            client.force_login(lead)
            client.get(PICK, {"purpose": purpose, "q": "lag", **extra})  # warm: the process's team tree
            with CaptureQueriesContext(connection) as queries:
                response = client.get(PICK, {"purpose": purpose, "q": "lag", **extra})
            assert response.status_code == 200 and response.json()["matches"]
            sizes.append((size, purpose, len(queries)))
    counts = {(purpose, count) for _size, purpose, count in sizes}
    assert len(counts) == 3, sizes
    for purpose, count in counts:
        with django_assert_num_queries(count):
            client.get(PICK, {"purpose": purpose, "q": "lag 50", "team": moving.pk})
