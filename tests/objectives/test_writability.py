"""One writability rule (objectives/writability.py), asked on every write path: the services, the API (409)
and the HTML views (the same message). Table-driven over the states of cycle, objective and key result."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override
from rest_framework.test import APIClient

from checkins.models import CheckIn, Feedback
from checkins.services import checkin_delete, checkin_submit, checkin_update, feedback_create
from objectives import services
from objectives.models import Cycle, Initiative, KeyResult, Objective
from objectives.writability import (
    CYCLE_CLOSED,
    KEY_RESULT_RETIRED,
    OBJECTIVE_ARCHIVED,
    OBJECTIVE_NOT_PUBLISHED,
    ObjectLocked,
    checkin_refusal,
    write_refusal,
)
from tests.factories import CheckInFactory, InitiativeFactory, KeyResultFactory, ObjectiveFactory
from workshops.services import key_result_grade, key_result_retire, kpi_checkin_submit, kpi_promote

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

# state → (cycle status, objective status, retired)
STATES = {
    "active": (Cycle.Status.ACTIVE, Objective.Status.ACTIVE, False),
    "planning": (Cycle.Status.PLANNING, Objective.Status.ACTIVE, False),
    "draft": (Cycle.Status.ACTIVE, Objective.Status.DRAFT, False),
    "draft in planning": (Cycle.Status.PLANNING, Objective.Status.DRAFT, False),
    "closed cycle": (Cycle.Status.CLOSED, Objective.Status.ACTIVE, False),
    "closed cycle, archived": (Cycle.Status.CLOSED, Objective.Status.ARCHIVED, False),
    "archived": (Cycle.Status.ACTIVE, Objective.Status.ARCHIVED, False),
    "retired": (Cycle.Status.ACTIVE, Objective.Status.ACTIVE, True),
}

# What each level of object answers in each state (None: writable). Written out, not derived from the rule.
EXPECTED = {
    #  state:                    (cycle,        objective,          key result,         check-in)
    "active": (None, None, None, None),
    "planning": (None, None, None, None),
    "draft": (None, None, None, OBJECTIVE_NOT_PUBLISHED),
    "draft in planning": (None, None, None, OBJECTIVE_NOT_PUBLISHED),
    "closed cycle": (CYCLE_CLOSED, CYCLE_CLOSED, CYCLE_CLOSED, CYCLE_CLOSED),
    "closed cycle, archived": (CYCLE_CLOSED, CYCLE_CLOSED, CYCLE_CLOSED, CYCLE_CLOSED),
    "archived": (None, OBJECTIVE_ARCHIVED, OBJECTIVE_ARCHIVED, OBJECTIVE_ARCHIVED),
    "retired": (None, None, KEY_RESULT_RETIRED, KEY_RESULT_RETIRED),
}
LEVELS = ("cycle", "objective", "key_result", "checkin")


def expected(state: str, level: str):
    return EXPECTED[state][LEVELS.index(level)]


class World:
    """The org's objective with a key result, an initiative, a check-in and feedback, put into a state."""

    def __init__(self, org, state: str):
        self.org = org
        self.initiative = InitiativeFactory(objective=org.objective, owner=org.member, title="Kursplan")
        self.checkin = CheckInFactory(key_result=org.key_result, author=org.member, value=Decimal(20))
        self.feedback = Feedback.objects.create(key_result=org.key_result, author=org.lead, body="Bra")
        cycle_status, objective_status, retired = STATES[state]
        Cycle.objects.filter(pk=org.cycle.pk).update(status=cycle_status)
        Objective.objects.filter(pk=org.objective.pk).update(status=objective_status)
        if retired:
            KeyResult.objects.filter(pk=org.key_result.pk).update(retired_at=timezone.now())
        self.snapshot = self.rows()

    def rows(self) -> tuple:
        return (
            list(Objective.objects.order_by("pk").values_list("pk", "title", "status")),
            list(KeyResult.objects.order_by("pk").values_list("pk", "title", "target_value", "retired_at")),
            list(Initiative.objects.order_by("pk").values_list("pk", "title", "status")),
            list(CheckIn.objects.order_by("pk").values_list("pk", "value", "note")),
            list(Feedback.objects.order_by("pk").values_list("pk", "body")),
        )

    def objective(self) -> Objective:
        return Objective.objects.select_related("cycle", "team").get(pk=self.org.objective.pk)

    def key_result(self) -> KeyResult:
        return KeyResult.objects.select_related("objective__cycle", "objective__team").get(
            pk=self.org.key_result.pk
        )

    def initiative_(self) -> Initiative:
        return Initiative.objects.select_related("objective__cycle").get(pk=self.initiative.pk)

    def checkin_(self) -> CheckIn:
        return CheckIn.objects.select_related("key_result__objective__cycle").get(pk=self.checkin.pk)


