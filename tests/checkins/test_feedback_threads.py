"""Feedback threads: owners reply, leads follow up; each item is unread for the other side until read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from checkins import selectors, services
from checkins.models import Feedback
from objectives.models import Objective
from tests.factories import KeyResultFactory, ObjectiveFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def reply_url(feedback) -> str:
    return reverse("checkins:feedback_reply", args=[feedback.pk])


def read_url(feedback) -> str:
    return reverse("checkins:feedback_read", args=[feedback.pk])


@pytest.fixture
def comment(org):
    return services.feedback_create(
        key_result=org.key_result, author=org.lead, body="Hvorfor står den stille?"
    )


def test_the_owner_replies_and_the_lead_sees_it_unread(org, login, comment):
    response = login(org.member).post(reply_url(comment), {"body": "  Venter på påmeldinger.  "})
    assert response.status_code == 302
    reply = Feedback.objects.get(parent=comment)
    assert (reply.body, reply.author, reply.key_result, reply.read_at) == (
        "Venter på påmeldinger.",
        org.member,
        org.key_result,
        None,
    )
    assert reply.recipient_id == org.lead.pk
    # Replying shows the owner read the comment; the reply waits for the lead, in My week.
    comment.refresh_from_db()
    assert comment.read_at is not None
    assert selectors.feedback_unread_for_user(user=org.member) == []
    assert selectors.feedback_unread_for_user(user=org.lead) == [reply]
    my_week = login(org.lead).get(reverse("checkins:my_week")).content.decode()
    assert "Venter på påmeldinger." in my_week and "Reply from Maja Medlem" in my_week
    # The lead marks it read; the owner may not mark their own reply read.
    assert login(org.member).post(read_url(reply)).status_code == 403
    assert login(org.lead).post(read_url(reply)).status_code == 302
    reply.refresh_from_db()
    assert reply.read_at is not None


def test_a_reply_over_htmx_returns_the_thread_in_place(org, login, comment):
    response = login(org.member).post(
        reply_url(comment), {"body": "Svar <b>her</b>", "heading": "h5"}, **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<section class="feedback-panel" id="kr-{org.key_result.pk}-feedback"')
    assert f'id="feedback-thread-{comment.pk}"' in body
    assert "Svar &lt;b&gt;her&lt;/b&gt;" in body  # escaped
    assert "<h5" in body


def test_an_empty_reply_says_so_and_saves_nothing(org, login, comment):
    response = login(org.member).post(reply_url(comment), {"body": "   "}, **HTMX)
    assert response.status_code == 200
    assert "Write a reply first." in response.content.decode()
    assert not Feedback.objects.filter(parent__isnull=False).exists()


def test_a_reply_to_a_reply_joins_the_thread(org, comment):
    reply = services.feedback_reply(parent=comment, author=org.member, body="Første svar")
    follow_up = services.feedback_reply(parent=reply, author=org.lead, body="Takk")
    assert follow_up.parent == comment
    assert follow_up.recipient_id == org.member.pk
    [thread] = selectors.feedback_threads(
        selectors.feedback_for_key_results(key_result_ids=[org.key_result.pk])
    )
    assert [item.body for item in thread.items] == ["Hvorfor står den stille?", "Første svar", "Takk"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("member", 302),  # the owner
        ("lead", 302),
        ("section_leader", 302),  # leads above reply too
        ("teammate", 403),  # on the team, but neither owner nor lead
        ("outsider", 403),  # another team: reads the key result, may not reply
        ("ambassador", 403),
    ],
)
def test_who_replies(org, login, comment, persona, status):
    response = login(getattr(org, persona)).post(reply_url(comment), {"body": "Hei"})
    assert response.status_code == status
    assert Feedback.objects.filter(parent=comment).exists() is (status == 302)


def test_a_thread_on_a_draft_one_may_not_see_is_404(org, login):
    draft = ObjectiveFactory(team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT)
    key_result = KeyResultFactory(objective=draft, owner=org.member)
    comment = services.feedback_create(key_result=key_result, author=org.lead, body="Utkast")
    assert login(org.outsider).post(reply_url(comment), {"body": "Hei"}).status_code == 404
    assert login(org.outsider).post(read_url(comment)).status_code == 404
    assert login(org.member).post(reply_url(comment), {"body": "Hei"}).status_code == 302


def test_the_recipient_rule_and_its_query_agree(org, comment):
    other_lead_comment = services.feedback_create(
        key_result=org.key_result, author=org.section_leader, body="A"
    )
    owner_note = services.feedback_create(key_result=org.key_result, author=org.member, body="Eget notat")
    items = [
        comment,
        other_lead_comment,
        owner_note,
        services.feedback_reply(parent=comment, author=org.member, body="Til lederen"),
        services.feedback_reply(parent=comment, author=org.section_leader, body="Til eieren"),
        services.feedback_reply(parent=owner_note, author=org.member, body="Til ingen"),
    ]
    for user in (org.member, org.lead, org.section_leader, org.teammate):
        expected = {
            item.pk
            for item in items
            if Feedback.objects.select_related("key_result", "parent").get(pk=item.pk).recipient_id == user.pk
        }
        found = set(Feedback.objects.filter(selectors.feedback_for_user_q(user)).values_list("pk", flat=True))
        assert found == expected, user
    assert owner_note.recipient_id is None


def test_the_team_page_offers_replies_inline(org, login, comment):
    team_page = reverse("teams:detail", args=[org.team.slug])
    owner_view = login(org.member).get(team_page).content.decode()
    assert f'action="{reply_url(comment)}"' in owner_view
    assert '<details class="feedback-panel" open>' in owner_view  # unread for the owner: open
    assert f'action="{reply_url(comment)}"' not in login(org.teammate).get(team_page).content.decode()
    services.feedback_reply(parent=comment, author=org.member, body="Svar")
    lead_view = login(org.lead).get(team_page).content.decode()
    assert '<details class="feedback-panel" open>' in lead_view  # the reply is unread for the lead


def test_leads_comment_from_the_dashboards_needs_attention_list(org, login):
    KeyResultFactory(objective=org.objective, owner=None, title="Uten eier")  # needs attention: no owner
    dashboard = reverse("dashboards:index")
    lead_view = login(org.lead).get(dashboard).content.decode()
    key_result = org.objective.key_results.get(title="Uten eier")
    create = reverse("checkins:feedback_create", args=[key_result.pk])
    assert f'action="{create}"' in lead_view
    assert f'action="{create}"' not in login(org.member).get(dashboard).content.decode()
    # Without JavaScript the comment goes back to the dashboard; with htmx the panel comes back in place.
    response = login(org.lead).post(create, {"body": "Hvem tar denne?", "next": dashboard})
    assert response["Location"] == dashboard
    response = login(org.lead).post(create, {"body": "Purring", "heading": "h4"}, **HTMX)
    assert "Purring" in response.content.decode() and "<h4" in response.content.decode()
    assert Feedback.objects.filter(key_result=key_result).count() == 2
    # Another team's lead may not comment there.
    other = KeyResultFactory(objective=org.other_objective, owner=None)
    other_create = reverse("checkins:feedback_create", args=[other.pk])
    assert login(org.lead).post(other_create, {"body": "x"}).status_code == 403
