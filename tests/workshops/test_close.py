"""Closing a cycle: final scores, the retrospective, read-only afterwards, and carrying over."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from checkins.services import checkin_submit
from objectives.models import Cycle, KeyResult, Objective, Retrospective
from tests.factories import CycleFactory, KeyResultFactory

pytestmark = pytest.mark.django_db


def close_url(org, cycle=None):
    return reverse("workshops:close", args=[org.team.slug, (cycle or org.cycle).pk])


def action_url(org, action: str, cycle=None):
    """Each closing action has its own URL (and view)."""
    return reverse(f"workshops:close_{action}", args=[org.team.slug, (cycle or org.cycle).pk])


def test_scores_are_prefilled_with_the_progress(org, login):
    checkin_submit(key_result=org.key_result, author=org.member, value=25, confidence=7)  # 10 → 40: 0.5
    client = login(org.member)
    assert 'value="0.5"' in client.get(close_url(org)).content.decode()
    # In Norwegian the score reads with a decimal comma, and a score typed with one is accepted.
    assert 'value="0,5"' in client.get(close_url(org), HTTP_ACCEPT_LANGUAGE="nb").content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 302), ("teammate", 403), ("lead", 302), ("ambassador", 403), ("outsider", 403)],
)
def test_the_owner_or_the_lead_gives_the_final_score(org, login, persona, status):
    # ``member`` owns the key result; ``teammate`` is on the team but does not own it.
    response = login(getattr(org, persona)).post(
        action_url(org, "scores"), {f"score-{org.key_result.pk}": "0,7"}
    )
    assert response.status_code == status
    org.key_result.refresh_from_db()
    assert (org.key_result.final_score == Decimal("0.70")) is (status == 302)


@pytest.mark.parametrize("bad", ["1.5", "-0.1", "abc", "NaN", "1e400"])
def test_bad_scores_change_nothing(org, login, bad):
    other = KeyResultFactory(objective=org.objective, owner=org.member)
    response = login(org.member).post(
        action_url(org, "scores"), {f"score-{org.key_result.pk}": bad, f"score-{other.pk}": "0.5"}
    )
    assert response.status_code == 400
    assert "between 0.0 and 1.0" in response.content.decode()
    assert not KeyResult.objects.filter(final_score__isnull=False).exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 302), ("lead", 302), ("ambassador", 302), ("outsider", 403)],
)
def test_the_team_writes_the_retrospective(org, login, persona, status):
    response = login(getattr(org, persona)).post(
        action_url(org, "retrospective"),
        {"what_worked": "Ukentlige innsjekker", "what_to_change": "<b>x</b>"},
    )
    assert response.status_code == status
    assert Retrospective.objects.filter(team=org.team, cycle=org.cycle).exists() is (status == 302)
    if status == 302:
        body = login(org.member).get(close_url(org)).content.decode()
        assert "Ukentlige innsjekker" in body and "&lt;b&gt;x&lt;/b&gt;" in body


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 403), ("lead", 302), ("section_leader", 302), ("ambassador", 403), ("outsider", 403)],
)
def test_a_lead_closes_the_teams_cycle(org, login, persona, status):
    checkin_submit(key_result=org.key_result, author=org.member, value=25, confidence=7)
    response = login(getattr(org, persona)).post(action_url(org, "team"))
    assert response.status_code == status
    org.objective.refresh_from_db()
    org.key_result.refresh_from_db()
    if status == 302:
        assert org.objective.status == Objective.Status.ARCHIVED
        assert org.key_result.final_score == Decimal("0.50")
        # Read-only now: no more scores.
        login(org.lead).post(action_url(org, "scores"), {f"score-{org.key_result.pk}": "1"})
        org.key_result.refresh_from_db()
        assert org.key_result.final_score == Decimal("0.50")
    else:
        assert org.objective.status == Objective.Status.ACTIVE


def test_only_staff_close_the_whole_cycle_and_then_everything_is_read_only(org, login):
    # The organisation-wide close is the cycles page's (one view for it; the close page links to it).
    whole_cycle = reverse("cycles:close", args=[org.cycle.pk])
    assert login(org.lead).post(whole_cycle).status_code == 403
    assert login(org.staff).post(whole_cycle).status_code == 302
    org.cycle.refresh_from_db()
    assert org.cycle.status == Cycle.Status.CLOSED
    assert KeyResult.objects.filter(final_score__isnull=True).count() == 0
    client = login(org.lead)
    assert client.post(action_url(org, "retrospective"), {"what_worked": "x"}).status_code == 409
    assert client.get(close_url(org)).status_code == 200
    response = client.post(
        reverse("workshops:key_result_edit", args=[org.key_result.pk]),
        {"edit-title": "x", "edit-kind": "achieve", "edit-reason": "y"},
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 403), ("lead", 302), ("ambassador", 302), ("outsider", 403)],
)
def test_carry_over_copies_chosen_unfinished_key_results_as_drafts(org, login, persona, status):
    checkin_submit(key_result=org.key_result, author=org.member, value=25, confidence=7)
    done = KeyResultFactory(objective=org.objective, start_value=0, target_value=1, title="Ferdig")
    checkin_submit(key_result=done, author=org.member, value=1, confidence=9)
    skipped = KeyResultFactory(objective=org.objective, title="Ikke valgt")
    later = CycleFactory(name="Q3", status=Cycle.Status.PLANNING, start_date=org.cycle.end_date)
    url = reverse("workshops:carry_over", args=[org.team.slug, org.cycle.pk])
    client = login(getattr(org, persona))
    if status == 302:
        page = client.get(url).content.decode()
        assert "Ikke valgt" in page and "Ferdig" not in page
    response = client.post(url, {"target": later.pk, "key_results": [org.key_result.pk]})
    assert response.status_code == status
    copies = KeyResult.objects.filter(objective__cycle=later)
    if status == 302:
        copy = copies.get()
        assert copy.title == org.key_result.title and copy.objective.status == Objective.Status.DRAFT
        assert copy.start_value == Decimal(25) and copy.target_value == Decimal(40)
        assert copy.objective.title == org.objective.title and copy.objective.team == org.team
        # Finished ones and other teams' are refused.
        for pk in (done.pk, org.other_key_result.pk):
            assert client.post(url, {"target": later.pk, "key_results": [pk]}).status_code == 400
        assert copies.count() == 1
    else:
        assert not copies.exists()
    assert skipped.pk


def test_carry_over_only_into_a_later_open_cycle(org, login):
    earlier = CycleFactory(
        name="Q0", status=Cycle.Status.PLANNING, start_date=org.cycle.start_date.replace(year=2000)
    )
    url = reverse("workshops:carry_over", args=[org.team.slug, org.cycle.pk])
    response = login(org.lead).post(url, {"target": earlier.pk, "key_results": [org.key_result.pk]})
    assert response.status_code == 400
    assert not KeyResult.objects.filter(objective__cycle=earlier).exists()


@pytest.fixture(autouse=True)
def english(settings):
    """These tests read the English texts; Norwegian (the site default) is tested where it is asked for."""
    settings.LANGUAGE_CODE = "en"


@pytest.mark.parametrize("action", ["scores", "retrospective", "team"])
def test_each_action_has_its_own_url_and_refuses_get(org, login, action):
    assert login(org.staff).get(action_url(org, action)).status_code == 405


def test_the_page_posts_each_form_to_its_action(org, login):
    html = login(org.staff).get(close_url(org)).content.decode()
    # (The organisation-wide close is a link to the cycles page's confirmation, tested below.)
    for action in ("scores", "retrospective", "team"):
        assert f'action="{action_url(org, action)}"' in html
    assert 'name="action"' not in html


@pytest.mark.parametrize("action", ["scores", "retrospective", "team"])
def test_every_action_on_a_closed_cycle_answers_409_with_the_rule_s_message(org, login, action):
    Cycle.objects.filter(pk=org.cycle.pk).update(status=Cycle.Status.CLOSED)
    response = login(org.staff).post(action_url(org, action), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert "The cycle is closed; its OKRs are read-only." in response.content.decode()


def test_closing_asks_for_confirmation_saying_what_will_happen(org, login):
    KeyResultFactory(objective=org.objective, owner=org.member, final_score=Decimal("0.8"))
    body = login(org.lead).get(close_url(org), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The close button sits inside a disclosure that first says what closing does (works without JS).
    confirm = body.split('id="confirm-close-team"', 1)[1].split("</details>", 1)[0]
    assert "1 objective of Kurs in Q1 test is archived and becomes read-only" in confirm
    assert "1 key result without a final score gets its progress as score." in confirm
    assert "Yes, close the cycle for Kurs" in confirm
    assert f'action="{action_url(org, "team")}"' in confirm
    # The organisation-wide close is for those who manage cycles, on the cycles page and its confirmation.
    cycle_close = reverse("cycles:close", args=[org.cycle.pk])
    assert cycle_close not in body
    assert f'href="{cycle_close}"' in login(org.staff).get(close_url(org)).content.decode()


def test_a_planning_cycle_offers_no_close(org, login):
    planning = CycleFactory(name="Neste tertial", status=Cycle.Status.PLANNING)
    board = reverse("workshops:board", args=[org.team.slug, planning.pk])
    client = login(org.staff)
    assert close_url(org, planning) not in client.get(board).content.decode()
    body = client.get(close_url(org, planning)).content.decode()
    assert action_url(org, "team", planning) not in body
    assert reverse("cycles:close", args=[planning.pk]) not in body
    # On the active cycle's board the way to close is there.
    active_board = reverse("workshops:board", args=[org.team.slug, org.cycle.pk])
    assert close_url(org) in client.get(active_board).content.decode()
