"""KPIs, their check-ins and feedback threads over the API: the KPI page's and the key result page's rules.

Personas (tests/conftest.py): ``member``, ``lead`` in Kurs; ``section_leader`` leads the section above it;
``outsider`` in Karriere; ``ambassador`` in no team; ``staff``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checkins.models import Feedback
from checkins.services import feedback_create, feedback_reply
from objectives.models import Cycle, Kpi, KpiMeasurement
from tests.factories import CheckInFactory, KeyResultFactory, ObjectiveFactory
from workshops.services import kpi_checkin_submit, kpi_promote


def make_kpi(org, key_result=None) -> Kpi:
    return kpi_promote(
        key_result=key_result or org.key_result,
        actor=org.lead,
        name="Deltakere",
        unit="stk",
        kind="stay_above",
        target_value=30,
    )


def who(org, name):
    return None if name == "anonymous" else getattr(org, name)


# --- KPIs ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("outsider", 200), ("member", 200), ("ambassador", 200), ("staff", 200)],
)
def test_everyone_signed_in_reads_kpis(org, api, persona, status):
    kpi = make_kpi(org)
    response = api(who(org, persona)).get(f"/api/v1/kpis/{kpi.pk}/")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["name"] == "Deltakere"
        assert body["team"] == org.team.pk
        assert body["source_key_result"] == org.key_result.pk


def test_kpis_carry_their_version_which_each_check_in_moves(org, api):
    kpi = make_kpi(org)
    client = api(org.member)
    first = client.get(f"/api/v1/kpis/{kpi.pk}/")["ETag"]
    created = client.post("/api/v1/kpi-measurements/", {"kpi": kpi.pk, "value": "31"})
    assert created["ETag"] == '"1"'
    assert client.get(f"/api/v1/kpi-measurements/{created.json()['id']}/")["ETag"] == '"1"'
    assert client.get(f"/api/v1/kpis/{kpi.pk}/")["ETag"] != first


def test_reading_feedback_moves_its_version(org, api):
    comment = feedback_create(key_result=org.key_result, author=org.lead, body="Hei")
    client = api(org.member)
    before = client.get(f"/api/v1/feedback/{comment.pk}/")["ETag"]
    response = client.post(f"/api/v1/feedback/{comment.pk}/read/")
    assert response["ETag"] != before
    assert client.get(f"/api/v1/feedback/{comment.pk}/")["ETag"] == response["ETag"]
    # Reading it again changes nothing: the first read time and the version stay.
    again = client.post(f"/api/v1/feedback/{comment.pk}/read/")
    assert again["ETag"] == response["ETag"] and again.json()["read_at"] == response.json()["read_at"]


def test_kpis_are_not_changed_or_made_over_the_api(org, api):
    # As on the page: a KPI is made by promoting a key result, and is never edited.
    kpi = make_kpi(org)
    client = api(org.lead)
    assert client.patch(f"/api/v1/kpis/{kpi.pk}/", {"name": "Nytt"}).status_code == 405
    assert client.post("/api/v1/kpis/", {"team": org.team.pk, "name": "Nytt"}).status_code == 405
    assert client.delete(f"/api/v1/kpis/{kpi.pk}/").status_code == 405
    kpi.refresh_from_db()
    assert kpi.name == "Deltakere"


def test_kpis_filter_by_team_and_subteams(org, api):
    kpi = make_kpi(org)
    other = make_kpi(org, key_result=org.other_key_result)
    client = api(org.member)
    ids = {row["id"] for row in client.get(f"/api/v1/kpis/?team={org.team.pk}").json()["results"]}
    assert ids == {kpi.pk}
    url = f"/api/v1/kpis/?team={org.section.pk}&include_subteams=true"
    assert {row["id"] for row in client.get(url).json()["results"]} == {kpi.pk, other.pk}


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 401),
        ("outsider", 403),
        ("ambassador", 403),
        ("member", 201),
        ("lead", 201),
        ("section_leader", 201),
        ("staff", 201),
    ],
)
def test_the_team_checks_in_on_its_kpi(org, api, persona, status):
    kpi = make_kpi(org)
    response = api(who(org, persona)).post(
        "/api/v1/kpi-measurements/", {"kpi": kpi.pk, "value": "33.5", "note": "Bra"}
    )
    assert response.status_code == status, response.content
    kpi.refresh_from_db()
    assert (kpi.current_value == Decimal("33.5")) is (status == 201)
    assert KpiMeasurement.objects.filter(kpi=kpi).exists() is (status == 201)
    if status == 201:
        assert response.json()["author"] == who(org, persona).pk


@pytest.mark.parametrize(
    "data",
    [
        {"value": "mange"},
        {"value": "1e30"},
        {"value": "<b>3</b>"},
        {"value": "3", "note": "x" * 2001},
        {"value": "3", "kpi": 999999},
        {"value": ["3"]},
    ],
)
def test_bad_kpi_check_ins_change_nothing(org, api, data):
    kpi = make_kpi(org)
    response = api(org.member).post("/api/v1/kpi-measurements/", {"kpi": kpi.pk, **data}, format="json")
    assert response.status_code == 400
    assert not KpiMeasurement.objects.exists()


def test_kpi_check_ins_are_never_edited(org, api):
    kpi = make_kpi(org)
    measurement = kpi_checkin_submit(kpi=kpi, author=org.member, value=12)
    client = api(org.member)
    assert client.patch(f"/api/v1/kpi-measurements/{measurement.pk}/", {"value": 1}).status_code == 405
    assert client.delete(f"/api/v1/kpi-measurements/{measurement.pk}/").status_code == 405
    assert client.get(f"/api/v1/kpi-measurements/?kpi={kpi.pk}").json()["count"] == 1


def test_a_kpi_of_a_closed_cycles_key_result_still_takes_check_ins(org, api):
    # A KPI lives outside cycles (objectives/writability.py): closing the cycle does not lock it.
    kpi = make_kpi(org)
    Cycle.objects.filter(pk=org.cycle.pk).update(status=Cycle.Status.CLOSED)
    response = api(org.member).post("/api/v1/kpi-measurements/", {"kpi": kpi.pk, "value": "40"})
    assert response.status_code == 201


# --- Feedback -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 401),
        ("outsider", 403),
        ("member", 403),
        ("ambassador", 403),
        ("lead", 201),
        ("section_leader", 201),
        ("staff", 201),
    ],
)
def test_leads_comment_on_a_key_result(org, api, persona, status):
    response = api(who(org, persona)).post(
        "/api/v1/feedback/", {"key_result": org.key_result.pk, "body": "Godt jobbet"}
    )
    assert response.status_code == status, response.content
    assert Feedback.objects.exists() is (status == 201)
    if status == 201:
        assert response.json()["recipient"] == org.member.pk
        assert response.json()["read_at"] is None


@pytest.mark.parametrize(
    ("persona", "status"),
    [("outsider", 403), ("teammate", 403), ("member", 201), ("lead", 201), ("section_leader", 201)],
)
def test_the_owner_and_the_leads_reply_in_a_thread(org, api, persona, status):
    comment = feedback_create(key_result=org.key_result, author=org.lead, body="Hvordan går det?")
    response = api(who(org, persona)).post("/api/v1/feedback/", {"parent": comment.pk, "body": "Bra!"})
    assert response.status_code == status, response.content
    assert Feedback.objects.filter(parent=comment).exists() is (status == 201)
    if status == 201:
        assert response.json()["parent"] == comment.pk
        assert response.json()["key_result"] == org.key_result.pk


def test_a_reply_to_a_reply_joins_the_thread_and_marks_it_read(org, api):
    comment = feedback_create(key_result=org.key_result, author=org.lead, body="Hvordan går det?")
    reply = feedback_reply(parent=comment, author=org.lead, body="Og neste uke?")
    response = api(org.member).post("/api/v1/feedback/", {"parent": reply.pk, "body": "Bra!"})
    assert response.status_code == 201
    assert response.json()["parent"] == comment.pk
    comment.refresh_from_db()
    assert comment.read_at is not None  # answering it reads it, as on the page


def test_the_feedback_of_a_hidden_draft_is_not_there(org, api):
    draft = ObjectiveFactory(team=org.other_team, cycle=org.cycle, status="draft")
    key_result = KeyResultFactory(objective=draft, owner=org.outsider)
    item = Feedback.objects.create(key_result=key_result, author=org.staff, body="Skjult")
    client = api(org.member)
    assert client.get(f"/api/v1/feedback/{item.pk}/").status_code == 404
    assert client.get("/api/v1/feedback/").json()["count"] == 0
    # Neither as a thread to reply in, nor as a key result to comment on.
    response = api(org.lead).post("/api/v1/feedback/", {"parent": item.pk, "body": "Hei"})
    assert response.status_code == 400
    response = api(org.lead).post("/api/v1/feedback/", {"key_result": key_result.pk, "body": "Hei"})
    assert response.status_code == 400
    assert Feedback.objects.count() == 1


def test_feedback_on_another_key_results_check_in_is_refused(org, api):
    foreign = CheckInFactory(key_result=KeyResultFactory(objective=org.objective), author=org.member)
    response = api(org.lead).post(
        "/api/v1/feedback/", {"key_result": org.key_result.pk, "checkin": foreign.pk, "body": "Hei"}
    )
    assert response.status_code == 400
    assert "checkin" in response.json()
    assert not Feedback.objects.exists()


KR = object()  # stands for the key result's id


@pytest.mark.parametrize(
    "data",
    [
        {"key_result": KR, "body": ""},
        {"key_result": KR, "body": "x" * 4001},
        {"key_result": KR, "body": ["a"]},
        {"key_result": "abc", "body": "Hei"},
        {"key_result": KR, "parent": 999999, "body": "Hei"},
        {"body": "Hei"},  # nothing to comment on: neither a key result nor a thread
    ],
)
def test_bad_feedback_changes_nothing(org, api, data):
    data = {key: org.key_result.pk if value is KR else value for key, value in data.items()}
    response = api(org.lead).post("/api/v1/feedback/", data, format="json")
    assert response.status_code == 400
    assert not Feedback.objects.exists()


def test_feedback_on_a_closed_cycle_is_a_conflict(org, api):
    Cycle.objects.filter(pk=org.cycle.pk).update(status=Cycle.Status.CLOSED)
    response = api(org.lead).post("/api/v1/feedback/", {"key_result": org.key_result.pk, "body": "Hei"})
    assert response.status_code == 409
    assert response.json()["detail"]
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [("member", 200), ("lead", 403), ("outsider", 403)])
def test_only_the_recipient_marks_feedback_read(org, api, persona, status):
    comment = feedback_create(key_result=org.key_result, author=org.lead, body="Hei")
    response = api(who(org, persona)).post(f"/api/v1/feedback/{comment.pk}/read/")
    assert response.status_code == status
    comment.refresh_from_db()
    assert (comment.read_at is not None) is (status == 200)


def test_unread_lists_what_is_for_me(org, api):
    mine = feedback_create(key_result=org.key_result, author=org.lead, body="Til deg")
    feedback_create(key_result=org.other_key_result, author=org.section_leader, body="Til en annen")
    body = api(org.member).get("/api/v1/feedback/?unread=true").json()
    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert api(org.member).get("/api/v1/feedback/?unread=false").json()["count"] == 0


# --- Query counts at two sizes -----------------------------------------------------------------------------


def grow_kpis(org, n):
    for _ in range(n):
        make_kpi(org, key_result=KeyResultFactory(objective=org.objective))


def grow_measurements(org, n):
    kpi = Kpi.objects.first() or make_kpi(org)
    KpiMeasurement.objects.bulk_create(KpiMeasurement(kpi=kpi, author=org.member, value=i) for i in range(n))


def grow_feedback(org, n):
    for i in range(n):
        comment = feedback_create(key_result=org.key_result, author=org.lead, body=f"Kommentar {i}")
        feedback_reply(parent=comment, author=org.member, body="Svar")


# KPIs and their check-ins are read organisation-wide, so no roles: 1. the token and its user, 2. the page
# count, 3. the page. Feedback follows its key result's visibility: 1., then 2. memberships, 3. the ambassador
# flag, 4. the team tree (a lead), 5. the page count, 6. the page (key result and thread joined into it).
LISTS = {"kpis": (grow_kpis, 3), "kpi-measurements": (grow_measurements, 3), "feedback": (grow_feedback, 6)}


@pytest.mark.parametrize("path", sorted(LISTS))
def test_it_lists_with_a_bounded_number_of_queries(org, api, django_assert_num_queries, path):
    grow, expected = LISTS[path]
    client = api(org.lead)
    grow(org, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/api/v1/{path}/").status_code == 200
    assert len(small) == expected, "\n".join(q["sql"] for q in small.captured_queries)
    grow(org, 20)
    with django_assert_num_queries(expected):
        response = client.get(f"/api/v1/{path}/")
    assert response.json()["count"] >= 22
