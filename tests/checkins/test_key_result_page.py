"""The key result page: breadcrumbs, owner, the kind in words, the burn-up chart and the check-in history."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from checkins.selectors import HISTORY_PAGE_SIZE, key_result_kind_text, weekly_values
from objectives.models import KeyResult, Objective
from tests.factories import CheckInFactory, CycleFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _page(client, key_result, query: str = "", **extra) -> str:
    response = client.get(f"/key-results/{key_result.pk}/{query}", **{**EN, **extra})
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_breadcrumbs_owner_and_the_kind_in_words(org, login):
    html = _page(login(org.member), org.key_result)
    assert 'aria-label="Breadcrumb"' in html
    assert "Kurs" in html and org.objective.title in html
    assert "Maja Medlem" in html
    assert "Increase from 10 to 40 courses" in html


@pytest.mark.parametrize(
    ("kind", "start", "target", "unit", "text"),
    [
        (KeyResult.Kind.INCREASE_TO, 10, 40, "courses", "Increase from 10 to 40 courses"),
        (KeyResult.Kind.DECREASE_TO, Decimal("30.5"), 12, "days", "Decrease from 30.5 to 12 days"),
        (KeyResult.Kind.STAY_ABOVE, 80, 75, "%", "Stay above 75 % (started at 80 %)"),
        (KeyResult.Kind.STAY_BELOW, 3, 5, "errors", "Stay below 5 errors (started at 3 errors)"),
        (KeyResult.Kind.ACHIEVE, 0, 1, "", "Achieve: done or not done"),
    ],
)
def test_it_explains_every_kind(org, kind, start, target, unit, text):
    from django.utils import translation

    key_result = KeyResultFactory(
        objective=org.objective, kind=kind, start_value=start, target_value=target, unit=unit
    )
    with translation.override("en"):
        assert key_result_kind_text(key_result) == text


def test_it_draws_a_labelled_burn_up_chart(org, login):
    CheckInFactory(key_result=org.key_result, author=org.member, value=Decimal(20))
    html = _page(login(org.member), org.key_result)
    assert f'<svg id="burnup-{org.key_result.pk}"' in html
    assert 'role="img"' in html
    assert "<title id=" in html and "<desc id=" in html
    for label in ("Value", "Target", "Expected pace"):
        assert f">{label}</text>" in html
    assert 'class="chart-actual"' in html and 'class="chart-target"' in html and 'class="chart-pace"' in html


def test_the_chart_takes_the_last_value_of_each_week_within_the_cycle(org):
    cycle = CycleFactory(name="Autumn", start_date=dt.date(2026, 10, 1), end_date=dt.date(2026, 12, 31))
    key_result = KeyResultFactory(objective=ObjectiveFactory(team=org.team, cycle=cycle))
    oslo = zoneinfo.ZoneInfo("Europe/Oslo")
    for day, hour, value in [(9, 9, 12), (11, 15, 14), (18, 10, 20), (25, 23, 22)]:
        created = dt.datetime(2026, 11, day, hour, 0, tzinfo=oslo)
        CheckInFactory(key_result=key_result, value=Decimal(value), created_at=created)
    with time_machine.travel(dt.datetime(2026, 11, 26, 12, 0, tzinfo=oslo), tick=False):
        points = weekly_values(key_result=key_result)
    assert points == [
        (dt.date(2026, 11, 11), Decimal(14)),
        (dt.date(2026, 11, 18), Decimal(20)),
        (dt.date(2026, 11, 25), Decimal(22)),
    ]


def test_history_is_newest_first_and_paginated(org, login):
    now = timezone.now()
    for index in range(HISTORY_PAGE_SIZE + 3):
        CheckInFactory(
            key_result=org.key_result,
            author=org.member,
            value=Decimal(11 + index),
            note=f"note-{index:02d}",
            created_at=now - dt.timedelta(hours=HISTORY_PAGE_SIZE + 3 - index),
        )
    client = login(org.member)
    first = _page(client, org.key_result)
    assert first.index("note-12") < first.index("note-11")
    assert "note-02" not in first
    assert "Page 1 of 2" in first
    second = _page(client, org.key_result, "?page=2")
    assert "note-02" in second and "note-00" in second and "note-12" not in second


def test_history_pages_swap_in_place_over_htmx(org, login):
    CheckInFactory(key_result=org.key_result, author=org.member, note="only")
    html = _page(
        login(org.member), org.key_result, "?page=1", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="checkin-history"
    )
    assert html.lstrip().startswith('<section id="checkin-history"')
    assert "<html" not in html


def test_history_shows_notes_with_line_breaks_escaped(org, login):
    CheckInFactory(key_result=org.key_result, author=org.member, note="<b>fet</b>\nneste linje")
    html = _page(login(org.member), org.key_result)
    assert "&lt;b&gt;fet&lt;/b&gt;<br>neste linje" in html


def test_history_offers_edit_only_for_own_check_ins_this_week(org, login):
    mine = CheckInFactory(key_result=org.key_result, author=org.member)
    theirs = CheckInFactory(key_result=org.key_result, author=org.teammate)
    html = _page(login(org.member), org.key_result)
    assert f"/check-ins/{mine.pk}/edit/" in html
    assert f"/check-ins/{theirs.pk}/edit/" not in html


def test_the_page_offers_a_check_in_form_to_team_members_only(org, login, client):
    assert f'id="kr-{org.key_result.pk}-form"' in _page(login(org.teammate), org.key_result)
    client.logout()
    html = _page(login(org.outsider), org.key_result)
    assert f'id="kr-{org.key_result.pk}-form"' not in html


def test_others_read_published_key_results(org, login):
    # Everyone signed in reads active objectives organisation-wide.
    assert "Karrieresamtaler" in _page(login(org.member), org.other_key_result)


def test_it_hides_another_teams_draft(org, login):
    Objective.objects.filter(pk=org.other_objective.pk).update(status=Objective.Status.DRAFT)
    response = login(org.member).get(f"/key-results/{org.other_key_result.pk}/")
    assert response.status_code == 404


def test_it_is_404_for_a_missing_key_result(org, login):
    assert login(org.member).get("/key-results/999999/").status_code == 404


def test_it_has_a_progress_bar_with_aria_values(org, login):
    CheckInFactory(key_result=org.key_result, author=org.member, value=Decimal(25))
    html = _page(login(org.member), org.key_result)
    assert 'role="progressbar"' in html
    assert 'aria-valuenow="50"' in html and 'aria-valuemin="0"' in html and 'aria-valuemax="100"' in html


@pytest.mark.parametrize("count", [3, 25])
def test_it_runs_the_same_number_of_queries_for_any_history(org, client, django_assert_num_queries, count):
    for _ in range(count):
        CheckInFactory(key_result=org.key_result, author=org.member)
    client.force_login(org.member)
    # session, user, key result (+objective, team, cycle, owner), memberships, profile, history count,
    # history page with authors, chart values.
    # + 1: the feedback on the key result (checkins/_feedback.html)
    # + 2: the change timeline and the KPI it became (workshops: objectives/_kr_history.html)
    # + 1: the planned path (milestones), for the expected progress and the chart
    # + 1: its data source (datasources/panels.py, through checkins.signals)
    with django_assert_num_queries(13):
        assert client.get(f"/key-results/{org.key_result.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("kind", "start", "target", "lines", "words"),
    [
        (KeyResult.Kind.STAY_ABOVE, 80, 75, {"chart-actual", "chart-threshold"}, "the line to hold"),
        (KeyResult.Kind.STAY_BELOW, 3, 5, {"chart-actual", "chart-threshold"}, "the line to hold"),
        (KeyResult.Kind.ACHIEVE, 0, 1, {"chart-actual", "chart-target"}, "1 is done"),
        (KeyResult.Kind.DECREASE_TO, 30, 12, {"chart-actual", "chart-target", "chart-pace"}, "expected pace"),
    ],
)
def test_only_kinds_with_a_pace_show_one(org, login, kind, start, target, lines, words):
    key_result = KeyResultFactory(
        objective=org.objective, owner=org.member, kind=kind, start_value=start, target_value=target
    )
    html = _page(login(org.member), key_result)
    drawn = {
        name
        for name in ("chart-actual", "chart-target", "chart-threshold", "chart-pace")
        if f'"{name}"' in html
    }
    assert drawn == lines
    assert words in html
    # The progress bar's pace marker goes with the pace line.
    assert ('class="progress-pace' in html) is ("chart-pace" in lines)
    assert ("% expected by now" in html) is ("chart-pace" in lines)


def test_it_shows_the_planned_path_in_the_chart_and_in_words(org, login):
    from objectives.services import key_result_plan_set

    day = org.cycle.start_date + dt.timedelta(days=60)
    key_result_plan_set(key_result=org.key_result, actor=org.lead, milestones=[(day, 10)])
    html = _page(login(org.member), org.key_result)
    assert 'class="chart-plan"' in html and 'class="chart-pace"' not in html
    assert ">Planned path</text>" in html and "planned path from start through the milestones" in html
    assert f'<time datetime="{day.isoformat()}">' in html and "<td>10 courses</td>" in html
    # 45 days into a 90-day cycle, the plan (still 10 on day 60: collect data first) expects nothing yet.
    assert "expected 0 %" in html


def test_the_history_says_where_a_check_in_came_from_unless_the_page(org, login):
    from checkins.models import CheckIn
    from checkins.services import checkin_submit

    checkin_submit(key_result=org.key_result, author=org.member, value=11, confidence=6, note="typed")
    by_mail = checkin_submit(
        key_result=org.key_result,
        author=org.member,
        value=12,
        confidence=7,
        note="replied",
        source=CheckIn.Source.EMAIL,
    )
    page = _page(login(org.member), org.key_result)
    row = page.split(f'id="checkin-{by_mail.pk}"', 1)[1].split("</tr>", 1)[0]
    assert '<span class="badge checkin-source">by email</span>' in row
    assert page.count('class="badge checkin-source"') == 1  # the one typed on the page has none