@pytest.fixture
def api():
    def _api(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _api


@pytest.fixture(params=list(STATES))
def world(request, org) -> World:
    world = World(org, request.param)
    world.state = request.param
    return world


# --- The rule itself --------------------------------------------------------------------------------------


def test_the_rule_answers_for_every_kind_of_object(world):
    assert write_refusal(world.objective().cycle) == expected(world.state, "cycle")
    assert write_refusal(world.objective()) == expected(world.state, "objective")
    assert write_refusal(world.initiative_()) == expected(world.state, "objective")
    assert write_refusal(world.key_result()) == expected(world.state, "key_result")
    feedback = Feedback.objects.select_related("key_result__objective__cycle").get(pk=world.feedback.pk)
    assert write_refusal(feedback) == expected(world.state, "key_result")
    assert write_refusal(world.checkin_()) == expected(world.state, "checkin")
    assert checkin_refusal(world.key_result()) == expected(world.state, "checkin")


def test_kpis_and_teams_are_always_writable(org):
    kpi = kpi_promote(
        key_result=org.key_result,
        actor=org.lead,
        name="K",
        unit="",
        kind="stay_above",
        target_value=Decimal(5),
    )
    Cycle.objects.filter(pk=org.cycle.pk).update(status=Cycle.Status.CLOSED)
    assert write_refusal(kpi) is None
    assert write_refusal(org.team) is None
    kpi_checkin_submit(kpi=kpi, author=org.member, value=7)
    kpi.refresh_from_db()
    assert kpi.current_value == Decimal(7)


def test_it_refuses_what_it_does_not_know():
    with pytest.raises(TypeError):
        write_refusal(object())


# --- Services ---------------------------------------------------------------------------------------------

SERVICE_WRITES = {
    "objective_create": (
        "cycle",
        lambda w: services.objective_create(team=w.org.team, cycle=w.objective().cycle, title="Nytt mål"),
    ),
    "objective_update": (
        "objective",
        lambda w: services.objective_update(objective=w.objective(), data={"title": "Nytt navn"}),
    ),
    "objective_delete": ("objective", lambda w: services.objective_delete(objective=w.objective())),
    "key_result_create": (
        "objective",
        lambda w: services.key_result_create(
            objective=w.objective(), title="Nytt KR", start_value=0, target_value=5
        ),
    ),
    "key_result_adjust": (
        "key_result",
        lambda w: services.key_result_adjust(
            key_result=w.key_result(), actor=w.org.lead, data={"target_value": Decimal(99)}, reason="x"
        ),
    ),
    "key_result_update": (
        "key_result",
        lambda w: services.key_result_update(key_result=w.key_result(), data={"title": "Nytt"}),
    ),
    "key_result_delete": ("key_result", lambda w: services.key_result_delete(key_result=w.key_result())),
    "key_result_retire": (
        "key_result",
        lambda w: key_result_retire(key_result=w.key_result(), actor=w.org.lead, reason="x"),
    ),
    "key_result_grade": (
        "key_result",
        lambda w: key_result_grade(key_result=w.key_result(), actor=w.org.lead, score="0.5"),
    ),
    "initiative_create": (
        "objective",
        lambda w: services.initiative_create(objective=w.objective(), title="Nytt tiltak"),
    ),
    "initiative_update": (
        "objective",
        lambda w: services.initiative_update(initiative=w.initiative_(), data={"title": "Nytt"}),
    ),
    "initiative_set_status": (
        "objective",
        lambda w: services.initiative_set_status(initiative=w.initiative_(), status=Initiative.Status.DONE),
    ),
    "initiative_delete": ("objective", lambda w: services.initiative_delete(initiative=w.initiative_())),
    "checkin_submit": (
        "checkin",
        lambda w: checkin_submit(key_result=w.key_result(), author=w.org.member, value=30, confidence=8),
    ),
    "checkin_update": ("checkin", lambda w: checkin_update(checkin=w.checkin_(), value=31, confidence=8)),
    "checkin_delete": ("checkin", lambda w: checkin_delete(checkin=w.checkin_())),
    "feedback_create": (
        "key_result",
        lambda w: feedback_create(key_result=w.key_result(), author=w.org.lead, body="Ny"),
    ),
}


@pytest.mark.parametrize("write", list(SERVICE_WRITES))
def test_every_service_asks_the_rule(world, write):
    level, call = SERVICE_WRITES[write]
    refusal = expected(world.state, level)
    if write == "key_result_grade" and world.state.startswith("draft"):
        refusal = None  # the service grades what it is given; the view offers published ones only
    if refusal is None:
        call(world)
        return
    with override("en"), pytest.raises(ObjectLocked) as error:
        call(world)
    assert error.value.messages == [refusal]
    assert world.rows() == world.snapshot


# --- API: 409 with the translated reason ------------------------------------------------------------------


def api_writes(w) -> dict:
    org, kr = w.org, w.org.key_result
    return {
        "POST objective": (
            "cycle",
            org.lead,
            "post",
            "/api/v1/objectives/",
            {"team": org.team.pk, "cycle": org.cycle.pk, "title": "Nytt"},
        ),
        "PATCH objective": (
            "objective",
            org.lead,
            "patch",
            f"/api/v1/objectives/{org.objective.pk}/",
            {"title": "Nytt navn"},
        ),
        "DELETE objective": (
            "objective",
            org.lead,
            "delete",
            f"/api/v1/objectives/{org.objective.pk}/",
            None,
        ),
        "POST key result": (
            "objective",
            org.lead,
            "post",
            "/api/v1/key-results/",
            {
                "objective": org.objective.pk,
                "title": "Nytt KR",
                "kind": "increase_to",
                "start_value": "0",
                "target_value": "5",
            },
        ),
        "PATCH key result": (
            "key_result",
            org.lead,
            "patch",
            f"/api/v1/key-results/{kr.pk}/",
            {"target_value": "99", "reason": "x"},
        ),
        "PUT key result": (
            "key_result",
            org.lead,
            "put",
            f"/api/v1/key-results/{kr.pk}/",
            {
                "objective": org.objective.pk,
                "title": "Nytt",
                "kind": "increase_to",
                "start_value": "10",
                "target_value": "99",
                "reason": "x",
            },
        ),
        "DELETE key result": ("key_result", org.lead, "delete", f"/api/v1/key-results/{kr.pk}/", None),
        "POST initiative": (
            "objective",
            org.lead,
            "post",
            "/api/v1/initiatives/",
            {"objective": org.objective.pk, "title": "Nytt tiltak"},
        ),
        "PATCH initiative": (
            "objective",
            org.lead,
            "patch",
            f"/api/v1/initiatives/{w.initiative.pk}/",
            {"title": "Nytt"},
        ),
        "PATCH own initiative": (
            "objective",
            org.member,
            "patch",
            f"/api/v1/initiatives/{w.initiative.pk}/",
            {"status": "done"},
        ),
        "DELETE initiative": (
            "objective",
            org.lead,
            "delete",
            f"/api/v1/initiatives/{w.initiative.pk}/",
            None,
        ),
        "POST check-in": (
            "checkin",
            org.member,
            "post",
            "/api/v1/checkins/",
            {"key_result": kr.pk, "value": "30", "confidence": 8},
        ),
        "PATCH check-in": (
            "checkin",
            org.member,
            "patch",
            f"/api/v1/checkins/{w.checkin.pk}/",
            {"value": "31"},
        ),
        "DELETE check-in": ("checkin", org.member, "delete", f"/api/v1/checkins/{w.checkin.pk}/", None),
    }


API_WRITES = [
    "POST objective",
    "PATCH objective",
    "DELETE objective",
    "POST key result",
    "PATCH key result",
    "PUT key result",
    "DELETE key result",
    "POST initiative",
    "PATCH initiative",
    "PATCH own initiative",
    "DELETE initiative",
    "POST check-in",
    "PATCH check-in",
    "DELETE check-in",
]


@pytest.mark.parametrize("write", API_WRITES)
def test_every_api_write_answers_409_when_locked(world, api, write):
    level, user, method, url, data = api_writes(world)[write]
    response = getattr(api(user), method)(url, data, format="json", **EN)
    refusal = expected(world.state, level)
    if refusal is None:
        assert response.status_code in (200, 201, 204), response.content
        return
    assert response.status_code == 409, response.content
    with override("en"):
        assert response.json() == {"detail": str(refusal)}
    assert world.rows() == world.snapshot


def test_the_issue_repro_a_lead_cannot_rewrite_an_archived_objective(org, api):
    """Objective archived: the lead's PATCH of the target or the title answered 200 and changed it."""
    Objective.objects.filter(pk=org.objective.pk).update(status=Objective.Status.ARCHIVED)
    client = api(org.lead)
    response = client.patch(
        f"/api/v1/key-results/{org.key_result.pk}/", {"target_value": 99, "reason": "x"}, format="json", **EN
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "The objective is archived and read-only."}
    response = client.patch(f"/api/v1/objectives/{org.objective.pk}/", {"title": "Nytt"}, format="json", **EN)
    assert response.status_code == 409
    org.key_result.refresh_from_db()
    org.objective.refresh_from_db()
    assert org.key_result.target_value == Decimal(40)
    assert org.objective.title == "Flere deltakere på kurs"


def test_the_refusal_is_translated(org, api):
    Objective.objects.filter(pk=org.objective.pk).update(status=Objective.Status.ARCHIVED)
    response = api(org.lead).patch(
        f"/api/v1/objectives/{org.objective.pk}/", {"title": "Nytt"}, format="json", HTTP_ACCEPT_LANGUAGE="nb"
    )
    assert response.status_code == 409
    with override("nb"):
        assert response.json() == {"detail": str(OBJECTIVE_ARCHIVED)}
    assert response.json()["detail"] != "The objective is archived and read-only."


def test_permission_comes_before_state(org, api):
    """Another team's lead learns nothing about the state: 403, as for a writable object."""
    Objective.objects.filter(pk=org.other_objective.pk).update(status=Objective.Status.ARCHIVED)
    response = api(org.lead).patch(f"/api/v1/objectives/{org.other_objective.pk}/", {"title": "x"})
    assert response.status_code == 403


# --- HTML: the same message, nothing changes ---------------------------------------------------------------


def html_writes(w) -> dict:
    org, kr = w.org, w.org.key_result
    return {
        "check in": (
            "checkin",
            org.member,
            reverse("checkins:checkin_create", args=[kr.pk]),
            {"value": "30", "confidence": "8"},
        ),
        "edit check-in": (
            "checkin",
            org.member,
            reverse("checkins:checkin_edit", args=[w.checkin.pk]),
            {"value": "31", "confidence": "8"},
        ),
        "delete check-in": (
            "checkin",
            org.member,
            reverse("checkins:checkin_delete", args=[w.checkin.pk]),
            {},
        ),
        "feedback": (
            "key_result",
            org.lead,
            reverse("checkins:feedback_create", args=[kr.pk]),
            {"body": "Ny"},
        ),
        "initiative status": (
            "objective",
            org.member,
            reverse("objectives:initiative_status", args=[w.initiative.pk]),
            {"status": "done"},
        ),
    }


HTML_WRITES = ["check in", "edit check-in", "delete check-in", "feedback", "initiative status"]


@pytest.mark.parametrize("write", HTML_WRITES)
def test_every_html_write_shows_the_rule_s_message(world, login, write):
    level, user, url, data = html_writes(world)[write]
    response = login(user).post(url, data, follow=True, **EN)
    refusal = expected(world.state, level)
    if refusal is None:
        assert response.status_code == 200, response.content
        return
    # A form shows it beside the typed input (400); the plain feedback post says it on the page it returns to.
    assert response.status_code in (200, 400, 409)
    with override("en"):
        assert str(refusal) in response.content.decode()
    assert world.rows() == world.snapshot


WORKSHOP_STATES = ["active", "closed cycle", "closed cycle, archived", "archived", "retired"]


@pytest.mark.parametrize("state", WORKSHOP_STATES)
def test_the_workshop_adjust_form_follows_the_rule(org, login, state):
    world = World(org, state)
    url = reverse("workshops:key_result_edit", args=[org.key_result.pk])
    form = {
        "edit-title": "Nytt",
        "edit-kind": "increase_to",
        "edit-unit": "kurs",
        "edit-start_value": "10",
        "edit-target_value": "99",
        "edit-reason": "x",
    }
    client = login(org.lead)
    refusal = expected(state, "key_result")
    get, post = client.get(url, **EN), client.post(url, form, **EN)
    if refusal is None:
        assert (get.status_code, post.status_code) == (200, 302)
        return
    with override("en"):
        for response in (get, post):
            assert response.status_code == 409
            assert str(refusal) in response.content.decode()
    assert world.rows() == world.snapshot


@pytest.mark.parametrize("state", ["draft", "draft in planning", "closed cycle"])
@pytest.mark.parametrize("kind", ["objective", "initiative", "key_result"])
def test_the_workshop_draft_forms_follow_the_rule(org, login, state, kind):
    draft = ObjectiveFactory(team=org.team, cycle=org.cycle, status=Objective.Status.DRAFT, title="Utkast")
    objects = {
        "objective": draft,
        "initiative": InitiativeFactory(objective=draft, title="Tiltak"),
        "key_result": KeyResultFactory(objective=draft, title="KR"),
    }
    Cycle.objects.filter(pk=org.cycle.pk).update(status=STATES[state][0])
    obj = objects[kind]
    client = login(org.lead)
    edit = client.post(reverse(f"workshops:{kind}_edit", args=[obj.pk]), {"edit-title": "Nytt"}, **EN)
    delete = client.post(reverse(f"workshops:{kind}_delete", args=[obj.pk]), **EN)
    obj_after = type(obj).objects.filter(pk=obj.pk).first()
    if state == "closed cycle":
        with override("en"):
            for response in (edit, delete):
                assert response.status_code == 409
                assert str(CYCLE_CLOSED) in response.content.decode()
        assert obj_after is not None and obj_after.title == obj.title
    else:
        assert delete.status_code == 302
        assert obj_after is None


def test_the_board_takes_its_flags_from_the_view(org, login):
    """The board offers Adjust only on writable key results."""
    retired = KeyResultFactory(objective=org.objective, title="Pensjonert", retired_at=timezone.now())
    html = login(org.lead).get(reverse("workshops:board", args=[org.team.slug, org.cycle.pk]), **EN)
    content = html.content.decode()
    assert reverse("workshops:key_result_edit", args=[org.key_result.pk]) in content
    assert reverse("workshops:key_result_edit", args=[retired.pk]) not in content


@pytest.mark.parametrize("state", ["closed cycle", "archived", "draft"])
def test_the_key_result_page_says_why_it_takes_no_check_ins(org, login, state):
    World(org, state)
    html = login(org.member).get(reverse("checkins:key_result_detail", args=[org.key_result.pk]), **EN)
    content = html.content.decode()
    assert f'id="kr-{org.key_result.pk}-form"' not in content
    with override("en"):
        assert str(expected(state, "checkin")) in content
    plain = login(org.member).get(reverse("checkins:checkin_create", args=[org.key_result.pk]))
    assert plain.status_code == 302
