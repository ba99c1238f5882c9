from __future__ import annotations

from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_healthz_answers_ok_even_when_the_database_does_not(client):
    # Liveness: a database outage must not get every web process restarted (readiness says it: /readyz).
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 200


@pytest.mark.django_db
def test_login_page_is_public(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/teams/"])
def test_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_team_list_shows_the_tree(org, login):
    response = login(org.member).get(reverse("teams:list"))
    assert response.status_code == 200
    tree = response.content.decode().split('class="team-tree"')[1]  # below one's own teams
    assert tree.index("Kompetansesenteret") < tree.index("Kurs")


@pytest.mark.parametrize("extra", [5, 250])
def test_the_team_list_pages_through_thousands_of_teams(org, login, extra, django_assert_num_queries):
    from dashboards.team_views import TEAMS_PER_PAGE
    from teams.models import Team
    from teams.tree import tree_changed

    Team.objects.bulk_create(
        [Team(name=f"Team {n:04}", slug=f"team-{n:04}", parent=org.section) for n in range(extra)]
    )
    tree_changed()
    client = login(org.member)
    # session, user, memberships, profile flags, the team tree's generation: the same at any size
    with django_assert_num_queries(5):
        response = client.get(reverse("teams:list"))
    content = response.content.decode()
    total = Team.objects.count()
    assert content.count('class="team-tree-item') == min(total, TEAMS_PER_PAGE)
    # One's own team on top, whichever page it is on in the tree.
    mine = content.split('class="team-mine"')[1].split("</ul>")[0]
    assert org.team.name in mine and org.other_team.name not in mine
    if total > TEAMS_PER_PAGE:
        assert 'rel="next"' in content and 'rel="prev"' not in content
        last = client.get(reverse("teams:list"), {"page": 3}).content.decode()
        assert last.count('class="team-tree-item') == total - 2 * TEAMS_PER_PAGE
        assert 'rel="prev"' in last and "hx-get" not in last.split('class="pagination')[1]
    else:
        assert 'class="pagination' not in content
