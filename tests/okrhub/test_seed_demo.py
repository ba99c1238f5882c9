from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from checkins import rollups
from checkins.models import AttentionSpan, CheckIn, TeamRollup
from checkins.services import key_result_recompute
from objectives import progress
from objectives.models import Cycle, Initiative, KeyResult, Objective
from okrhub import demo
from teams.models import Membership, Profile, Team

pytestmark = pytest.mark.django_db

# Every model of our own apps and auth: a second run must not add or remove a single row.
COUNTED_APPS = ("auth", "teams", "objectives", "checkins", "dashboards", "workshops")


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in COUNTED_APPS
        for model in apps.get_app_config(app).get_models()
    }


def _seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_it_builds_the_demo_organisation():
    _seed()
    User = get_user_model()
    leader = User.objects.get(username="leader")
    section = Team.objects.get(slug=demo.SECTION_SLUG)
    assert section.name == "Kompetansesenteret"
    assert Membership.objects.filter(user=leader, team=section, role=Membership.Role.LEAD).exists()
    assert set(section.children.values_list("name", flat=True)) == {
        "Kurs og arrangementer",
        "Faglige nettverk",
        "Karriere og rådgivning",
    }
    for team in section.children.all():
        assert team.memberships.filter(role=Membership.Role.LEAD).count() == 1
        assert team.memberships.filter(role=Membership.Role.MEMBER).count() >= 2
    assert Membership.objects.filter(user__username="member", team__slug=demo.COURSES_SLUG).exists()
    ambassador = User.objects.get(username="ambassador")
    assert ambassador.profile.is_ambassador and not ambassador.is_staff
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    # leader, ambassador, member and at least five more, plus admin; everyone logs in with "demo".
    assert User.objects.count() >= 9
    assert all(user.check_password("demo") for user in User.objects.all())
    assert Profile.objects.count() == User.objects.count()


def test_the_active_cycle_surrounds_today_and_the_next_one_is_planned():
    _seed()
    today = timezone.localdate()
    active = Cycle.objects.get(status=Cycle.Status.ACTIVE)
    assert active.start_date <= today <= active.end_date
    planning = Cycle.objects.get(status=Cycle.Status.PLANNING)
    assert planning.start_date == active.end_date + dt.timedelta(days=1)


def test_seeding_again_in_the_next_tertial_moves_the_demo_on():
    with time_machine.travel(dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC), tick=False):
        _seed()
    with time_machine.travel(dt.datetime(2027, 2, 10, 12, 0, tzinfo=dt.UTC), tick=False):
        _seed()
    statuses = dict(Cycle.objects.values_list("name", "status"))
    assert statuses == {"T3 2026": "closed", "T1 2027": "active", "T2 2027": "planning"}
    t1 = KeyResult.objects.filter(objective__cycle__name="T1 2027", objective__status=Objective.Status.ACTIVE)
    assert set(t1.values_list("kind", flat=True)) == set(progress.KINDS)
    assert CheckIn.objects.filter(key_result__in=t1).exists()


@pytest.mark.parametrize(
    ("day", "name", "start", "end"),
    [
        (dt.date(2026, 1, 1), "T1 2026", dt.date(2026, 1, 1), dt.date(2026, 4, 30)),
        (dt.date(2026, 4, 30), "T1 2026", dt.date(2026, 1, 1), dt.date(2026, 4, 30)),
        (dt.date(2026, 5, 1), "T2 2026", dt.date(2026, 5, 1), dt.date(2026, 8, 31)),
        (dt.date(2026, 11, 24), "T3 2026", dt.date(2026, 9, 1), dt.date(2026, 12, 31)),
        (dt.date(2026, 12, 31), "T3 2026", dt.date(2026, 9, 1), dt.date(2026, 12, 31)),
    ],
)
def test_tertial_for(day, name, start, end):
    assert demo.tertial_for(day) == (name, start, end)


