"""The dashboard's team picker: a search, never a list of every team; the endpoint and the plain form."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from dashboards.selectors import TEAM_QUERY_MAX, TEAM_SEARCH_LIMIT, team_search
from tests.factories import CycleFactory, TeamFactory, UserFactory

URL = reverse("dashboards:index")
SEARCH = reverse("dashboards:team_search")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def _links(html: str) -> list[str]:
    """The scopes the picker's matches link to."""
    region = html.split('id="team-picker-results"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="[^"]*scope=([^"&]+)"', region)


def _picker(html: str) -> str:
    """The picker's part of the dashboard: the field and the matches."""
    start = html.index('<div class="team-picker">')
    return html[start : html.index("</ul>", start)]


def _organisation(size: int) -> None:
    section = TeamFactory(name=f"Seksjon {size}", slug=f"seksjon-{size}")
    for number in range(size):
        TeamFactory(name=f"Lag {size}-{number:03d}", slug=f"lag-{size}-{number}", parent=section)


# --- The dashboard page -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [5, 50])
def test_the_dashboard_no_longer_lists_every_team(db, client, size):
    CycleFactory(name="Q1 test")
    _organisation(size)
    client.force_login(UserFactory())
    html = client.get(URL).content.decode()
    picker = _picker(html)
    assert "<select" not in picker and "<option" not in picker
    assert 'name="q"' in picker and 'type="search"' in picker
    assert not re.search(r"Lag \d+-\d+", picker)  # not a single team's name, at 5 or at 50 teams
    # The cycle is the filters' only select left, and it lists cycles.
    filters = html.split('id="dashboard-filters"', 1)[1].split("</form>", 1)[0]
    assert filters.count("<select") == 1 and filters.count("<option") == 1


def test_the_picker_size_does_not_grow_with_the_organisation(db, client):
    CycleFactory(name="Q1 test")
    _organisation(5)
    client.force_login(UserFactory())
    small = len(_picker(client.get(URL).content.decode()))
    _organisation(50)
    assert len(_picker(client.get(URL).content.decode())) == small


