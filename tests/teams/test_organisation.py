"""The Organisation page: the team tree with create, rename, move, archive and reactivate, and the
organisation admins. Personas from tests/conftest.py plus an organisation admin and a lead of another team.

Kompetansesenteret (section_leader leads)
├── Kurs (lead leads; member, teammate)
└── Karriere (outsider; ``elsewhere`` leads it here)
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from objectives.models import NEW_OBJECTIVE_ARCHIVED_TEAM, Objective
from objectives.services import objective_create
from teams.models import TEAM_MOVE_LOOP, Profile, Team
from teams.services import (
    TEAM_ARCHIVE_HAS_ACTIVE_CHILDREN,
    TEAM_REACTIVATE_PARENT_ARCHIVED,
    team_archive,
    team_slug_for,
    team_update,
)
from teams.tree import tree_changed
from teams.views import ORG_ADMIN_REVOKE_SELF
from tests.conftest import PERSONAS
from tests.factories import ProfileFactory, TeamFactory

INDEX = reverse("organisation:index")


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def client_for(client, user):
    if user is not None:
        client.force_login(user)
    return client


def matrix(**expected):
    assert set(expected) == set(PERSONAS)
    return pytest.mark.parametrize(("who", "status"), list(expected.items()))


# --- Permission matrix ---------------------------------------------------------------------------------


@matrix(anonymous=302, member=403, lead=200, elsewhere=200, ambassador=403, org_admin=200, staff=200)
def test_it_shows_the_page_to_admins_and_leads(client, people, who, status):
    assert client_for(client, people[who]).get(INDEX).status_code == status


def test_a_lead_sees_only_the_subtree_they_lead(client, org, people):
    sub = TeamFactory(name="Kurs Nord", slug="kurs-nord", parent=org.team)
    body = client_for(client, org.lead).get(INDEX).content.decode()
    assert f'id="team-{org.team.pk}"' in body and f'id="team-{sub.pk}"' in body
    assert f'id="team-{org.other_team.pk}"' not in body and f'id="team-{org.section.pk}"' not in body


def test_the_nav_link_shows_for_those_who_may_use_it(client, org, people):
    assert 'href="/organisation/"' in client_for(client, org.lead).get("/").content.decode()
    client.logout()
    assert 'href="/organisation/"' not in client_for(client, org.member).get("/").content.decode()


@matrix(anonymous=302, member=403, lead=302, elsewhere=403, ambassador=403, org_admin=302, staff=302)
def test_it_lets_leads_create_sub_teams_inside_their_subtree(client, org, people, who, status):
    url = reverse("organisation:team_new")
    response = client_for(client, people[who]).post(url, {"parent": org.team.pk, "new-name": "Kurs Sør"})
    assert response.status_code == status
    assert Team.objects.filter(name="Kurs Sør", parent=org.team).exists() == (
        status == 302 and who != "anonymous"
    )


@matrix(anonymous=302, member=403, lead=403, elsewhere=403, ambassador=403, org_admin=302, staff=302)
def test_only_org_admins_create_top_level_teams(client, people, who, status):
    response = client_for(client, people[who]).post(
        reverse("organisation:team_new"), {"top-name": "Region Vest"}
    )
    assert response.status_code == status
    assert Team.objects.filter(name="Region Vest").exists() == (who in ("org_admin", "staff"))


@matrix(anonymous=302, member=403, lead=302, elsewhere=403, ambassador=403, org_admin=302, staff=302)
def test_it_lets_leads_rename_their_team(client, org, people, who, status):
    url = reverse("organisation:team_rename", args=[org.team.pk])
    response = client_for(client, people[who]).post(
        url, {"rename-name": "Kurs og fagdager", "rename-slug": "kurs"}
    )
    assert response.status_code == status
    org.team.refresh_from_db()
    assert (org.team.name == "Kurs og fagdager") == (who in ("lead", "org_admin", "staff"))


@matrix(anonymous=302, member=403, lead=403, elsewhere=403, ambassador=403, org_admin=302, staff=302)
def test_a_lead_does_not_archive_the_team_they_lead(client, org, people, who, status):
    # Kurs sits directly below the section; only its section leader or an org admin restructures it.
    response = client_for(client, people[who]).post(reverse("organisation:team_archive", args=[org.team.pk]))
    assert response.status_code == status
    org.team.refresh_from_db()
    assert org.team.is_archived == (who in ("org_admin", "staff"))


def test_a_section_leader_archives_and_moves_teams_inside_the_section(client, org):
    sub = TeamFactory(name="Kurs Nord", slug="kurs-nord", parent=org.team)
    client = client_for(client, org.section_leader)
    assert (
        client.post(
            reverse("organisation:team_move", args=[sub.pk]), {"move-parent": org.other_team.slug}
        ).status_code
        == 302
    )
    sub.refresh_from_db()
    assert sub.parent == org.other_team
    assert client.post(reverse("organisation:team_archive", args=[sub.pk])).status_code == 302
    sub.refresh_from_db()
    assert sub.is_archived
    # The section itself is the top of their subtree: not theirs to move or archive.
    assert client.post(reverse("organisation:team_archive", args=[org.section.pk])).status_code == 403


def test_a_lead_cannot_move_a_team_out_of_their_subtree(client, org):
    sub = TeamFactory(name="Kurs Nord", slug="kurs-nord", parent=org.team)
    url = reverse("organisation:team_move", args=[sub.pk])
    response = client_for(client, org.lead).post(url, {"move-parent": org.other_team.slug})
    assert response.status_code == 400
    sub.refresh_from_db()
    assert sub.parent == org.team


@matrix(anonymous=302, member=403, lead=403, elsewhere=403, ambassador=403, org_admin=302, staff=302)
def test_only_org_admins_grant_the_role(client, org, people, who, status):
    response = client_for(client, people[who]).post(
        reverse("organisation:org_admin_grant"), {"admin-user": "member"}
    )
    assert response.status_code == status
    assert Profile.objects.filter(user=org.member, is_org_admin=True).exists() == (
        who in ("org_admin", "staff")
    )


@matrix(anonymous=302, member=403, lead=403, elsewhere=403, ambassador=403, org_admin=302, staff=302)
def test_only_org_admins_revoke_the_role(client, org, people, who, status):
    ProfileFactory(user=org.teammate, is_org_admin=True)
    url = reverse("organisation:org_admin_revoke", args=[org.teammate.pk])
    assert client_for(client, people[who]).post(url).status_code == status
    assert Profile.objects.get(user=org.teammate).is_org_admin == (who not in ("org_admin", "staff"))


# --- Behaviour -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Rådgiving og støtte", "radgiving-og-stotte"),
        ("Ærlige Øyvind & Åse", "aerlige-oyvind-ase"),
        ("!!!", "team"),
    ],
)
def test_slugs_are_made_from_norwegian_names(db, name, slug):
    assert team_slug_for(name) == slug


def test_generated_slugs_are_unique(client, org, people):
    client = client_for(client, people["org_admin"])
    client.post(reverse("organisation:team_new"), {"parent": org.section.pk, "new-name": "Kurs"})
    assert Team.objects.filter(slug="kurs-2", parent=org.section).exists()


@pytest.mark.usefixtures("english")
def test_an_edited_slug_must_be_unique_and_valid(client, org, people):
    client = client_for(client, people["org_admin"])
    url = reverse("organisation:team_rename", args=[org.team.pk])
    response = client.post(url, {"rename-name": "Kurs", "rename-slug": "karriere"})
    assert response.status_code == 400 and "already exists" in response.content.decode()
    response = client.post(url, {"rename-name": "Kurs", "rename-slug": "kurs og ting"})
    assert response.status_code == 400
    org.team.refresh_from_db()
    assert org.team.slug == "kurs"


@pytest.mark.usefixtures("english")
def test_a_move_below_its_own_sub_team_is_refused_with_a_clear_message(client, org, people):
    client = client_for(client, people["org_admin"])
    response = client.post(
        reverse("organisation:team_move", args=[org.section.pk]), {"move-parent": org.team.slug}
    )
    assert response.status_code == 400
    assert str(TEAM_MOVE_LOOP) in response.content.decode()
    org.section.refresh_from_db()
    assert org.section.parent is None


@pytest.mark.usefixtures("english")
def test_archive_is_refused_while_sub_teams_are_in_use(client, org, people):
    client = client_for(client, people["org_admin"])
    response = client.post(reverse("organisation:team_archive", args=[org.section.pk]), follow=True)
    assert str(TEAM_ARCHIVE_HAS_ACTIVE_CHILDREN % {"team": "Kompetansesenteret"}) in response.content.decode()
    org.section.refresh_from_db()
    assert not org.section.is_archived


@pytest.mark.usefixtures("english")
def test_an_archived_team_keeps_its_history_and_plans_nothing_new(client, org, people):
    team_archive(team=org.team)
    # Still readable, objectives kept.
    assert client_for(client, org.member).get(reverse("teams:detail", args=["kurs"])).status_code == 200
    assert Objective.objects.filter(team=org.team).count() == 1
    # Not offered for workshops, refused for new objectives (web and API share the model's rule).
    assert "kurs" not in client.get(reverse("workshops:index")).content.decode().split("<main", 1)[1]
    with pytest.raises(Exception, match=str(NEW_OBJECTIVE_ARCHIVED_TEAM)):
        objective_create(team=org.team, cycle=org.cycle, title="Nytt mål")


@pytest.mark.usefixtures("english")
def test_reactivate_needs_the_parent_active(client, org, people):
    team_archive(team=org.team)
    team_archive(team=org.other_team)
    team_archive(team=org.section)
    client = client_for(client, people["org_admin"])
    response = client.post(reverse("organisation:team_reactivate", args=[org.team.pk]), follow=True)
    expected = TEAM_REACTIVATE_PARENT_ARCHIVED % {"team": "Kurs", "parent": "Kompetansesenteret"}
    assert str(expected) in response.content.decode()
    assert client.post(reverse("organisation:team_reactivate", args=[org.section.pk])).status_code == 302
    assert client.post(reverse("organisation:team_reactivate", args=[org.team.pk])).status_code == 302
    org.team.refresh_from_db()
    assert not org.team.is_archived


def test_over_htmx_a_change_re_renders_the_tree_in_place(client, org, people):
    client = client_for(client, people["org_admin"])
    url = reverse("organisation:team_rename", args=[org.team.pk])
    form = client.get(url, headers={"HX-Request": "true"})
    assert form.status_code == 200 and "<html" not in form.content.decode()
    response = client.post(
        url,
        {"rename-name": "Kurs & <b>kurs</b>", "rename-slug": "kurs"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/organisation/?q=kurs"},
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#organisation-tree"
    body = response.content.decode()
    assert (
        'id="organisation-tree"' in body and "&lt;b&gt;kurs&lt;/b&gt;" in body and "<b>kurs</b>" not in body
    )


def test_htmx_form_errors_stay_in_the_row(client, org, people):
    client = client_for(client, people["org_admin"])
    url = reverse("organisation:team_move", args=[org.section.pk])
    response = client.post(url, {"move-parent": org.team.slug}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "HX-Retarget" not in response
    assert 'class="errorlist"' in response.content.decode()


def test_next_never_leaves_the_organisation_page(client, org, people):
    client = client_for(client, people["org_admin"])
    url = reverse("organisation:team_archive", args=[org.other_team.pk])
    assert client.post(url, {"next": "https://evil.example/organisation/"})["Location"] == INDEX
    body = client.get(reverse("organisation:team_rename", args=[org.team.pk]) + "?next=javascript:alert(1)")
    assert 'href="javascript:' not in body.content.decode()


def test_search_finds_teams_with_their_path(client, org, people):
    client = client_for(client, people["org_admin"])
    body = client.get(INDEX, {"q": "karr"}).content.decode()
    assert f'id="team-{org.other_team.pk}"' in body and f'id="team-{org.team.pk}"' not in body
    assert "Kompetansesenteret ›" in body


@pytest.mark.usefixtures("english")
def test_nobody_revokes_their_own_role(client, people):
    client = client_for(client, people["org_admin"])
    user = people["org_admin"]
    response = client.post(reverse("organisation:org_admin_revoke", args=[user.pk]), follow=True)
    assert str(ORG_ADMIN_REVOKE_SELF) in response.content.decode()
    assert Profile.objects.get(user=user).is_org_admin


@pytest.mark.usefixtures("english")
def test_granting_an_unknown_person_says_so(client, people):
    client = client_for(client, people["org_admin"])
    response = client.post(reverse("organisation:org_admin_grant"), {"admin-user": "nobody"}, follow=True)
    assert "No active user has this username or email." in response.content.decode()


# --- Size -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [10, 2000])
def test_the_page_runs_the_same_queries_at_any_size(client, org, people, extra, django_assert_num_queries):
    Team.objects.bulk_create(
        [Team(name=f"Team {n:04}", slug=f"team-{n:04}", parent=org.section) for n in range(extra)]
    )
    tree_changed()
    client = client_for(client, people["org_admin"])
    # session, user, memberships, profile flags, the tree (one query), member counts of the page, the
    # organisation admins (whether a sign-in owes a second step is kept in the session: teams/two_factor.py)
    with django_assert_num_queries(7):
        response = client.get(INDEX)
    assert response.status_code == 200
    assert response.content.decode().count('class="org-row depth-') == min(50, extra + 3)


def test_a_rename_opened_before_another_change_is_refused_and_keeps_what_was_typed(client, org, settings):
    """Two admins rename the same team from forms opened at the same version: the second is told what
    changed (409), nothing of theirs is saved, and the form carries the new version to save again."""
    url = reverse("organisation:team_rename", args=[org.team.pk])
    admin = client_for(client, org.section_leader)
    form = admin.get(url).content.decode()
    opened = org.team.version
    assert f'name="rename-version" value="{opened}"' in form
    team_update(team=org.team, data={"name": "Kurs (their name)"})
    typed = {"rename-name": "Kurs (my name)", "rename-slug": "kurs", "rename-version": opened}
    settings.LANGUAGE_CODE = "en"
    refused = admin.post(url, typed)
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "Someone else saved a change since you opened this" in body
    assert "Kurs (their name)" in body and 'value="Kurs (my name)"' in body
    org.team.refresh_from_db()
    assert org.team.name == "Kurs (their name)"
    assert f'name="rename-version" value="{org.team.version}"' in body
    # Saved again from the refused form (the new version), it is theirs.
    assert admin.post(url, {**typed, "rename-version": org.team.version}).status_code == 302
    org.team.refresh_from_db()
    assert org.team.name == "Kurs (my name)"


def test_a_move_opened_before_another_change_is_refused(client, org, settings):
    sub = TeamFactory(name="Kurs Nord", slug="kurs-nord", parent=org.team)
    url = reverse("organisation:team_move", args=[sub.pk])
    leader = client_for(client, org.section_leader)
    opened = sub.version
    team_update(team=sub, data={"name": "Kurs Nord og Sør"})
    settings.LANGUAGE_CODE = "en"
    refused = leader.post(url, {"move-parent": org.other_team.slug, "move-version": opened})
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "Someone else saved a change since you opened this" in body
    assert "New parent team" in body and org.other_team.name in body
    sub.refresh_from_db()
    assert sub.parent == org.team


def test_only_a_section_is_offered_a_checkpoint_cadence(client, org, settings):
    """The leader checkpoint reviews the teams below a section: a team without any is not asked for one, and
    renaming it keeps whatever cadence it had."""
    settings.LANGUAGE_CODE = "en"
    admin = client_for(client, org.section_leader)
    section_form = admin.get(reverse("organisation:team_rename", args=[org.section.pk])).content.decode()
    assert 'name="rename-checkpoint_weeks"' in section_form and "Leader checkpoint" in section_form
    Team.objects.filter(pk=org.team.pk).update(checkpoint_weeks=4)
    url = reverse("organisation:team_rename", args=[org.team.pk])
    assert 'name="rename-checkpoint_weeks"' not in admin.get(url).content.decode()
    response = admin.post(url, {"rename-name": "Kurs", "rename-slug": "kurs", "rename-checkpoint_weeks": ""})
    assert response.status_code == 302
    org.team.refresh_from_db()
    assert org.team.checkpoint_weeks == 4
