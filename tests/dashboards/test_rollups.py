"""The dashboard read from rollups shows exactly what judging every key result shows (checkins.rollups).

The reference below is the dashboard as it was computed before the rollups: every key result of the scope
judged through the one read model (``objectives.figures``) on the day asked for, every check-in counted.
The dashboard must equal it on the demo, on several days of the cycle (health and needs attention depend on
the day), and after sequences of writes through the services; ``verify_rollups`` must then find nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from checkins import rollups
from checkins.models import CheckIn, HealthStep, TeamRollup
from checkins.services import checkin_delete, checkin_submit, checkin_update
from dashboards.selectors import dashboard_get, scope_resolve
from objectives import progress as rules
from objectives import services as objective_services
from objectives.figures import figures_for, moment_now
from objectives.models import Cycle, Initiative, KeyResult, Objective
from objectives.permissions import access_for, visible_objectives_q
from teams.models import Membership, Team
from teams.tree import TeamTree
from workshops import services as workshop_services

User = get_user_model()


def reference(*, user, cycle: Cycle, scope, today: dt.date) -> dict:
    """The figures of every team row, the totals and the needs-attention list, judged key result by key
    result (the pre-rollup dashboard)."""
    access = access_for(user)
    team_ids = scope.team_ids
    weeks = list(_weeks(cycle, today))
    rows: dict[int, dict] = {
        pk: {"objectives": 0, "drafts": 0, "key_results": 0, "progress": [], "weekly": [0] * len(weeks)}
        | dict.fromkeys(rules.HEALTHS, 0)
        for pk in team_ids
    }
    owners: dict[int, set[int]] = defaultdict(set)
    items: dict[int, list] = {}
    for objective in Objective.objects.filter(
        visible_objectives_q(access), cycle=cycle, team_id__in=team_ids
    ):
        if objective.status == Objective.Status.ARCHIVED:
            continue
        if objective.status == Objective.Status.DRAFT:
            rows[objective.team_id]["drafts"] += 1
            continue
        rows[objective.team_id]["objectives"] += 1
        items[objective.pk] = []
        if objective.owner_id:
            owners[objective.team_id].add(objective.owner_id)
    key_results = list(
        KeyResult.objects.in_progress()
        .filter(
            objective__cycle=cycle, objective__status=Objective.Status.ACTIVE, objective__team_id__in=team_ids
        )
        .select_related("objective__cycle", "owner")
        .order_by("objective__position", "objective_id", "position", "id")
    )
    figures = figures_for(key_results, moment=moment_now(today=today), cycle=cycle)
    order = {node.team.pk: index for index, node in enumerate(scope.nodes)}
    attention = []
    for key_result in key_results:
        team_id, judged = key_result.objective.team_id, figures[key_result.pk]
        rows[team_id]["key_results"] += 1
        rows[team_id][judged.health] += 1
        items[key_result.objective_id].append((judged.progress, key_result.weight))
        if key_result.owner_id:
            owners[team_id].add(key_result.owner_id)
        if judged.reasons:
            attention.append((key_result.pk, judged.reasons, order[team_id]))
    attention.sort(key=lambda item: (-len(item[1]), item[2]))
    for objective_id, pairs in items.items():
        rows[Objective.objects.get(pk=objective_id).team_id]["progress"].append(
            rules.objective_progress(pairs)
        )
    for team_id, owner_id in Initiative.objects.filter(
        objective__cycle=cycle, objective__status=Objective.Status.ACTIVE, owner__isnull=False
    ).values_list("objective__team_id", "owner_id"):
        owners[team_id].add(owner_id)
    idle = defaultdict(list)
    for membership in Membership.objects.filter(team_id__in=team_ids).select_related("user"):
        if membership.user_id not in owners[membership.team_id]:
            idle[membership.team_id].append(_name(membership.user))
    checked = defaultdict(set)
    for checkin in CheckIn.objects.filter(
        key_result__in=[kr for kr in key_results if kr.retired_at is None]
    ).select_related("key_result__objective"):
        day = timezone.localtime(checkin.created_at).date()
        checked[(checkin.key_result.objective.team_id, day - dt.timedelta(days=day.weekday()))].add(
            checkin.key_result_id
        )
    for team_id, row in rows.items():
        row["weekly"] = [len(checked[(team_id, monday)]) for monday in weeks]
        row["idle"] = sorted(idle[team_id])
        progress = row.pop("progress")
        row["progress"] = round(sum(progress) / len(progress), 9) if progress else None
    totals = {
        name: sum(row[name] for row in rows.values())
        for name in ("objectives", "key_results", *rules.HEALTHS)
    }
    every = [p for p in (row["progress"] for row in rows.values()) if p is not None]
    return {
        "rows": rows,
        "totals": totals,
        "attention": [(pk, reasons) for pk, reasons, _ in attention],
        "n": every,
    }


def _weeks(cycle: Cycle, today: dt.date) -> list[dt.date]:
    from dashboards.selectors import cycle_weeks

    return cycle_weeks(cycle, reference=min(today, cycle.end_date))


def shown(*, user, cycle: Cycle, scope, today: dt.date) -> dict:
    dashboard = dashboard_get(user=user, cycle=cycle, scope=scope, today=today)
    rows = {
        row.team.pk: {
            "objectives": row.objectives,
            "drafts": row.drafts,
            "key_results": row.key_results,
            "on_track": row.on_track,
            "at_risk": row.at_risk,
            "off_track": row.off_track,
            "weekly": row.weekly,
            "idle": sorted(row.idle_members),
            "progress": None if row.progress is None else round(row.progress, 9),
        }
        for row in dashboard.rows
    }
    totals = dashboard.totals
    return {
        "rows": rows,
        "totals": {
            "objectives": totals.objectives,
            "key_results": totals.key_results,
            "on_track": totals.on_track,
            "at_risk": totals.at_risk,
            "off_track": totals.off_track,
        },
        "attention": [(line.key_result.pk, line.reasons) for line in dashboard.attention],
        "progress": totals.progress,
    }


def _name(user) -> str:
    return f"{user.first_name} {user.last_name}".strip() or user.username


def assert_same(*, user, cycle: Cycle, slug: str = "", today: dt.date) -> None:
    scope = scope_resolve(slug=slug, tree=TeamTree.load())
    expected = reference(user=user, cycle=cycle, scope=scope, today=today)
    found = shown(user=user, cycle=cycle, scope=scope, today=today)
    assert found["rows"] == expected["rows"]
    assert found["totals"] == expected["totals"]
    assert found["attention"] == expected["attention"]
    means = [row["progress"] for row in expected["rows"].values() if row["progress"] is not None]
    if found["progress"] is not None:
        objectives = [row["objectives"] for row in expected["rows"].values() if row["progress"] is not None]
        mean = sum(p * n for p, n in zip(means, objectives, strict=True)) / sum(objectives)
        assert found["progress"] == pytest.approx(mean)


@pytest.fixture
def demo(db, settings):
    settings.LANGUAGE_CODE = "en"
    call_command("seed_demo", verbosity=0)
    return Cycle.objects.get(status=Cycle.Status.ACTIVE)


def _days(cycle: Cycle) -> list[dt.date]:
    length = (cycle.end_date - cycle.start_date).days
    return [
        cycle.start_date - dt.timedelta(days=3),
        cycle.start_date + dt.timedelta(days=length // 3),
        timezone.localdate(),
        cycle.start_date + dt.timedelta(days=(3 * length) // 4),
        cycle.end_date,
        cycle.end_date + dt.timedelta(days=10),
    ]


def test_the_demo_dashboard_equals_judging_every_key_result_on_any_day(demo):
    leader = User.objects.get(username="leader")
    admin = User.objects.filter(is_superuser=True).first() or leader
    section = Team.objects.filter(parent__isnull=False, children__isnull=False).first()
    for today in _days(demo):
        for user in {leader, admin}:
            assert_same(user=user, cycle=demo, today=today)
        if section is not None:
            assert_same(user=leader, cycle=demo, slug=section.slug, today=today)
    assert rollups.verify() == []


def test_the_dashboard_follows_every_kind_of_write(demo):
    leader = User.objects.get(username="leader")
    key_results = list(
        KeyResult.objects.in_progress()
        .filter(objective__cycle=demo, objective__status=Objective.Status.ACTIVE)
        .select_related("objective__cycle", "owner")
        .order_by("id")
    )
    first, second, third = key_results[0], key_results[1], key_results[2]
    author = first.owner or leader
    # check-ins: a new one, an edit, a deletion
    checkin = checkin_submit(key_result=first, author=author, value=first.target_value, confidence=9)
    assert_same(user=leader, cycle=demo, today=timezone.localdate())
    checkin_update(checkin=checkin, value=first.start_value, confidence=2)
    assert_same(user=leader, cycle=demo, today=timezone.localdate())
    checkin_delete(checkin=checkin)
    assert_same(user=leader, cycle=demo, today=timezone.localdate())
    # a key result edited, given a plan, retired
    second.refresh_from_db()
    objective_services.key_result_update(key_result=second, data={"target_value": second.target_value * 3})
    if second.kind in rules.PACED_KINDS:
        middle = demo.start_date + (demo.end_date - demo.start_date) / 2
        objective_services.key_result_plan_set(
            key_result=second, actor=leader, milestones=[(middle, second.target_value)]
        )
    for today in _days(demo):
        assert_same(user=leader, cycle=demo, today=today)
    third.refresh_from_db()
    workshop_services.key_result_retire(key_result=third, actor=leader, reason="Not relevant any more")
    assert_same(user=leader, cycle=demo, today=timezone.localdate())
    # an objective archived with its team's part of the cycle, a new draft published
    team = third.objective.team
    workshop_services.team_cycle_close(team=team, cycle=demo, actor=leader)
    assert_same(user=leader, cycle=demo, today=timezone.localdate())
    draft = objective_services.objective_create(team=first.objective.team, cycle=demo, title="A new draft")
    assert_same(user=leader, cycle=demo, today=timezone.localdate())
    workshop_services.objectives_publish(objectives=Objective.objects.filter(pk=draft.pk), cycle=demo)
    assert_same(user=leader, cycle=demo, today=timezone.localdate())
    # the cycle's dates move: every team's health steps follow
    objective_services.cycle_update(cycle=demo, data={"end_date": demo.end_date - dt.timedelta(days=20)})
    demo.refresh_from_db()
    for today in _days(demo):
        assert_same(user=leader, cycle=demo, today=today)
    # and the whole cycle closes
    objective_services.cycle_close(cycle=demo, actor=leader)
    demo.refresh_from_db()
    assert_same(user=leader, cycle=demo, today=timezone.localdate())
    assert rollups.verify() == []


def test_verify_rollups_finds_and_fixes_a_stale_rollup(demo, capsys):
    call_command("verify_rollups", verbosity=0)
    rollup = TeamRollup.objects.filter(cycle=demo, key_results__gt=0).first()
    TeamRollup.objects.filter(pk=rollup.pk).update(key_results=rollup.key_results + 1)
    HealthStep.objects.filter(cycle=demo, team_id=rollup.team_id).delete()
    with pytest.raises(CommandError, match="1 rollups differed"):
        call_command("verify_rollups")
    assert f"team {rollup.team_id}" in capsys.readouterr().err
    with pytest.raises(CommandError, match="fixed"):
        call_command("verify_rollups", "--fix")
    call_command("verify_rollups", verbosity=0)  # nothing left to fix
    rollup.refresh_from_db()
    assert (
        rollup.key_results
        == KeyResult.objects.in_progress()
        .filter(
            objective__cycle=demo,
            objective__team_id=rollup.team_id,
            objective__status=Objective.Status.ACTIVE,
        )
        .count()
    )


def test_a_key_result_without_a_check_in_turns_stale_and_behind_on_the_right_days(db):
    from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory, UserFactory

    start = dt.date(2026, 1, 5)
    cycle = CycleFactory(start_date=start, end_date=start + dt.timedelta(days=99), status=Cycle.Status.ACTIVE)
    objective = ObjectiveFactory(cycle=cycle, status=Objective.Status.ACTIVE)
    key_result = KeyResultFactory(objective=objective, start_value=0, target_value=100, owner=UserFactory())
    viewer = UserFactory(is_staff=True)
    tree = TeamTree.load()
    scope = scope_resolve(slug="", tree=tree)

    def on(day: dt.date) -> tuple:
        dashboard = dashboard_get(user=viewer, cycle=cycle, scope=scope, today=day)
        totals = dashboard.totals
        reasons = [line.reasons for line in dashboard.attention]
        return (totals.on_track, totals.at_risk, totals.off_track), reasons

    assert on(start) == ((1, 0, 0), [])
    assert on(start + dt.timedelta(days=13)) == ((1, 0, 0), [])
    assert on(start + dt.timedelta(days=14)) == ((1, 0, 0), [(rules.STALE,)])
    # more than 15 % of the cycle (99 days) gone without progress: at risk from day 15 (15/99 > 0.15), off
    # track from day 30 (30/99 > 0.30)
    assert on(start + dt.timedelta(days=15))[0] == (0, 1, 0)
    assert on(start + dt.timedelta(days=29))[0] == (0, 1, 0)
    assert on(start + dt.timedelta(days=30)) == ((0, 0, 1), [(rules.OFF_TRACK, rules.STALE)])
    # a check-in on target puts it back on track, and the stale clock starts again from that day
    checkin_submit(
        key_result=key_result,
        author=key_result.owner,
        value=Decimal(100),
        confidence=8,
        created_at=timezone.make_aware(dt.datetime.combine(start + dt.timedelta(days=40), dt.time(12))),
    )
    assert on(start + dt.timedelta(days=41)) == ((1, 0, 0), [])
    assert on(start + dt.timedelta(days=54)) == ((1, 0, 0), [(rules.STALE,)])


# --- Marked dirty by the write, recomputed by the worker or the next read --------------------------------


def _dirty() -> set[tuple[int, int]]:
    return set(TeamRollup.objects.filter(dirty=True).values_list("cycle_id", "team_id"))


def test_a_check_in_marks_only_its_team_and_the_worker_recomputes_it(demo):
    from checkins.tasks import refresh_rollups

    rollups.refresh_dirty()
    assert _dirty() == set()
    key_result = (
        KeyResult.objects.in_progress()
        .filter(objective__cycle=demo, objective__status=Objective.Status.ACTIVE, owner__isnull=False)
        .select_related("objective__cycle", "owner")
        .first()
    )
    before = TeamRollup.objects.get(cycle=demo, team_id=key_result.objective.team_id)
    checkin_submit(
        key_result=key_result, author=key_result.owner, value=key_result.target_value, confidence=9
    )
    assert _dirty() == {(demo.pk, key_result.objective.team_id)}
    # Not recomputed by the write: the figures wait for the worker (the progress sum moved to the target).
    assert TeamRollup.objects.get(pk=before.pk).progress_sum == before.progress_sum
    assert refresh_rollups.apply().get() == 1
    assert _dirty() == set()
    assert TeamRollup.objects.get(pk=before.pk).progress_sum > before.progress_sum
    assert rollups.verify() == []
    assert refresh_rollups.apply().get() == 0  # nothing dirty: nothing recomputed


def test_a_dashboard_recomputes_what_is_dirty_in_its_scope_only(demo):
    leader = User.objects.get(username="leader")
    rollups.refresh_dirty()
    tree = TeamTree.load()
    teams = [node.team for node in tree.nodes() if not node.has_children]
    inside, outside = teams[0], teams[-1]
    assert inside.pk != outside.pk
    rollups.mark_dirty([(demo.pk, inside.pk), (demo.pk, outside.pk)])
    assert _dirty() == {(demo.pk, inside.pk), (demo.pk, outside.pk)}
    dashboard_get(user=leader, cycle=demo, scope=scope_resolve(slug=inside.slug, tree=tree))
    assert _dirty() == {(demo.pk, outside.pk)}
    dashboard_get(user=leader, cycle=demo, scope=scope_resolve(slug="", tree=tree))
    assert _dirty() == set()


def test_a_stale_clean_rollup_is_what_verify_reports_a_dirty_one_is_pending(demo):
    rollups.refresh_dirty()
    rollup = TeamRollup.objects.filter(cycle=demo, key_results__gt=0).first()
    TeamRollup.objects.filter(pk=rollup.pk).update(key_results=rollup.key_results + 1)
    assert [line.split(":")[0] for line in rollups.verify()] == [f"cycle {demo.pk} team {rollup.team_id}"]
    TeamRollup.objects.filter(pk=rollup.pk).update(dirty=True)
    assert rollups.verify() == []  # waiting for its recomputation, by design
    call_command("verify_rollups", "--fix", verbosity=0)  # recomputes the dirty ones too
    assert _dirty() == set()
    assert rollups.verify() == []


def _team_with_key_results(count: int) -> list[KeyResult]:
    from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory, UserFactory

    cycle = CycleFactory(status=Cycle.Status.ACTIVE)
    objective = ObjectiveFactory(cycle=cycle, status=Objective.Status.ACTIVE)
    return [
        KeyResultFactory(objective=objective, start_value=0, target_value=10, owner=UserFactory())
        for _ in range(count)
    ]


def test_each_writing_transaction_queues_one_recomputation_after_it_commits(transactional_db, monkeypatch):
    from checkins import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.refresh_rollups, "delay", lambda: queued.append(1))
    key_results = _team_with_key_results(3)
    queued.clear()
    with transaction.atomic():
        for key_result in key_results:
            checkin_submit(key_result=key_result, author=key_result.owner, value=1, confidence=5)
        assert queued == []  # not before the commit: the worker must see the check-ins
    assert queued == [1]
    checkin_submit(key_result=key_results[0], author=key_results[0].owner, value=2, confidence=5)
    assert queued == [1, 1]
    with pytest.raises(RuntimeError), transaction.atomic():
        checkin_submit(key_result=key_results[1], author=key_results[1].owner, value=3, confidence=5)
        raise RuntimeError("rolled back")
    assert queued == [1, 1]  # a rolled-back write queues nothing …
    checkin_submit(key_result=key_results[1], author=key_results[1].owner, value=3, confidence=5)
    assert queued == [1, 1, 1]  # … and does not stop the next one from queueing


def test_a_broker_that_does_not_answer_costs_the_write_nothing(transactional_db, monkeypatch, caplog):
    from checkins import tasks

    def refused():
        raise ConnectionRefusedError("no broker")

    monkeypatch.setattr(tasks.refresh_rollups, "delay", refused)
    key_result = _team_with_key_results(1)[0]
    checkin = checkin_submit(key_result=key_result, author=key_result.owner, value=1, confidence=5)
    assert CheckIn.objects.filter(pk=checkin.pk).exists()
    assert "could not queue checkins.refresh_rollups" in caplog.text
    # Still marked: the beat or the next read recomputes it.
    assert (key_result.objective.cycle_id, key_result.objective.team_id) in _dirty()


def test_the_beat_recomputes_dirty_rollups_every_minute():
    from django.conf import settings

    from okrhub.celery import app

    entry = next(
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "checkins.refresh_rollups"
    )
    assert entry["schedule"].minute == set(range(60))
    assert "checkins.refresh_rollups" in app.tasks


def test_deleting_a_team_leaves_no_rollup_behind(db):
    from django.db import connection

    key_result = _team_with_key_results(1)[0]
    Initiative.objects.create(objective=key_result.objective, title="An initiative")
    TeamRollup.objects.all().delete()  # a pair without its row: the deletion's own marks must not add one
    key_result.objective.team.delete()
    assert not TeamRollup.objects.exists()
    connection.check_constraints()  # PostgreSQL defers foreign keys to the commit: check them now


def test_the_backfill_marks_every_team_with_objectives_dirty(demo):
    import importlib

    from django.apps import apps

    backfill = importlib.import_module("checkins.migrations.0009_backfill_team_rollups").backfill
    pairs = set(Objective.objects.values_list("cycle_id", "team_id"))
    TeamRollup.objects.all().delete()
    backfill(apps, None)
    assert _dirty() == pairs
    rollups.refresh_dirty()
    assert rollups.verify() == []


def test_needs_attention_pages_through_the_same_order_with_a_deactivated_owner(demo):
    leader = User.objects.get(username="leader")
    owner = (
        KeyResult.objects.in_progress()
        .filter(objective__cycle=demo, objective__status=Objective.Status.ACTIVE, owner__isnull=False)
        .exclude(owner=leader)
        .order_by("-id")
        .first()
        .owner
    )
    User.objects.filter(pk=owner.pk).update(is_active=False)  # read at read time: no write of the rollups
    scope = scope_resolve(slug="", tree=TeamTree.load())
    today = timezone.localdate()
    expected = reference(user=leader, cycle=demo, scope=scope, today=today)["attention"]
    assert any(rules.OWNER_DEACTIVATED in reasons for _pk, reasons in expected)
    assert_same(user=leader, cycle=demo, today=today)
    lines = dashboard_get(user=leader, cycle=demo, scope=scope, today=today).attention
    assert len(lines) == len(expected)
    paged = []
    for start in range(0, len(lines), 4):  # a fresh list per page, as each request reads one page
        page = dashboard_get(user=leader, cycle=demo, scope=scope, today=today).attention[start : start + 4]
        paged += [(line.key_result.pk, line.reasons) for line in page]
    assert paged == expected


def test_a_recomputation_skips_a_team_another_one_has_just_done(demo):
    rollups.refresh_dirty()
    team_id = TeamRollup.objects.filter(cycle=demo, key_results__gt=0).values_list("team_id", flat=True)[0]
    rollups.mark_dirty([(demo.pk, team_id)])
    # Two readers saw it dirty; the second gets the row lock after the first has recomputed it.
    assert rollups.refresh(cycle_id=demo.pk, team_ids=[team_id], dirty_only=True) == 1
    assert rollups.refresh(cycle_id=demo.pk, team_ids=[team_id], dirty_only=True) == 0
    assert rollups.refresh(cycle_id=demo.pk, team_ids=[team_id]) == 1  # unless asked for every team
    assert rollups.verify() == []