def test_the_field_shows_the_current_scope_and_the_breadcrumbs_stay(org, login):
    html = login(org.member).get(URL, {"scope": "kurs"}).content.decode()
    assert 'name="scope" value="kurs"' in html
    assert re.search(r'name="q" value="Kurs"', html)
    assert '<label for="team-picker-input">Team</label>' in html
    breadcrumbs = html.split('class="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    assert "Whole organisation" in breadcrumbs and "Kompetansesenteret" in breadcrumbs


def test_a_typed_name_of_one_team_shows_that_team(org, login):
    client = login(org.member)
    response = client.get(URL, {"cycle": org.cycle.pk, "scope": "", "q": "karr"})
    assert response.context["scope"].team == org.other_team
    assert response.context["search"] is None
    assert re.search(r'name="q" value="Karriere"', response.content.decode())


def test_a_typed_name_of_several_teams_lists_them_to_choose_from(org, login):
    TeamFactory(name="Kurs", slug="kurs-2", parent=org.other_team)  # the same name, elsewhere in the tree
    response = login(org.member).get(URL, {"cycle": org.cycle.pk, "scope": "", "q": "  KURS "})
    assert response.context["scope"].team is None  # the scope stays until a team is chosen
    html = response.content.decode()
    assert sorted(_links(html)) == ["kurs", "kurs-2"]
    assert "2 teams match “KURS”." in html
    # Each with its path: the two teams named Kurs are told apart.
    assert "Kompetansesenteret ›</span>" in html
    assert "Kompetansesenteret › Karriere ›</span>" in html
    assert f"?cycle={org.cycle.pk}&amp;scope=kurs-2" in html


def test_the_full_name_of_one_team_wins_over_longer_names(org, login):
    TeamFactory(name="Kursadministrasjon", slug="kursadm", parent=org.section)
    response = login(org.member).get(URL, {"q": "kurs"})
    assert response.context["scope"].team == org.team


def test_no_match_says_so_and_keeps_the_scope(org, login):
    response = login(org.member).get(URL, {"scope": "kurs", "q": "Ingen slik"})
    assert response.context["scope"].team == org.team
    assert "No team’s name contains “Ingen slik”." in response.content.decode()


def test_changing_only_the_cycle_keeps_the_scope(org, login):
    other = CycleFactory(name="Q2 test")
    response = login(org.member).get(URL, {"cycle": other.pk, "scope": "kurs", "q": "Kurs"})
    assert response.context["scope"].team == org.team
    assert response.context["cycle"] == other


def test_an_emptied_field_shows_the_whole_organisation(org, login):
    response = login(org.member).get(URL, {"scope": "kurs", "q": ""})
    assert response.context["scope"].team is None


def test_links_without_q_keep_their_scope(org, login):
    response = login(org.member).get(URL, {"scope": "karriere"})
    assert response.context["scope"].team == org.other_team


def test_the_filters_change_on_the_cycle_not_on_typing(org, login):
    html = login(org.member).get(URL).content.decode()
    assert 'hx-trigger="change from:#id_cycle, submit"' in html
    assert 'hx-trigger="input changed delay:250ms, search"' in html


# --- The search endpoint ------------------------------------------------------------------------------------


def test_the_search_needs_a_login_and_only_get(client, org):
    response = client.get(SEARCH, {"q": "kurs"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(org.member)
    assert client.post(SEARCH, {"q": "kurs"}).status_code == 405


def test_the_search_lists_matches_with_their_path_and_the_cycle(org, login):
    response = login(org.outsider).get(
        SEARCH, {"q": "k", "cycle": str(org.cycle.pk)}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert _links(f'<ul id="team-picker-results">{html}</ul>') == ["karriere", "kompetansesenteret", "kurs"]
    assert f'href="/dashboards/?cycle={org.cycle.pk}&amp;scope=kurs"' in html
    assert 'hx-target="#dashboard-content"' in html
    assert '<span class="team-picker-path">Kompetansesenteret ›</span>' in html
    # The live status is updated in place (out of band), not replaced.
    assert '<p id="team-picker-status" hx-swap-oob="innerHTML">3 teams match “k”.</p>' in html


def test_the_search_is_case_insensitive_for_norwegian_letters(db, client):
    TeamFactory(name="Økonomi og lønn", slug="okonomi")
    TeamFactory(name="Kultur", slug="kultur")
    client.force_login(UserFactory())
    assert _links(
        f'<ul id="team-picker-results">{client.get(SEARCH, {"q": "ØKONOMI"}).content.decode()}</ul>'
    ) == ["okonomi"]
    if connection.vendor == "postgresql":  # SQLite's LIKE folds only ASCII letters
        html = client.get(SEARCH, {"q": "økonomi og LØNN"}).content.decode()
        assert "okonomi" in html


def test_the_search_escapes_and_cuts_what_was_typed(org, login):
    client = login(org.member)
    html = client.get(SEARCH, {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    response = client.get(SEARCH, {"q": "k" * 100_000, "cycle": "9" * 5000})
    assert response.status_code == 200
    assert "k" * TEAM_QUERY_MAX + "”" in response.content.decode()
    assert "k" * (TEAM_QUERY_MAX + 1) not in response.content.decode()
    for odd in ("%", "_", "\x00", "'; drop table teams_team; --"):
        assert client.get(SEARCH, {"q": odd}).status_code == 200
    for odd in ("<b>" * 1000, "ku\x00rs"):
        assert client.get(URL, {"q": odd}).status_code == 200


def test_an_empty_search_lists_nothing(org, login):
    html = login(org.member).get(SEARCH, {"q": "   "}).content.decode()
    assert "<a " not in html
    assert '<p id="team-picker-status" hx-swap-oob="innerHTML"></p>' in html


def test_more_matches_than_shown_are_said_to_be_more(db, client):
    _organisation(TEAM_SEARCH_LIMIT + 5)
    client.force_login(UserFactory())
    html = client.get(SEARCH, {"q": "lag"}).content.decode()
    assert html.count("<li>") == TEAM_SEARCH_LIMIT
    assert f"More than {TEAM_SEARCH_LIMIT} teams match “lag”" in html


@pytest.mark.parametrize("size", [5, 50])
def test_the_search_runs_the_same_queries_for_5_and_50_teams(db, client, size, django_assert_num_queries):
    top = TeamFactory(name="Kommune", slug="kommune")
    section = TeamFactory(name=f"Seksjon {size}", slug=f"seksjon-{size}", parent=top)
    for number in range(size):
        TeamFactory(name=f"Lag {number:03d}", slug=f"lag-{number}", parent=section)
    client.force_login(UserFactory())
    # The session and the user, the matches, and the team tree's generation (the paths come from the tree
    # this process keeps, teams.tree).
    with django_assert_num_queries(4):
        response = client.get(SEARCH, {"q": "lag"})
    assert response.content.decode().count("<li>") == min(size, TEAM_SEARCH_LIMIT)


def test_team_search_gives_each_match_its_path(org):
    search = team_search(query="kurs")
    assert [(m.team.slug, [t.slug for t in m.path]) for m in search.matches] == [
        ("kurs", ["kompetansesenteret"])
    ]
    assert search.only_team == org.team
    assert team_search(query="").matches == []


def test_the_picker_speaks_norwegian(org, login, settings):
    settings.LANGUAGE_CODE = "nb"
    client = login(org.member)
    client.cookies["django_language"] = "nb"
    html = client.get(SEARCH, {"q": "k"}).content.decode()
    assert "3 team passer til «k»." in html
    page = client.get(URL, {"q": "ingen slik"}).content.decode()
    assert "Ingen team har «ingen slik» i navnet." in page
    assert "Skriv en del av teamets navn" in page


def test_a_typed_name_one_team_has_is_its_scope_even_behind_twenty_longer_names(db, client):
    for number in range(TEAM_SEARCH_LIMIT + 5):
        TeamFactory(name=f"Alag {number:02d}", slug=f"alag-{number}")  # contain "lag", sort before "Lag"
    exact = TeamFactory(name="Lag", slug="lag-selve")
    client.force_login(UserFactory())
    response = client.get(reverse("dashboards:index"), {"q": "lag"})
    assert response.context["scope"].team == exact