def test_it_has_key_results_of_every_kind_with_initiatives_and_checkins():
    _seed()
    active = KeyResult.objects.filter(objective__cycle__status=Cycle.Status.ACTIVE)
    assert set(active.values_list("kind", flat=True)) == set(progress.KINDS)
    assert set(Initiative.objects.values_list("status", flat=True)) == set(Initiative.Status.values)
    assert Objective.objects.filter(parent__isnull=False).count() >= 2
    assert Objective.objects.filter(
        cycle__status=Cycle.Status.PLANNING, status=Objective.Status.DRAFT
    ).exists()
    # Several weeks of check-ins, each key result following its latest one.
    assert CheckIn.objects.exclude(note="").exists()
    for key_result in active.exclude(last_checkin_at=None):
        latest = key_result.checkins.order_by("-created_at", "-id").first()
        assert (key_result.current_value, key_result.confidence) == (latest.value, latest.confidence)
        assert key_result.last_checkin_at == latest.created_at
    # Where check-ins come from shows on the key result's page: one of the member's latest came by email.
    by_mail = CheckIn.objects.get(source=CheckIn.Source.EMAIL)
    assert by_mail.author.username == "member"
    assert by_mail == by_mail.key_result.checkins.order_by("-created_at", "-id").first()
    assert set(CheckIn.objects.values_list("source", flat=True)) == {CheckIn.Source.WEB, CheckIn.Source.EMAIL}


@time_machine.travel(dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC), tick=False)
def test_it_has_a_story_to_tell():
    _seed()
    now = timezone.now()
    today = timezone.localdate()
    this_week = today.isocalendar()[:2]
    krs = KeyResult.objects.filter(objective__cycle__status=Cycle.Status.ACTIVE).select_related(
        "objective__cycle"
    )
    expected = krs[0].objective.cycle.expected_progress(today)

    # A stale key result: no check-in for three weeks.
    assert any(kr.last_checkin_at and now - kr.last_checkin_at >= dt.timedelta(weeks=3) for kr in krs)
    # At risk, with low confidence.
    assert any(
        kr.confidence is not None
        and kr.confidence <= 4
        and progress.health(progress=kr.progress, expected=expected, confidence=kr.confidence)
        == progress.AT_RISK
        for kr in krs
    )
    # Back-loaded: little progress, but high confidence.
    assert any(
        kr.progress < 0.2 and (kr.confidence or 0) >= 8 for kr in krs if kr.kind == progress.INCREASE_TO
    )
    # `member` has something left to check in this week, and checked in on something else.
    mine = [kr for kr in krs if kr.owner.username == "member"]
    assert len(mine) >= 3
    assert any(
        kr.kind in (progress.INCREASE_TO, progress.DECREASE_TO)
        and kr.progress < 1
        and (
            kr.last_checkin_at is None
            or timezone.localtime(kr.last_checkin_at).isocalendar()[:2] != this_week
        )
        for kr in mine
    )
    assert any(
        kr.last_checkin_at and timezone.localtime(kr.last_checkin_at).isocalendar()[:2] == this_week
        for kr in mine
    )
    assert all(checkin.created_at <= now for checkin in CheckIn.objects.all())
    assert Initiative.objects.filter(owner__username="member").count() >= 2


def test_running_it_twice_changes_nothing():
    _seed()
    first = _counts()
    _seed()
    assert _counts() == first
    assert first["checkins.CheckIn"] > 0


def test_it_prints_the_logins():
    output = _seed()
    for username in ("leader", "ambassador", "member", "admin"):
        assert username in output
    assert "demo" in output


def test_it_is_quiet_with_verbosity_0():
    assert _seed(verbosity=0) == ""
    assert get_user_model().objects.filter(username="member").exists()


def test_it_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(CommandError, match="DEBUG"):
        _seed()
    assert not get_user_model().objects.exists()


def test_it_runs_with_debug_off_when_forced(settings):
    settings.DEBUG = False
    settings.TESTING = False
    _seed(force=True)
    assert get_user_model().objects.filter(username="leader").exists()


def test_it_runs_with_debug_on(settings):
    settings.DEBUG = True
    settings.TESTING = False
    _seed()
    assert get_user_model().objects.filter(username="leader").exists()


