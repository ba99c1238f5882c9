"""Demo data: a realistic Norwegian organisation, built with the real services, safe to run twice.

``seed_demo()`` builds Norsk Kompetanseforbund with its section Kompetansesenteret (led by ``leader``) and
three teams, one active cycle (the tertial around today) with several weeks of check-ins, and one planning
cycle for the next tertial. Every object is found again by its natural key (username, team slug, cycle name,
objective title within team and cycle, key result or initiative title within its objective), so a second run
creates nothing. Check-ins are only written for key results created in the same run.

``seed_synthetic(teams=N, weeks=W)`` adds a synthetic organisation of N teams for benchmarks, written with
``bulk_create`` (one password hash for every user; the check-ins and initiatives with
``okrhub.lib.bulk_insert``, PostgreSQL's ``COPY``), also idempotent by team slug.

Other apps add their own demo data with a ``seed_<area>(…)`` function of their own, called from the end of
``seed_demo()`` below.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from checkins.models import CheckIn
from checkins.services import checkin_build, checkin_latest, checkin_submit, key_result_follow
from dashboards.demo import seed_feedback
from datasources.demo import seed_data_sources
from integrations.demo import seed_integrations
from meetings.demo import seed_meetings
from objectives import periods, progress
from objectives.models import Cycle, Initiative, KeyResult, Objective
from objectives.services import initiative_create, key_result_create, key_result_plan_set, objective_create
from okrhub.lib import bulk_insert
from teams.demo import seed_invitations
from teams.models import Membership, Profile, Team
from teams.tree import tree_changed
from workshops.demo import seed_workshops

PASSWORD = "demo"
HISTORY_WEEKS = 10  # at most this many weeks of check-ins before today (never before the cycle starts)

ORGANISATION_SLUG = "norsk-kompetanseforbund"
SECTION_SLUG = "kompetansesenteret"
COURSES_SLUG = "kurs-og-arrangementer"
NETWORKS_SLUG = "faglige-nettverk"
CAREER_SLUG = "karriere-og-radgivning"
SYNTHETIC_SLUG = "syntetisk-organisasjon"


# --- Cycles ------------------------------------------------------------------------------------------


def tertial_for(day: dt.date) -> tuple[str, dt.date, dt.date]:
    """The tertial (four-month period) containing ``day``: name, first day, last day."""
    period = periods.containing(periods.TERTIAL, day)
    return period.name, period.start, period.end


def demo_cycles(today: dt.date) -> tuple[Cycle, Cycle]:
    """The active tertial around ``today`` and the planning one after it (created or brought up to date)."""
    name, start, end = tertial_for(today)
    active = _cycle(name=name, start=start, end=end, status=Cycle.Status.ACTIVE)
    next_name, next_start, next_end = tertial_for(end + dt.timedelta(days=1))
    planning = _cycle(name=next_name, start=next_start, end=next_end, status=Cycle.Status.PLANNING)
    # Seeding again in a later tertial: the demo's earlier cycles are over, so they are closed.
    Cycle.objects.filter(status=Cycle.Status.ACTIVE, end_date__lt=start).update(status=Cycle.Status.CLOSED)
    return active, planning


def _cycle(*, name: str, start: dt.date, end: dt.date, status: str) -> Cycle:
    cycle = Cycle.objects.filter(name=name).first()
    if cycle is None:
        cycle = Cycle(name=name, start_date=start, end_date=end, status=status)
        cycle.full_clean()
        cycle.save()
    elif cycle.status == Cycle.Status.PLANNING and status == Cycle.Status.ACTIVE:
        # Last run's planning cycle has become the current one.
        cycle.status = status
        cycle.save(update_fields=["status"])
    return cycle


# --- People and teams --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    role: str  # shown in the list of logins


PEOPLE = [
    Person("leader", "Ingrid", "Solberg", "section lead, Kompetansesenteret"),
    Person("ambassador", "Sofie", "Bakken", "OKR ambassador"),
    Person("orgadmin", "Hanne", "Strand", "organisation admin (teams, cycles and people)"),
    Person("member", "Jonas", "Haugen", "member, Kurs og arrangementer (owns several key results)"),
    Person("kari", "Kari", "Johansen", "team lead, Kurs og arrangementer"),
    Person("ole", "Ole", "Hansen", "member, Kurs og arrangementer"),
    Person("nora", "Nora", "Berg", "member, Kurs og arrangementer"),
    Person("lars", "Lars", "Andersen", "team lead, Faglige nettverk"),
    Person("emma", "Emma", "Larsen", "member, Faglige nettverk"),
    Person("henrik", "Henrik", "Pedersen", "member, Faglige nettverk"),
    Person("silje", "Silje", "Nilsen", "team lead, Karriere og rådgivning"),
    Person("thea", "Thea", "Kristiansen", "member, Karriere og rådgivning"),
    Person("magnus", "Magnus", "Eriksen", "member, Karriere og rådgivning"),
]
ORG_ADMIN_USERNAME = "orgadmin"
ADMIN = Person("admin", "Ada", "Administrator", "superuser (Django admin)")

# (slug, name, parent slug, description)
TEAMS = [
    (ORGANISATION_SLUG, "Norsk Kompetanseforbund", None, "Fagforbund for ingeniører, økonomer og IT-folk."),
    (SECTION_SLUG, "Kompetansesenteret", ORGANISATION_SLUG, "Kurs, faglige nettverk og karrierehjelp."),
    (COURSES_SLUG, "Kurs og arrangementer", SECTION_SLUG, "Kurs, webinarer og fagdager for medlemmene."),
    (NETWORKS_SLUG, "Faglige nettverk", SECTION_SLUG, "Faglige nettverk og regionale møteplasser."),
    (CAREER_SLUG, "Karriere og rådgivning", SECTION_SLUG, "Karrieresamtaler, CV-hjelp og jobbsøkerkurs."),
]

# (username, team slug, role)
MEMBERSHIPS = [
    ("leader", SECTION_SLUG, Membership.Role.LEAD),
    ("ambassador", SECTION_SLUG, Membership.Role.MEMBER),
    ("kari", COURSES_SLUG, Membership.Role.LEAD),
    ("member", COURSES_SLUG, Membership.Role.MEMBER),
    ("ole", COURSES_SLUG, Membership.Role.MEMBER),
    ("nora", COURSES_SLUG, Membership.Role.MEMBER),
    ("lars", NETWORKS_SLUG, Membership.Role.LEAD),
    ("emma", NETWORKS_SLUG, Membership.Role.MEMBER),
    ("henrik", NETWORKS_SLUG, Membership.Role.MEMBER),
    ("silje", CAREER_SLUG, Membership.Role.LEAD),
    ("thea", CAREER_SLUG, Membership.Role.MEMBER),
    ("magnus", CAREER_SLUG, Membership.Role.MEMBER),
]


def _user(person: Person, *, password_hash: str, is_staff: bool = False, is_superuser: bool = False):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=person.username,
        defaults={
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": f"{person.username}@example.org",
            "password": password_hash,
            "is_staff": is_staff,
            "is_superuser": is_superuser,
        },
    )
    return user


def demo_people() -> dict[str, object]:
    password_hash = make_password(PASSWORD)
    users = {person.username: _user(person, password_hash=password_hash) for person in PEOPLE}
    users[ADMIN.username] = _user(ADMIN, password_hash=password_hash, is_staff=True, is_superuser=True)
    for username, user in users.items():
        Profile.objects.get_or_create(
            user=user,
            defaults={
                "is_ambassador": username == "ambassador",
                "is_org_admin": username == ORG_ADMIN_USERNAME,
            },
        )
    return users


def demo_teams(users: dict[str, object]) -> dict[str, Team]:
    teams: dict[str, Team] = {}
    for slug, name, parent_slug, description in TEAMS:
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            team = Team(slug=slug, name=name, parent=teams.get(parent_slug), description=description)
            team.full_clean()
            team.save()
        teams[slug] = team
    for username, slug, role in MEMBERSHIPS:
        Membership.objects.get_or_create(user=users[username], team=teams[slug], defaults={"role": role})
    return teams


# --- Objectives, key results, initiatives, check-ins ---------------------------------------------------

# How a key result has moved through the weeks (drives values, confidence and notes of its check-ins).
STEADY = "steady"  # progress follows the pace of the cycle
AHEAD = "ahead"  # a little ahead of pace
BEHIND = "behind"  # at risk: behind pace, confidence sinking to 4
BACKLOADED = "backloaded"  # little progress so far, but confidence 8: the work lands at the end
STALE = "stale"  # no check-in for the last three weeks
DONE = "done"  # an "achieve" that was reached a few weeks ago
NOT_YET = "not_yet"  # an "achieve" that is still open
HOLDING = "holding"  # a stay_above/stay_below that holds its line

NOTES = {
    STEADY: [
        "Jevn fremdrift, ingen endringer i planen.",
        "God påmelding denne uken.",
        "Fulgt opp på teammøtet, alt går etter planen.",
        "",
        "Litt travel uke, men tallene går riktig vei.",
    ],
    AHEAD: [
        "Bedre enn ventet – markedsføringen i nyhetsbrevet virker.",
        "Over plan, vurderer å løfte målet neste periode.",
        "",
    ],
    BEHIND: [
        "Flere kurs avlyst på grunn av lav påmelding.",
        "Leverandøren av kurslokaler har trukket seg, leter etter nye lokaler.",
        "Usikker på om vi når målet – trenger hjelp med markedsføringen.",
        "Sykdom i teamet, har ikke fått fulgt opp.",
    ],
    BACKLOADED: [
        "Det meste er planlagt til slutten av perioden.",
        "Avtaler med foredragsholdere er på plass, gjennomføringen kommer i desember.",
        "Opptaksutstyr er bestilt. Tallene kommer mot slutten.",
    ],
    STALE: ["Første møter er avtalt.", "Venter på svar fra lokallagene.", ""],
    DONE: ["Fortsatt under arbeid.", "Nesten i mål.", "Ferdig! Første møte er holdt."],
    NOT_YET: ["Manus er skrevet.", "Opptak er i gang.", "Venter på gjennomlesing fra fagrådet.", ""],
    HOLDING: ["Stabilt.", "Holder nivået.", "", "Litt nærmere grensen enn vi liker, følger med."],
}
CONFIDENCE = {
    STEADY: [7, 7, 8, 7, 8],
    AHEAD: [8, 8, 9, 9],
    BEHIND: [7, 6, 6, 5, 5, 4],
    BACKLOADED: [8],
    STALE: [6, 6, 5],
    DONE: [7, 8, 9, 10],
    NOT_YET: [6, 7, 7],
    HOLDING: [8, 8, 7, 8],
}
# Progress as a share of the expected pace. BEHIND stays within 0.30 of the pace, so its health is "at risk"
# (from the gap and its confidence of 4) rather than "off track".
PACE = {STEADY: 1.0, AHEAD: 1.2, BEHIND: 0.7, BACKLOADED: 0.1, STALE: 0.8}


@dataclass
class KR:
    title: str
    owner: str
    kind: str
    unit: str
    start: str
    target: str
    profile: str
    decimals: int = 0
    # Checked in during the current ISO week? ``member`` keeps at least one left for "My week".
    this_week: bool = True
    weight: str = "1"
    initiatives: list[tuple[str, str, str]] = field(default_factory=list)  # (title, owner, status)
    # A planned path: milestones as (fraction of the cycle gone, planned value); check-ins follow it.
    plan: tuple[tuple[float, str], ...] = ()
    # Where the latest check-in came from (``CheckIn.Source``): the page unless said otherwise.
    latest_by: str = CheckIn.Source.WEB


@dataclass
class Obj:
    team: str
    title: str
    owner: str
    description: str = ""
    aligned: bool = False  # aligned to the section objective
    status: str = Objective.Status.ACTIVE
    key_results: list[KR] = field(default_factory=list)
    initiatives: list[tuple[str, str, str]] = field(default_factory=list)  # (title, owner, status)


I = Initiative.Status  # noqa: E741 - short alias keeps the tables below readable
K = KeyResult.Kind

SECTION_OBJECTIVE = Obj(
    team=SECTION_SLUG,
    title="Medlemmene opplever oss som sin viktigste kilde til faglig utvikling",
    owner="leader",
    description="Seksjonens mål for perioden. Teamenes mål bygger opp under dette.",
    key_results=[
        KR(
            "Øke andelen medlemmer som bruker minst ett tilbud fra 18 % til 30 %",
            "leader",
            K.INCREASE_TO,
            "%",
            "18",
            "30",
            STEADY,
            decimals=1,
        ),
        KR(
            "Holde medlemstilfredsheten med tilbudene over 4,5 av 5",
            "leader",
            K.STAY_ABOVE,
            "av 5",
            "4.4",
            "4.5",
            HOLDING,
            decimals=2,
        ),
    ],
)

ACTIVE_OBJECTIVES = [
    Obj(
        team=COURSES_SLUG,
        title="Flere medlemmer lærer noe nytt hos oss",
        owner="kari",
        description="Vi når flere medlemmer med kurs og webinarer, også utenfor de store byene.",
        aligned=True,
        key_results=[
            KR(
                "Øke antall kursdeltakere fra 850 til 1 400",
                "member",
                K.INCREASE_TO,
                "deltakere",
                "850",
                "1400",
                STEADY,
                initiatives=[("Kampanje for høstens kurs i nyhetsbrevet", "member", I.DONE)],
                latest_by=CheckIn.Source.EMAIL,  # a reply to the weekly reminder
            ),
            KR(
                "Redusere andelen avlyste kurs fra 12 % til 5 %",
                "member",
                K.DECREASE_TO,
                "%",
                "12",
                "5",
                BEHIND,
                decimals=1,
                this_week=False,
                initiatives=[("Ny påmeldingsløsning med venteliste", "member", I.IN_PROGRESS)],
            ),
            KR(
                "Lansere e-læringskurset «Prosjektledelse i praksis»",
                "member",
                K.ACHIEVE,
                "",
                "0",
                "1",
                NOT_YET,
                this_week=False,
                weight="2",
            ),
        ],
        initiatives=[
            ("Kursevaluering etter hvert kurs", "ole", I.DONE),
            ("Bedriftsinterne kurs i samarbeid med arbeidsgivere", "nora", I.PLANNED),
            ("Trykt kurskatalog", "kari", I.DROPPED),
        ],
    ),
    Obj(
        team=COURSES_SLUG,
        title="Arrangementene våre holder høy kvalitet til en fornuftig pris",
        owner="kari",
        key_results=[
            KR(
                "Holde gjennomsnittlig kursevaluering over 4,3 av 5",
                "nora",
                K.STAY_ABOVE,
                "av 5",
                "4.2",
                "4.3",
                HOLDING,
                decimals=2,
            ),
            KR(
                "Holde kostnaden per deltaker under 1 200 kr",
                "ole",
                K.STAY_BELOW,
                "kr",
                "1250",
                "1200",
                HOLDING,
            ),
            KR(
                "Øke antall webinarer med opptak fra 0 til 20",
                "member",
                K.INCREASE_TO,
                "webinarer",
                "0",
                "20",
                BACKLOADED,
                initiatives=[("Opptaksstudio i kantina", "member", I.IN_PROGRESS)],
            ),
        ],
    ),
    Obj(
        team=NETWORKS_SLUG,
        title="Nettverkene er levende møteplasser i hele landet",
        owner="lars",
        aligned=True,
        key_results=[
            KR(
                "Øke antall aktive faglige nettverk fra 14 til 20",
                "emma",
                K.INCREASE_TO,
                "nettverk",
                "14",
                "20",
                AHEAD,
                initiatives=[("Verktøykasse for nettverksledere", "emma", I.IN_PROGRESS)],
            ),
            KR(
                "Øke antall nettverksmøter utenfor Oslo fra 10 til 24",
                "henrik",
                K.INCREASE_TO,
                "møter",
                "10",
                "24",
                STALE,
                initiatives=[("Regionale samlinger i Bergen, Trondheim og Tromsø", "henrik", I.PLANNED)],
            ),
            KR("Etablere et faglig nettverk for kunstig intelligens", "lars", K.ACHIEVE, "", "0", "1", DONE),
        ],
        initiatives=[("Digital nettverksplattform", "lars", I.IN_PROGRESS)],
    ),
    Obj(
        team=CAREER_SLUG,
        title="Medlemmene får rask og god karrierehjelp",
        owner="silje",
        aligned=True,
        key_results=[
            KR(
                "Redusere ventetiden på karrieresamtale fra 21 til 7 dager",
                "thea",
                K.DECREASE_TO,
                "dager",
                "21",
                "7",
                STEADY,
                initiatives=[("Drop-in-samtaler på Teams hver onsdag", "thea", I.DONE)],
                # Measure the real waiting time first, then shorten it: expected progress follows the plan.
                plan=((0.3, "21"), (0.6, "14")),
            ),
            KR(
                "Øke antall karrieresamtaler fra 300 til 450",
                "magnus",
                K.INCREASE_TO,
                "samtaler",
                "300",
                "450",
                STEADY,
            ),
            KR(
                "Holde andelen som anbefaler tjenesten over 80 %",
                "silje",
                K.STAY_ABOVE,
                "%",
                "82",
                "80",
                HOLDING,
                decimals=1,
            ),
        ],
        initiatives=[
            ("Ny CV-mal og veiledning", "magnus", I.IN_PROGRESS),
            ("Chatbot for enkle spørsmål", "silje", I.DROPPED),
        ],
    ),
    Obj(
        team=CAREER_SLUG,
        title="Studentmedlemmene kommer godt i gang i arbeidslivet",
        owner="silje",
        key_results=[
            KR(
                "Øke antall studenter på jobbsøkerkurs fra 40 til 120",
                "magnus",
                K.INCREASE_TO,
                "studenter",
                "40",
                "120",
                AHEAD,
            ),
            KR(
                "Holde svartiden på e-post under 2 virkedager",
                "thea",
                K.STAY_BELOW,
                "virkedager",
                "3",
                "2",
                HOLDING,
                decimals=1,
            ),
        ],
        initiatives=[("Karrieredag på tre studiesteder", "magnus", I.PLANNED)],
    ),
]

PLANNING_OBJECTIVES = [
    Obj(
        team=COURSES_SLUG,
        title="Kurs for hele karrieren",
        owner="kari",
        status=Objective.Status.DRAFT,
        description="Utkast fra målworkshopen.",
        key_results=[
            KR("Øke antall kurs for seniorer fra 2 til 8", "nora", K.INCREASE_TO, "kurs", "2", "8", STEADY),
            KR("Lansere et introduksjonsprogram for nyutdannede", "member", K.ACHIEVE, "", "0", "1", NOT_YET),
        ],
    ),
    Obj(
        team=NETWORKS_SLUG,
        title="Nettverkene deler kunnskap på tvers",
        owner="lars",
        status=Objective.Status.DRAFT,
        key_results=[
            KR("Øke antall felles fagdager fra 0 til 3", "emma", K.INCREASE_TO, "fagdager", "0", "3", STEADY),
        ],
    ),
]


def _objective(
    spec: Obj, *, cycle: Cycle, teams, users, parent: Objective | None, position: int
) -> Objective:
    team = teams[spec.team]
    objective = Objective.objects.filter(team=team, cycle=cycle, title=spec.title).first()
    if objective is None:
        objective = objective_create(
            team=team,
            cycle=cycle,
            title=spec.title,
            owner=users[spec.owner],
            description=spec.description,
            parent=parent if spec.aligned else None,
            status=spec.status,
            position=position,
        )
    return objective


def _initiative(objective: Objective, title: str, owner, status: str, *, key_result=None, position: int):
    # Open work has a due date, spread over the last weeks of the cycle.
    due = None
    if status in (Initiative.Status.PLANNED, Initiative.Status.IN_PROGRESS):
        due = objective.cycle.end_date - dt.timedelta(days=7 * (position + 1))
    if not Initiative.objects.filter(objective=objective, title=title).exists():
        initiative_create(
            objective=objective,
            key_result=key_result,
            title=title,
            owner=owner,
            status=status,
            due_date=due,
            position=position,
        )


def _quantize(value: float, decimals: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def checkin_series(
    spec: KR, *, cycle: Cycle, now: dt.datetime, seed: str
) -> list[tuple[dt.datetime, Decimal, int, str]]:
    """(created_at, value, confidence, note) for each week of this key result's history, oldest first."""
    rng = random.Random(seed)
    today = timezone.localtime(now).date()
    week_start = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time())
    )
    start, target = Decimal(spec.start), Decimal(spec.target)
    series = []
    best = 0.0
    weeks = [k for k in range(HISTORY_WEEKS, -1, -1) if today - dt.timedelta(weeks=k) >= cycle.start_date]
    if spec.profile == STALE:
        weeks = [k for k in weeks if k >= 4]
    if not spec.this_week:
        weeks = [k for k in weeks if k >= 1]
    for n, weeks_ago in enumerate(weeks):
        day = today - dt.timedelta(weeks=weeks_ago)
        if weeks_ago == 0:
            # Still inside this ISO week and never in the future.
            created_at = max(week_start, now - dt.timedelta(minutes=30 + rng.randint(0, 60)))
        else:
            created_at = timezone.make_aware(
                dt.datetime.combine(day, dt.time(9 + rng.randint(0, 6), rng.randint(0, 59)))
            )
        last = n == len(weeks) - 1
        pace = progress.planned_progress(
            start=start,
            target=target,
            cycle_start=cycle.start_date,
            cycle_end=cycle.end_date,
            milestones=plan_milestones(spec, cycle=cycle),
            on=day,
        )
        if spec.kind in (K.INCREASE_TO, K.DECREASE_TO):
            fraction = PACE[spec.profile] * pace + rng.uniform(-0.03, 0.03)
            best = max(best, min(fraction, 1.0))  # counts do not go backwards
            value = _quantize(float(start + (target - start) * Decimal(str(best))), spec.decimals)
        elif spec.kind == K.ACHIEVE:
            done = spec.profile == DONE and n >= len(weeks) - 3
            value = Decimal(1 if done else 0)
        else:
            # A line to hold: mostly on the right side of it, once a little over the edge.
            margin = abs(start - target) or Decimal(1) / 10**spec.decimals or Decimal(1)
            side = 1 if spec.kind == K.STAY_ABOVE else -1
            wobble = Decimal(str(rng.uniform(0.2, 1.0))) * margin
            if n == len(weeks) // 2 and n:
                wobble = -margin / 2
            value = _quantize(float(target + side * wobble), spec.decimals)
        confidences = CONFIDENCE[spec.profile]
        # Spread the confidence path over the history, ending on its last value.
        confidence = confidences[-1] if last else confidences[n * len(confidences) // len(weeks)]
        notes = NOTES[spec.profile]
        note = notes[-1] if last and spec.profile == DONE else rng.choice(notes)
        series.append((created_at, value, confidence, note))
    return series


def plan_milestones(spec: KR, *, cycle: Cycle) -> list[tuple[dt.date, Decimal]]:
    """The spec's planned path as dated milestones in ``cycle``."""
    days = (cycle.end_date - cycle.start_date).days
    return [
        (cycle.start_date + dt.timedelta(days=round(fraction * days)), Decimal(value))
        for fraction, value in spec.plan
    ]


def _plan(key_result: KeyResult, spec: KR, *, objective: Objective) -> None:
    # Also completes a demo seeded before plans existed; a plan someone changed is left as it is.
    if spec.plan and not key_result.milestones.exists():
        key_result_plan_set(
            key_result=key_result,
            actor=objective.owner,
            milestones=plan_milestones(spec, cycle=objective.cycle),
        )


def _key_result(spec: KR, *, objective: Objective, users, position: int, now: dt.datetime, checkins: bool):
    key_result = KeyResult.objects.filter(objective=objective, title=spec.title).first()
    if key_result is not None:
        _plan(key_result, spec, objective=objective)
        return key_result
    key_result = key_result_create(
        objective=objective,
        title=spec.title,
        owner=users[spec.owner],
        kind=spec.kind,
        unit=spec.unit,
        start_value=Decimal(spec.start),
        target_value=Decimal(spec.target),
        weight=Decimal(spec.weight),
        position=position,
    )
    _plan(key_result, spec, objective=objective)
    if checkins:
        series = checkin_series(spec, cycle=objective.cycle, now=now, seed=f"{objective.title}/{spec.title}")
        for n, (created_at, value, confidence, note) in enumerate(series, start=1):
            checkin_submit(
                key_result=key_result,
                author=users[spec.owner],
                value=value,
                confidence=confidence,
                note=note,
                created_at=created_at,
                source=spec.latest_by if n == len(series) else CheckIn.Source.WEB,
            )
    return key_result


def _objectives(specs, *, cycle, teams, users, parent, now, checkins: bool) -> list[Objective]:
    objectives = []
    for position, spec in enumerate(specs):
        objective = _objective(spec, cycle=cycle, teams=teams, users=users, parent=parent, position=position)
        objectives.append(objective)
        for kr_position, kr_spec in enumerate(spec.key_results):
            key_result = _key_result(
                kr_spec, objective=objective, users=users, position=kr_position, now=now, checkins=checkins
            )
            for title, owner, status in kr_spec.initiatives:
                _initiative(objective, title, users[owner], status, key_result=key_result, position=0)
        for i_position, (title, owner, status) in enumerate(spec.initiatives, start=1):
            _initiative(objective, title, users[owner], status, position=i_position)
    return objectives


@dataclass
class DemoResult:
    active_cycle: Cycle
    planning_cycle: Cycle
    logins: list[tuple[str, str, str]]  # (username, password, role)


@transaction.atomic
def seed_demo(*, now: dt.datetime | None = None) -> DemoResult:
    """Build (or complete) the demo organisation. Running it again changes nothing."""
    now = now or timezone.now()
    active, planning = demo_cycles(timezone.localtime(now).date())
    users = demo_people()
    teams = demo_teams(users)
    (section_objective,) = _objectives(
        [SECTION_OBJECTIVE], cycle=active, teams=teams, users=users, parent=None, now=now, checkins=True
    )
    _objectives(
        ACTIVE_OBJECTIVES,
        cycle=active,
        teams=teams,
        users=users,
        parent=section_objective,
        now=now,
        checkins=True,
    )
    _objectives(
        PLANNING_OBJECTIVES, cycle=planning, teams=teams, users=users, parent=None, now=now, checkins=False
    )
    # Other apps' demo data goes here: `from <app>.demo import seed_<area>` and call it with what it needs.
    seed_feedback(cycle=active, now=now)
    seed_workshops(active=active, planning=planning, now=now)
    seed_data_sources(cycle=active, now=now)
    seed_invitations(users=users, teams=teams, now=now, days=settings.INVITATION_DAYS)
    seed_meetings(now=now)
    seed_integrations(users=users, now=now)  # last: its endpoints must not hear the demo's own check-ins
    logins = [(p.username, PASSWORD, p.role) for p in [*PEOPLE, ADMIN]]
    return DemoResult(active_cycle=active, planning_cycle=planning, logins=logins)


# --- Synthetic organisation for benchmarks ---------------------------------------------------------------

SYNTHETIC_MEMBERS = 4  # per team: one lead and three members
SYNTHETIC_TEAMS_PER_SECTION = 25


@dataclass
class SyntheticResult:
    teams_created: int
    users_created: int
    key_results_created: int
    checkins_created: int


@transaction.atomic
def seed_synthetic(
    *, teams: int, weeks: int, cycle: Cycle, now: dt.datetime | None = None
) -> SyntheticResult:
    """Add N synthetic teams (with members, OKRs and W weeks of check-ins) in ``cycle``, in bulk.

    Teams are numbered; those that already exist are left alone, so re-running with the same N adds nothing.
    The rows mean what the services write: each check-in is built and validated by ``checkin_build`` (what
    ``checkin_submit`` saves), each key result follows its latest check-in through ``key_result_follow`` (the
    check-in service's recompute) before it is inserted, and key results get their "created" history row like
    ``key_result_create``'s. Only the per-check-in row lock and save are spared.
    """
    now = now or timezone.now()
    User = get_user_model()
    root = Team.objects.filter(slug=SYNTHETIC_SLUG).first()
    if root is None:
        root = Team.objects.create(slug=SYNTHETIC_SLUG, name="Syntetisk organisasjon")
    section_count = max(1, -(-teams // SYNTHETIC_TEAMS_PER_SECTION))
    sections = []
    for s in range(1, section_count + 1):
        section, _ = Team.objects.get_or_create(
            slug=f"syntetisk-seksjon-{s:02d}", defaults={"name": f"Syntetisk seksjon {s:02d}", "parent": root}
        )
        sections.append(section)

    wanted = {f"syntetisk-team-{t:04d}": t for t in range(1, teams + 1)}
    existing = set(Team.objects.filter(slug__in=wanted).values_list("slug", flat=True))
    numbers = [t for slug, t in wanted.items() if slug not in existing]
    if not numbers:
        return SyntheticResult(0, 0, 0, 0)

    new_teams = Team.objects.bulk_create(
        [
            Team(
                slug=f"syntetisk-team-{t:04d}",
                name=f"Syntetisk team {t:04d}",
                parent=sections[(t - 1) // SYNTHETIC_TEAMS_PER_SECTION % len(sections)],
            )
            for t in numbers
        ]
    )
    tree_changed()  # bulk_create sends no signals: every process reads the team tree again
    password_hash = make_password(PASSWORD)  # hashing is slow on purpose: once for every user
    usernames = [f"synt{t:04d}_{m}" for t in numbers for m in range(1, SYNTHETIC_MEMBERS + 1)]
    known = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    User.objects.bulk_create(
        [
            User(
                username=name,
                first_name=rng_name[0],
                last_name=rng_name[1],
                email=f"{name}@example.org",
                password=password_hash,
            )
            for name, rng_name in zip(usernames, _synthetic_names(len(usernames)), strict=True)
            if name not in known
        ]
    )
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    Profile.objects.bulk_create([Profile(user=u) for u in users.values()], ignore_conflicts=True)
    memberships, team_users = [], {}
    for team, t in zip(new_teams, numbers, strict=True):
        members = [users[f"synt{t:04d}_{m}"] for m in range(1, SYNTHETIC_MEMBERS + 1)]
        team_users[team.pk] = members
        memberships += [
            Membership(user=u, team=team, role=Membership.Role.LEAD if m == 0 else Membership.Role.MEMBER)
            for m, u in enumerate(members)
        ]
    Membership.objects.bulk_create(memberships, ignore_conflicts=True)

    rng = random.Random(f"synthetic-{teams}-{weeks}")
    objectives = []
    for team in new_teams:
        lead = team_users[team.pk][0]
        objectives += [
            Objective(
                team=team,
                cycle=cycle,
                title=f"{team.name}: mål {o}",
                owner=lead,
                status=Objective.Status.ACTIVE,
                position=o,
            )
            for o in range(1, rng.randint(2, 3) + 1)
        ]
    Objective.objects.bulk_create(objectives)

    kinds = [K.INCREASE_TO, K.INCREASE_TO, K.DECREASE_TO, K.STAY_ABOVE, K.STAY_BELOW, K.ACHIEVE]
    today = timezone.localtime(now).date()
    key_results, series, initiatives = [], [], []
    for objective in objectives:
        members = team_users[objective.team_id]
        for k in range(1, rng.randint(2, 4) + 1):
            kind = rng.choice(kinds)
            start, target = {
                K.INCREASE_TO: (Decimal(rng.randint(0, 50)), Decimal(rng.randint(60, 200))),
                K.DECREASE_TO: (Decimal(rng.randint(60, 200)), Decimal(rng.randint(0, 50))),
                K.STAY_ABOVE: (Decimal(90), Decimal(85)),
                K.STAY_BELOW: (Decimal(10), Decimal(15)),
                K.ACHIEVE: (Decimal(0), Decimal(1)),
            }[kind]
            owner = members[k % len(members)]
            pace = rng.uniform(0.3, 1.3)
            key_result = KeyResult(
                objective=objective,
                title=f"Nøkkelresultat {k}",
                owner=owner,
                kind=kind,
                unit="stk",
                start_value=start,
                target_value=target,
                current_value=start,
                position=k,
            )
            checkins = []
            for weeks_ago in range(weeks - 1, -1, -1):
                day = today - dt.timedelta(weeks=weeks_ago)
                fraction = min(
                    1.0, pace * progress.expected_progress(start=cycle.start_date, end=cycle.end_date, on=day)
                )
                if kind in (K.INCREASE_TO, K.DECREASE_TO):
                    value = (start + (target - start) * Decimal(str(round(fraction, 4)))).quantize(Decimal(1))
                elif kind == K.ACHIEVE:
                    value = Decimal(1 if fraction >= 0.9 else 0)
                else:
                    value = target + Decimal(rng.randint(-2, 6)) * (1 if kind == K.STAY_ABOVE else -1)
                created_at = now - dt.timedelta(weeks=weeks_ago, minutes=rng.randint(1, 600))
                checkins.append(
                    checkin_build(
                        key_result=key_result,
                        author=owner,
                        value=value,
                        confidence=rng.randint(3, 10),
                        created_at=created_at,
                    )
                )
            key_result_follow(key_result, checkin_latest(checkins))
            key_results.append(key_result)
            series.append(checkins)
        initiatives.append(
            Initiative(
                objective=objective,
                title=f"Tiltak for {objective.title}",
                owner=members[0],
                status=rng.choice(list(I.values)),
                position=1,
            )
        )
    bulk_create_with_history(key_results, KeyResult, batch_size=1000)
    all_checkins = []
    for key_result, checkins in zip(key_results, series, strict=True):
        for checkin in checkins:
            checkin.key_result = key_result
        all_checkins += checkins
    bulk_insert(CheckIn, all_checkins)
    bulk_insert(Initiative, initiatives)
    return SyntheticResult(len(new_teams), len(users) - len(known), len(key_results), len(all_checkins))


FIRST_NAMES = [
    "Emma",
    "Nora",
    "Sara",
    "Ingrid",
    "Ida",
    "Jakob",
    "Emil",
    "Noah",
    "Oliver",
    "Filip",
    "Aksel",
    "Maja",
    "Sofie",
    "Olav",
    "Ahmed",
    "Fatima",
    "Mohammed",
    "Leah",
    "Tobias",
    "Hedda",
]
LAST_NAMES = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
]


def _synthetic_names(count: int) -> list[tuple[str, str]]:
    rng = random.Random(count)
    return [(rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)) for _ in range(count)]
