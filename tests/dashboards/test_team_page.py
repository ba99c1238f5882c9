"""The team page: members and roles (leads manage them here), objectives, key results, pace, confidence."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from objectives.models import Objective
from teams.models import Membership
from tests.factories import CheckInFactory, KeyResultFactory, ObjectiveFactory, UserFactory


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def detail(slug: str = "kurs") -> str:
    return reverse("teams:detail", args=[slug])


def test_the_team_list_links_every_team(org, login):
    content = login(org.member).get(reverse("teams:list")).content.decode()
    for slug in ("kompetansesenteret", "kurs", "karriere"):
        assert f'href="{detail(slug)}"' in content


def test_it_shows_members_with_roles_and_the_okrs(org, login):
    CheckInFactory(key_result=org.key_result, author=org.member, value=20, confidence=4)
    CheckInFactory(key_result=org.key_result, author=org.member, value=25, confidence=6)
    response = login(org.outsider).get(detail())
    assert response.status_code == 200
    content = response.content.decode()
    assert "Lise Leder" in content and "team lead" in content
    assert "Maja Medlem" in content
    assert "Flere deltakere på kurs" in content
    assert "Øke antall kurs fra 10 til 40" in content
    assert 'role="progressbar"' in content
    assert re.search(r'class="progress-pace x-\d+"', content)
    assert 'class="sparkline"' in content
    assert "Confidence in the last check-ins, oldest first: 4, 6" in content
    assert "Last check-in" in content
    assert f'href="{reverse("checkins:key_result_detail", args=[org.key_result.pk])}"' in content
    # Only leads see the controls to manage members.
    assert "Add member" not in content
    assert reverse("teams:member_add", args=["kurs"]) not in content


def test_an_unknown_team_is_404(org, login):
    assert login(org.member).get(detail("nope")).status_code == 404


def test_breadcrumbs_and_teams_below(org, login):
    content = login(org.member).get(detail("kompetansesenteret")).content.decode()
    assert f'href="{detail("kurs")}"' in content and f'href="{detail("karriere")}"' in content
    content = login(org.member).get(detail("kurs")).content.decode()
    assert f'<a href="{detail("kompetansesenteret")}">Kompetansesenteret</a>' in content


@pytest.mark.parametrize(
    ("persona", "sees"),
    [("member", True), ("lead", True), ("section_leader", True), ("ambassador", True), ("outsider", False)],
)
def test_drafts_only_for_the_team_its_leads_and_ambassadors(org, login, persona, sees):
    draft = ObjectiveFactory(
        team=org.team, cycle=org.cycle, title="Hemmelig utkast", status=Objective.Status.DRAFT
    )
    KeyResultFactory(objective=draft, title="Hemmelig nøkkelresultat")
    content = login(getattr(org, persona)).get(detail()).content.decode()
    assert ("Hemmelig utkast" in content) is sees
    assert ("Hemmelig nøkkelresultat" in content) is sees


def test_html_in_titles_is_escaped(org, login):
    org.key_result.title = "<script>alert(1)</script>"
    org.key_result.save()
    content = login(org.member).get(detail()).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_the_lead_sees_the_member_controls(org, login):
    content = login(org.lead).get(detail()).content.decode()
    assert "Add member" in content
    assert reverse("teams:member_remove", args=["kurs", org.member.memberships.get().pk]) in content


def test_a_lead_adds_a_member_by_username_or_email(org, login):
    newcomer = UserFactory(username="ny", email="ny@example.org")
    client = login(org.lead)
    response = client.post(
        reverse("teams:member_add", args=["kurs"]), {"user": "NY@example.org", "role": "member"}
    )
    assert response.status_code == 302
    assert response["Location"] == detail()
    assert Membership.objects.filter(team=org.team, user=newcomer, role="member").exists()


def test_a_section_leader_manages_members_of_teams_below(org, login):
    response = login(org.section_leader).post(
        reverse("teams:member_add", args=["karriere"]), {"user": "teammate", "role": "lead"}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(team=org.other_team, user=org.teammate, role="lead").exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nobody", "No active user has this username or email."),
        ("member", "This user is already a member of this team."),
        ("", "This field is required."),
    ],
)
def test_adding_a_wrong_user_shows_an_error_and_changes_nothing(org, login, value, message):
    before = Membership.objects.count()
    response = login(org.lead).post(
        reverse("teams:member_add", args=["kurs"]), {"user": value, "role": "member"}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Membership.objects.count() == before


def test_over_htmx_the_members_section_comes_back_with_the_error_in_place(org, login):
    response = login(org.lead).post(
        reverse("teams:member_add", args=["kurs"]),
        {"user": "nobody", "role": "member"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="members"')
    assert "No active user has this username or email." in content


def test_a_lead_changes_a_role_over_htmx(org, login):
    membership = Membership.objects.get(team=org.team, user=org.member)
    response = login(org.lead).post(
        reverse("teams:member_role", args=["kurs", membership.pk]),
        {"role": "lead"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "is now team lead" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "lead"


def test_a_bad_role_changes_nothing(org, login):
    membership = Membership.objects.get(team=org.team, user=org.member)
    response = login(org.lead).post(
        reverse("teams:member_role", args=["kurs", membership.pk]), {"role": "king"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "member"


def test_a_lead_removes_a_member(org, login):
    membership = Membership.objects.get(team=org.team, user=org.teammate)
    response = login(org.lead).post(reverse("teams:member_remove", args=["kurs", membership.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize("persona", ["member", "teammate", "outsider", "ambassador"])
def test_only_leads_manage_members(org, login, persona):
    membership = Membership.objects.get(team=org.team, user=org.teammate)
    client = login(getattr(org, persona))
    urls_and_data = [
        (reverse("teams:member_add", args=["kurs"]), {"user": "outsider", "role": "member"}),
        (reverse("teams:member_role", args=["kurs", membership.pk]), {"role": "lead"}),
        (reverse("teams:member_remove", args=["kurs", membership.pk]), {}),
    ]
    for url, data in urls_and_data:
        assert client.post(url, data).status_code == 403
    membership.refresh_from_db()
    assert membership.role == "member"
    assert not Membership.objects.filter(team=org.team, user=org.outsider).exists()


def test_a_lead_cannot_touch_another_teams_memberships(org, login):
    # The lead of Kurs names Karriere's membership under Kurs's URL: no such membership there.
    foreign = Membership.objects.get(team=org.other_team, user=org.outsider)
    client = login(org.lead)
    assert client.post(reverse("teams:member_remove", args=["kurs", foreign.pk])).status_code == 404
    assert client.post(reverse("teams:member_remove", args=["karriere", foreign.pk])).status_code == 403
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_member_views_only_take_posts(org, login):
    assert login(org.lead).get(reverse("teams:member_add", args=["kurs"])).status_code == 405


def build_key_results(org, count: int) -> None:
    for index in range(count):
        key_result = KeyResultFactory(objective=org.objective, owner=org.member)
        CheckInFactory(
            key_result=key_result,
            author=org.member,
            value=11 + index,
            confidence=5,
            created_at=timezone.now(),
        )


@pytest.mark.parametrize("count", [3, 12])
def test_the_team_page_runs_the_same_queries_for_3_and_12_key_results(
    org, login, count, django_assert_num_queries
):
    build_key_results(org, count)
    client = login(org.member)
    # session, user, the team, memberships + profile (access_for), cycles, the team tree, objectives,
    # key results with owners, the latest check-ins (window function), feedback, members
    # + 1: the team's KPIs (workshops: objectives/_team_kpis.html)
    # + 1: the section leader's latest checkpoint assessment (meetings)
    with django_assert_num_queries(14):
        response = client.get(detail())
    assert response.status_code == 200


def test_the_key_result_page_breadcrumb_leads_to_the_team_page(org, login):
    content = (
        login(org.member)
        .get(reverse("checkins:key_result_detail", args=[org.key_result.pk]))
        .content.decode()
    )
    assert f'href="{detail()}"' in content