def test_the_synthetic_organisation_is_built_once():
    output = _seed(teams=3, weeks=4)
    assert "3 teams" in output
    synthetic = Team.objects.filter(slug__startswith="syntetisk-team-")
    assert synthetic.count() == 3
    for team in synthetic:
        assert team.memberships.filter(role=Membership.Role.LEAD).count() == 1
        assert 2 <= team.objectives.count() <= 3
        for objective in team.objectives.all():
            assert 2 <= objective.key_results.count() <= 4
            assert objective.initiatives.exists()
            for key_result in objective.key_results.all():
                checkins = list(key_result.checkins.order_by("-created_at", "-id"))
                assert len(checkins) == 4
                assert key_result.current_value == checkins[0].value
                assert key_result.confidence == checkins[0].confidence
                assert key_result.last_checkin_at == checkins[0].created_at
    first = _counts()
    _seed(teams=3, weeks=4)
    assert _counts() == first
    _seed(teams=5, weeks=4)
    assert Team.objects.filter(slug__startswith="syntetisk-team-").count() == 5


def test_synthetic_rows_mean_what_the_services_write():
    """The benchmark measures production's rows: recomputing a synthetic key result through the check-in
    service changes nothing, achieve values are done/not done, and each key result has its "created" history
    row like key_result_create's."""
    _seed(teams=3, weeks=4)
    synthetic = KeyResult.objects.filter(objective__team__slug__startswith="syntetisk-team-")
    assert synthetic.exists()
    for key_result in synthetic:
        before = (key_result.current_value, key_result.confidence, key_result.last_checkin_at)
        key_result_recompute(key_result=key_result)
        key_result.refresh_from_db()
        assert (key_result.current_value, key_result.confidence, key_result.last_checkin_at) == before
        assert list(key_result.history.values_list("history_type", flat=True)) == ["+"]
    values = set(
        CheckIn.objects.filter(key_result__in=synthetic, key_result__kind=progress.ACHIEVE).values_list(
            "value", flat=True
        )
    )
    assert values <= {0, 1}


def test_it_rejects_negative_sizes():
    with pytest.raises(CommandError):
        _seed(teams=-1)


def test_a_key_result_follows_a_planned_path():
    _seed()
    key_result = KeyResult.objects.select_related("objective__cycle").get(
        title="Redusere ventetiden på karrieresamtale fra 21 til 7 dager"
    )
    cycle = key_result.objective.cycle
    assert len(key_result.plan) == 2
    assert all(cycle.start_date < day < cycle.end_date for day, _ in key_result.plan)
    # Its check-ins follow the plan, so it is judged against the plan, not against the straight line.
    last = key_result.last_checkin_at
    figures = progress.key_result_figures(
        kind=key_result.kind,
        start=key_result.start_value,
        target=key_result.target_value,
        current=key_result.current_value,
        confidence=key_result.confidence,
        has_owner=True,
        last_checkin=timezone.localtime(last).date() if last else None,
        cycle_start=cycle.start_date,
        cycle_end=cycle.end_date,
        cycle_active=True,
        today=timezone.localdate(),
        milestones=key_result.plan,
    )
    assert figures.health == progress.ON_TRACK
    assert figures.expected == pytest.approx(
        progress.planned_progress(
            start=21,
            target=7,
            cycle_start=cycle.start_date,
            cycle_end=cycle.end_date,
            milestones=key_result.plan,
            on=timezone.localdate(),
        )
    )
    # Seeding again leaves the plan as it is (test_running_it_twice_changes_nothing counts every row).
    _seed()
    assert len(KeyResult.objects.get(pk=key_result.pk).plan) == 2


def test_the_demo_has_an_organisation_admin():
    _seed()
    _seed()
    orgadmin = get_user_model().objects.get(username="orgadmin")
    assert orgadmin.profile.is_org_admin and not orgadmin.is_staff
    assert orgadmin.check_password("demo")
    assert Profile.objects.filter(is_org_admin=True).count() == 1


def test_the_synthetic_organisations_rollups_are_what_verify_rollups_recomputes():
    """``seed_demo`` inserts in bulk (no signals) and then computes every rollup once: none is left dirty and
    ``verify_rollups`` finds no team whose stored figures differ from a recomputation or from judging every
    key result today. 30 teams: enough check-ins and spans for the ``COPY`` path of ``bulk_insert``."""
    _seed(teams=30, weeks=13)
    assert CheckIn.objects.count() > 30 * 13
    assert not TeamRollup.objects.filter(dirty=True).exists()
    assert TeamRollup.objects.filter(team__slug__startswith="syntetisk-team-").count() == 30
    assert AttentionSpan.objects.exists()
    assert rollups.verify() == []
