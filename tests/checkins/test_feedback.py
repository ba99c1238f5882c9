"""Feedback: leads of a team (and above) comment on a key result or one check-in; the owner reads it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from checkins import selectors, services
from checkins.models import Feedback
from objectives.models import Objective
from tests.factories import CheckInFactory, KeyResultFactory, ObjectiveFactory


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def create_url(key_result) -> str:
    return reverse("checkins:feedback_create", args=[key_result.pk])


def read_url(feedback) -> str:
    return reverse("checkins:feedback_read", args=[feedback.pk])


def test_a_lead_comments_on_a_key_result(org, login):
    response = login(org.lead).post(create_url(org.key_result), {"body": "  Bra jobba!\nFortsett.  "})
    assert response.status_code == 302
    assert response["Location"] == reverse("checkins:key_result_detail", args=[org.key_result.pk])
    feedback = Feedback.objects.get()
    assert (feedback.body, feedback.author, feedback.checkin, feedback.read_at) == (
        "Bra jobba!\nFortsett.",
        org.lead,
        None,
        None,
    )


def test_a_plain_post_goes_back_to_the_page_it_came_from(org, login):
    team_page = reverse("teams:detail", args=["kurs"])
    response = login(org.lead).post(create_url(org.key_result), {"body": "Hei", "next": team_page})
    assert response["Location"] == team_page
    response = login(org.lead).post(
        create_url(org.key_result), {"body": "Hei", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("checkins:key_result_detail", args=[org.key_result.pk])


def test_a_section_leader_comments_on_a_single_check_in(org, login):
    checkin = CheckInFactory(key_result=org.key_result, author=org.member, value=20, confidence=5)
    response = login(org.section_leader).post(
        create_url(org.key_result),
        {"body": "Hvorfor falt tilliten?", "checkin": checkin.pk, "heading": "h3"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith(
        f'<section class="feedback-panel" id="kr-{org.key_result.pk}-feedback"'
    )
    assert '<h3 id="kr-' in content
    assert "Hvorfor falt tilliten?" in content
    assert Feedback.objects.get().checkin == checkin


def test_a_check_in_of_another_key_result_is_refused(org, login):
    foreign = CheckInFactory(key_result=org.other_key_result, author=org.outsider, value=20, confidence=5)
    response = login(org.section_leader).post(
        create_url(org.key_result), {"body": "Hei", "checkin": foreign.pk}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "This field is required."), ("   ", "This field is required."), ("x" * 4001, "at most 4000")],
)
def test_empty_or_too_long_feedback_is_refused(org, login, body, message):
    response = login(org.lead).post(
        create_url(org.key_result), {"body": body}, headers={"HX-Request": "true"}
    )
    assert message in response.content.decode()
    assert not Feedback.objects.exists()


def test_feedback_is_plain_text(org, login):
    services.feedback_create(key_result=org.key_result, author=org.lead, body="<script>alert(1)</script>")
    content = login(org.member).get(reverse("teams:detail", args=["kurs"])).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


@pytest.mark.parametrize("persona", ["member", "teammate", "outsider", "ambassador"])
def test_only_leads_give_feedback(org, login, persona):
    response = login(getattr(org, persona)).post(create_url(org.key_result), {"body": "Hei"})
    assert response.status_code == 403
    assert not Feedback.objects.exists()


def test_a_lead_cannot_comment_on_another_teams_key_result(org, login):
    assert login(org.lead).post(create_url(org.other_key_result), {"body": "Hei"}).status_code == 403
    assert not Feedback.objects.exists()


def test_a_draft_key_result_is_404_for_those_who_may_not_see_it(org, login):
    draft = ObjectiveFactory(team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT)
    key_result = KeyResultFactory(objective=draft)
    assert login(org.outsider).post(create_url(key_result), {"body": "Hei"}).status_code == 404


def test_feedback_views_only_take_posts(org, login):
    assert login(org.lead).get(create_url(org.key_result)).status_code == 405


def test_the_owner_marks_feedback_read_once(org, login):
    feedback = services.feedback_create(key_result=org.key_result, author=org.lead, body="Hei")
    client = login(org.member)
    response = client.post(read_url(feedback), headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.content == b""
    feedback.refresh_from_db()
    first = feedback.read_at
    assert first is not None
    assert services.feedback_mark_read(feedback=feedback) is False
    feedback.refresh_from_db()
    assert feedback.read_at == first


def test_marking_read_from_the_panel_returns_the_panel(org, login):
    feedback = services.feedback_create(key_result=org.key_result, author=org.lead, body="Hei")
    response = login(org.member).post(read_url(feedback), {"from": "panel"}, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert f'id="kr-{org.key_result.pk}-feedback"' in content
    assert "Mark as read" not in content


@pytest.mark.parametrize("persona", ["teammate", "lead", "outsider"])
def test_only_the_owner_marks_feedback_read(org, login, persona):
    feedback = services.feedback_create(key_result=org.key_result, author=org.lead, body="Hei")
    assert login(getattr(org, persona)).post(read_url(feedback)).status_code == 403
    feedback.refresh_from_db()
    assert feedback.read_at is None


def test_unread_feedback_for_the_owner(org, login, django_assert_num_queries):
    services.feedback_create(key_result=org.key_result, author=org.lead, body="Første")
    read = services.feedback_create(key_result=org.key_result, author=org.lead, body="Lest")
    services.feedback_mark_read(feedback=read)
    services.feedback_create(key_result=org.other_key_result, author=org.section_leader, body="Ikke din")
    # memberships and profile (access_for, cached per request on the user), then the feedback itself
    with django_assert_num_queries(3):
        unread = selectors.feedback_unread_for_user(user=org.member)
        assert [item.body for item in unread] == ["Første"]
        assert unread[0].key_result.objective.team.name == "Kurs"


def test_the_service_refuses_a_check_in_of_another_key_result(org):
    foreign = CheckInFactory(key_result=org.other_key_result, author=org.outsider, value=20, confidence=5)
    with pytest.raises(ValidationError):
        services.feedback_create(key_result=org.key_result, author=org.lead, body="Hei", checkin=foreign)


def test_the_team_page_shows_feedback_and_the_form_for_leads(org, login):
    checkin = CheckInFactory(key_result=org.key_result, author=org.member, value=20, confidence=5)
    services.feedback_create(key_result=org.key_result, author=org.lead, body="Godt tempo")
    lead_page = login(org.lead).get(reverse("teams:detail", args=["kurs"])).content.decode()
    assert "Godt tempo" in lead_page
    assert create_url(org.key_result) in lead_page
    assert f'<option value="{checkin.pk}"' in lead_page  # a single check-in can be commented on here too
    assert 'name="next" value="/teams/kurs/"' in lead_page
    owner_page = login(org.member).get(reverse("teams:detail", args=["kurs"])).content.decode()
    assert create_url(org.key_result) not in owner_page
    assert "Mark as read" in owner_page


def test_the_key_result_page_shows_feedback_and_lets_leads_comment_on_one_check_in(org, login):
    checkin = CheckInFactory(key_result=org.key_result, author=org.member, value=20, confidence=5)
    services.feedback_create(key_result=org.key_result, author=org.lead, body="Godt tempo", checkin=checkin)
    url = reverse("checkins:key_result_detail", args=[org.key_result.pk])
    owner_page = login(org.member).get(url).content.decode()
    assert "Godt tempo" in owner_page and "Mark as read" in owner_page
    assert "about the check-in of" in owner_page
    assert create_url(org.key_result) not in owner_page
    lead_page = login(org.lead).get(url).content.decode()
    assert create_url(org.key_result) in lead_page
    assert f'<option value="{checkin.pk}"' in lead_page


def test_my_week_shows_the_owner_unread_feedback_until_it_is_read(org, login):
    feedback = services.feedback_create(
        key_result=org.key_result, author=org.lead, body="Husk innsjekk\npå fredag"
    )
    client = login(org.member)
    content = client.get(reverse("checkins:my_week")).content.decode()
    assert 'id="unread-feedback"' in content
    assert "Husk innsjekk<br>på fredag" in content
    assert read_url(feedback) in content
    response = client.post(read_url(feedback), {"next": reverse("checkins:my_week")})
    assert response["Location"] == reverse("checkins:my_week")
    assert 'id="unread-feedback"' not in client.get(reverse("checkins:my_week")).content.decode()


def test_my_week_shows_no_one_else_the_feedback(org, login):
    services.feedback_create(key_result=org.key_result, author=org.lead, body="Bare for eieren")
    assert "Bare for eieren" not in login(org.teammate).get(reverse("checkins:my_week")).content.decode()


def test_unread_feedback_on_a_draft_the_owner_may_not_see_is_left_out(org):
    draft = ObjectiveFactory(team=org.other_team, cycle=org.cycle, status=Objective.Status.DRAFT)
    hidden = KeyResultFactory(objective=draft, owner=org.member, title="Skjult")
    services.feedback_create(key_result=hidden, author=org.section_leader, body="Om et utkast")
    assert selectors.feedback_unread_for_user(user=org.member) == []
