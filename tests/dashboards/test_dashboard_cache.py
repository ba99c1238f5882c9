"""What the dashboard keeps in the cache is what it would read: the rollups' derived figures under the cycle's
rollups generation (``dashboards.selectors.Derived``), the rows and lines as fragments keyed by what they
show (``okrhub.fragments``). Every test reads the dashboard once to fill the cache, changes something, and
compares the next read with a full recomputation (``test_rollups.assert_same``) or with the change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from checkins import rollups
from checkins.models import RollupState, TeamRollup
from checkins.services import checkin_submit
from dashboards.selectors import dashboard_get, scope_resolve
from objectives import services as objective_services
from objectives.models import Cycle, KeyResult, Objective
from teams import services as team_services
from teams.models import Team
from teams.tree import TeamTree
from tests.dashboards.test_rollups import assert_same, shown
from tests.factories import UserFactory

User = get_user_model()
URL = reverse("dashboards:index")


@pytest.fixture
def demo(db, settings):
    settings.LANGUAGE_CODE = "en"
    call_command("seed_demo", verbosity=0)
    return Cycle.objects.get(status=Cycle.Status.ACTIVE)


def _generation(cycle: Cycle):
    return RollupState.objects.get(cycle=cycle).generation


def _read(user, cycle: Cycle, slug: str = "") -> dict:
    return shown(
        user=user,
        cycle=cycle,
        scope=scope_resolve(slug=slug, tree=TeamTree.load()),
        today=timezone.localdate(),
    )


def test_each_recomputation_gives_the_cycle_a_new_generation_and_nothing_else_does(demo):
    before = _generation(demo)
    assert rollups.refresh_dirty(cycle_id=demo.pk) == 0
    assert _generation(demo) == before  # nothing was dirty: nothing changed
    key_result = KeyResult.objects.filter(
        objective__cycle=demo, objective__status=Objective.Status.ACTIVE
    ).first()
    checkin_submit(
        key_result=key_result, author=key_result.owner, value=key_result.target_value, confidence=8
    )
    assert _generation(demo) == before  # marked dirty, not recomputed yet
    assert rollups.refresh_dirty(cycle_id=demo.pk) == 1
    after = _generation(demo)
    assert after != before
    # A change of the tree's order is a change of the needs-attention order kept in the segments: the last
    # of a parent's teams, renamed to come first.
    parent = next(team for team in Team.objects.all() if team.children.count() > 1)
    last = parent.children.order_by("-name").first()
    team_services.team_update(team=last, data={"name": "AAA first of them"})
    assert _generation(demo) != after


def test_a_check_in_after_a_cached_read_shows_at_once(demo):
    leader = User.objects.get(username="leader")
    first = _read(leader, demo)
    generation = _generation(demo)
    key_result = (
        KeyResult.objects.in_progress()
        .filter(objective__cycle=demo, objective__status=Objective.Status.ACTIVE)
        .select_related("objective")
        .order_by("id")
        .first()
    )
    checkin_submit(
        key_result=key_result, author=key_result.owner, value=key_result.target_value, confidence=9
    )
    assert_same(user=leader, cycle=demo, today=timezone.localdate())
    assert _generation(demo) != generation
    assert (
        _read(leader, demo)["rows"][key_result.objective.team_id]
        != first["rows"][key_result.objective.team_id]
    )


def test_a_cached_section_follows_a_team_moving_out_of_it(demo):
    leader = User.objects.get(username="leader")
    section = (
        Team.objects.filter(children__isnull=False, parent__isnull=False).first()
        or Team.objects.filter(children__isnull=False).first()
    )
    assert section is not None
    child = section.children.first()
    today = timezone.localdate()
    assert_same(user=leader, cycle=demo, slug=section.slug, today=today)  # fills the cache
    assert child.pk in _read(leader, demo, section.slug)["rows"]
    team_services.team_update(team=child, data={"parent": None})
    assert_same(user=leader, cycle=demo, slug=section.slug, today=today)
    assert child.pk not in _read(leader, demo, section.slug)["rows"]


def test_the_cache_does_not_outlive_the_day(demo):
    leader = User.objects.get(username="leader")
    days = [demo.start_date + (demo.end_date - demo.start_date) * n / 4 for n in range(1, 4)]
    for today in days + days:  # the second round from the cache
        assert_same(user=leader, cycle=demo, today=today)


def test_what_the_rollups_do_not_hold_is_read_each_time(demo, client):
    """A key result's title, a new member who owns nothing and the viewer's own drafts are not in the
    rollups: the page shows each change at once (its fragments have other keys)."""
    leader = User.objects.get(username="leader")
    client.force_login(leader)
    first = client.get(URL, {"all": "1"})
    line = first.context["attention"][0]
    key_result = line.key_result
    objective_services.key_result_update(key_result=key_result, data={"title": "A title nobody had before"})
    team = Team.objects.filter(memberships__isnull=False).order_by("pk").first()
    newcomer = UserFactory(username="newcomer", first_name="Nina", last_name="Nykommer")
    team_services.membership_create(team=team, user=newcomer)
    again = client.get(URL, {"all": "1"})
    content = again.content.decode()
    assert "A title nobody had before" in content
    assert "A title nobody had before" not in first.content.decode()
    row = next(row for row in again.context["dashboard"].rows if row.team.pk == team.pk)
    assert "Nina Nykommer" in row.idle_members
    assert "Nina Nykommer" in content


def test_two_viewers_see_their_own_drafts_from_the_same_cache(demo, client):
    team = Team.objects.filter(memberships__isnull=False).order_by("pk").first()
    cycle = demo
    objective_services.objective_create(team=team, cycle=cycle, title="Only the team sees this draft")
    insider = team.memberships.select_related("user").first().user
    outsider = UserFactory(username="outsider")
    drafts = {}
    for viewer in (insider, outsider, insider, outsider):
        dashboard = dashboard_get(
            user=viewer, cycle=cycle, scope=scope_resolve(slug="", tree=TeamTree.load())
        )
        drafts.setdefault(viewer.username, set()).add(
            next(row.drafts for row in dashboard.rows if row.team.pk == team.pk)
        )
    assert drafts[insider.username] != drafts[outsider.username]
    assert all(len(seen) == 1 for seen in drafts.values())
    # And the page, whose team rows are fragments: the insider's row shows the draft, the outsider's not.
    pages = {}
    for viewer in (insider, outsider):
        client.force_login(viewer)
        html = client.get(URL, {"all": "1"}).content.decode()
        start = html.index(f'id="team-row-{team.pk}"')
        pages[viewer.username] = html[start : html.index("</tr>", start)]
    assert "draft" in pages[insider.username]
    assert "draft" not in pages[outsider.username]


def test_no_generation_reads_everything_each_time(demo):
    """A cycle whose rollups were never recomputed since the upgrade has no generation: nothing is cached."""
    leader = User.objects.get(username="leader")
    RollupState.objects.filter(cycle=demo).delete()
    assert_same(user=leader, cycle=demo, today=timezone.localdate())
    assert rollups.generation(demo.pk) is None
    assert_same(user=leader, cycle=demo, today=timezone.localdate())


def test_a_derived_figure_is_kept_for_its_generation_tree_scope_and_day_only(demo):
    from dashboards.selectors import Derived

    calls = []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    def get(scope, day, *parts):
        derived = Derived.of(cycle=demo, scope=scope, today=day, generation=rollups.generation(demo.pk))
        return derived.get("x", compute, *parts)

    today = timezone.localdate()
    organisation = scope_resolve(slug="", tree=TeamTree.load())
    section = Team.objects.filter(children__isnull=False).first()
    assert get(organisation, today) == {"n": 1}
    assert get(organisation, today) == {"n": 1}  # kept
    assert get(organisation, today, "other") == {"n": 2}
    assert get(organisation, today + dt.timedelta(days=1)) == {"n": 3}
    assert get(scope_resolve(slug=section.slug, tree=TeamTree.load()), today) == {"n": 4}
    rollups.refresh(cycle_id=demo.pk, team_ids=[section.pk])  # a new generation
    assert get(organisation, today) == {"n": 5}
    team_services.team_create(name="A new team", parent=section)  # a new tree
    assert get(scope_resolve(slug="", tree=TeamTree.load()), today) == {"n": 6}
    # A tree read otherwise than through TeamTree.load has no generation: nothing is kept.
    unkept = scope_resolve(slug="", tree=TeamTree(Team.objects.all()))
    assert get(unkept, today) == {"n": 7}
    assert get(unkept, today) == {"n": 8}


def test_one_query_says_nothing_is_dirty_and_which_generation_is_current(demo, django_assert_num_queries):
    current = rollups.generation(demo.pk)
    with django_assert_num_queries(1):
        assert rollups.fresh_generation(cycle_id=demo.pk) == current
    key_result = KeyResult.objects.filter(
        objective__cycle=demo, objective__status=Objective.Status.ACTIVE
    ).first()
    team_id = key_result.objective.team_id
    checkin_submit(
        key_result=key_result, author=key_result.owner, value=key_result.target_value, confidence=7
    )
    other = Team.objects.exclude(pk=team_id).first()
    with django_assert_num_queries(1):  # dirty, but not in this scope
        assert rollups.fresh_generation(cycle_id=demo.pk, team_ids=[other.pk]) == current
    fresh = rollups.fresh_generation(cycle_id=demo.pk, team_ids=[team_id])  # recomputed first
    assert fresh != current
    assert fresh == rollups.generation(demo.pk)
    assert not TeamRollup.objects.filter(cycle=demo, team_id=team_id, dirty=True).exists()


def test_a_cache_that_does_not_answer_costs_speed_not_the_page(demo, client, settings, caplog):
    """The cache only speeds the dashboard up: with Redis down (a closed port) the page is the same."""
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    leader = User.objects.get(username="leader")
    client.force_login(leader)
    with_cache = client.get(URL, {"all": "1"})
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    without = client.get(URL, {"all": "1"})
    assert without.status_code == 200
    from tests.dashboards.test_dashboard import without_csrf_tokens

    assert without_csrf_tokens(without) == without_csrf_tokens(with_cache)
    assert "The cache did not answer" in caplog.text


def test_the_rollups_count_drafts_and_verify_checks_them(demo):
    team = Team.objects.filter(memberships__isnull=False).order_by("pk").first()
    before = rollups.stored(demo, [team.pk])[team.pk].drafts
    objective_services.objective_create(team=team, cycle=demo, title="Et nytt utkast")
    rollups.refresh_dirty(cycle_id=demo.pk)
    assert rollups.stored(demo, [team.pk])[team.pk].drafts == before + 1
    assert rollups.verify() == []
    TeamRollup.objects.filter(cycle=demo, team=team).update(drafts=before + 5)
    problems = rollups.verify()
    assert any("drafts" in problem for problem in problems)
