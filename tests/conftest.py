"""Personas and a small organisation shared by every test.

Kompetansesenteret (section, led by ``section_leader``)
├── Kurs (``lead`` leads; ``member`` and ``teammate`` are members)
└── Karriere (``outsider`` is a member)
``ambassador`` is an OKR ambassador with no team; ``staff`` is a Django staff user.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from okrhub.celery import app as celery_app
from teams.models import Membership
from tests.factories import (
    CycleFactory,
    KeyResultFactory,
    MembershipFactory,
    ObjectiveFactory,
    ProfileFactory,
    TeamFactory,
    UserFactory,
)

SHARED_SERVICES = "shared-services"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """`make test` runs the suite on every core (pytest-xdist, ``--dist loadgroup``): the tests of a module
    stay on one worker, so its module-scoped fixtures run once, and every test that uses the machine's shared
    services (``integration``: Redis databases of fixed numbers, Celery workers) runs on one worker, one at a
    time. (Before xdist's own hook, which turns these groups into the scheduling scopes.)"""
    for item in items:
        group = SHARED_SERVICES if item.get_closest_marker("integration") else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True, scope="session")
def _no_broker_from_dotenv():
    """A developer's .env (from `make run`) names the broker of `make worker`, and Celery lets that variable
    override the broker a test gives its own client: the tests' workers would never see their tasks. The
    tests that need a broker name their own Redis database."""
    os.environ.pop("CELERY_BROKER_URL", None)


@dataclass
class Org:
    section: object
    team: object
    other_team: object
    cycle: object
    objective: object
    key_result: object
    member: object
    teammate: object
    lead: object
    section_leader: object
    ambassador: object
    outsider: object
    staff: object
    other_objective: object
    other_key_result: object


@pytest.fixture
def org(db) -> Org:
    section = TeamFactory(name="Kompetansesenteret", slug="kompetansesenteret")
    team = TeamFactory(name="Kurs", slug="kurs", parent=section)
    other_team = TeamFactory(name="Karriere", slug="karriere", parent=section)
    member = UserFactory(username="member", first_name="Maja", last_name="Medlem")
    teammate = UserFactory(username="teammate", first_name="Tore", last_name="Teamkamerat")
    lead = UserFactory(username="lead", first_name="Lise", last_name="Leder")
    section_leader = UserFactory(username="section_leader", first_name="Sverre", last_name="Seksjon")
    ambassador = UserFactory(username="ambassador", first_name="Anne", last_name="Ambassadør")
    outsider = UserFactory(username="outsider", first_name="Otto", last_name="Utenfor")
    staff = UserFactory(username="staff", is_staff=True)
    ProfileFactory(user=ambassador, is_ambassador=True)
    MembershipFactory(user=member, team=team)
    MembershipFactory(user=teammate, team=team)
    MembershipFactory(user=lead, team=team, role=Membership.Role.LEAD)
    MembershipFactory(user=section_leader, team=section, role=Membership.Role.LEAD)
    MembershipFactory(user=outsider, team=other_team)
    cycle = CycleFactory(name="Q1 test")
    objective = ObjectiveFactory(team=team, cycle=cycle, title="Flere deltakere på kurs", owner=lead)
    key_result = KeyResultFactory(objective=objective, owner=member, title="Øke antall kurs fra 10 til 40")
    other_objective = ObjectiveFactory(team=other_team, cycle=cycle, title="Flere karrieresamtaler")
    other_key_result = KeyResultFactory(objective=other_objective, owner=outsider, title="Karrieresamtaler")
    return Org(
        section=section,
        team=team,
        other_team=other_team,
        cycle=cycle,
        objective=objective,
        key_result=key_result,
        member=member,
        teammate=teammate,
        lead=lead,
        section_leader=section_leader,
        ambassador=ambassador,
        outsider=outsider,
        staff=staff,
        other_objective=other_objective,
        other_key_result=other_key_result,
    )


@pytest.fixture
def login(client):
    """login(user) signs the test client in as ``user`` and returns the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def celery_eager():
    """Celery tasks run in the test process, for this test only (unit tests; the real worker has its own
    integration tests); a task's error fails the test."""
    keys = ("task_always_eager", "task_eager_propagates")
    previous = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield celery_app
    celery_app.conf.update(previous)


# The roles the organisation pages and their API tell apart (tests of teams, cycles and people).
PERSONAS = ["anonymous", "member", "lead", "elsewhere", "ambassador", "org_admin", "staff"]


@pytest.fixture
def people(org):
    """PERSONAS → user: ``org``'s people plus an organisation admin and a lead of another team."""
    org_admin = UserFactory(username="org_admin", first_name="Oda", last_name="Orgadmin")
    ProfileFactory(user=org_admin, is_org_admin=True)
    elsewhere = UserFactory(username="elsewhere", first_name="Erik", last_name="Elsewhere")
    MembershipFactory(user=elsewhere, team=org.other_team, role=Membership.Role.LEAD)
    return {
        "anonymous": None,
        "member": org.member,
        "lead": org.lead,
        "elsewhere": elsewhere,
        "ambassador": org.ambassador,
        "org_admin": org_admin,
        "staff": org.staff,
    }
