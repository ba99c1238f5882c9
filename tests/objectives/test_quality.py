"""The key-result quality coach, table by table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from objectives import quality
from objectives.quality import KeyResultDraft

D = Decimal


@pytest.mark.parametrize(
    ("title", "kind", "expected"),
    [
        ("Lage ny nettside", "increase_to", True),
        ("Gjennomføre fem kurs", "increase_to", True),
        ("Arrangere fagdag for alle ansatte", "achieve", True),
        ("Holde tre workshops", "increase_to", True),
        ("Etablere et forum for ledere", "achieve", True),
        ("Utvikle ny app", "achieve", True),
        ("Starte podkast", "achieve", True),
        ("Å lage en plan", "achieve", True),
        ("Launch the new website", "achieve", True),
        ("Create onboarding guide", "achieve", True),
        ("Deliver three courses", "increase_to", True),
        ("Hold a kick-off", "achieve", True),
        ("Build a dashboard", "achieve", True),
        ("Organise two hackathons", "increase_to", True),
        ("Organize two hackathons", "increase_to", True),
        ("To create a plan", "achieve", True),
        # Results, not tasks.
        ("Øke antall kursdeltakere fra 100 til 250", "increase_to", False),
        ("Redusere svartid til under 2 dager", "decrease_to", False),
        ("Increase NPS from 20 to 40", "increase_to", False),
        ("Kundetilfredshet over 80 %", "stay_above", False),
        ("", "increase_to", False),
        ("123 nye brukere", "increase_to", False),
        # "Holde over/under" is the wording of a stay-above/below key result.
        ("Holde svartiden under 2 dager", "stay_below", False),
        ("Holde over 80 % oppmøte", "increase_to", False),
        ("Hold above 95 % uptime", "stay_above", False),
        # A verb later in the title is fine.
        ("Andel som vil anbefale kurset, lage mål", "increase_to", False),
        # Case and punctuation do not hide the verb.
        ("«LAGE» ny plan", "achieve", True),
    ],
)
def test_it_spots_titles_that_read_like_tasks(title, kind, expected):
    assert quality.reads_like_task(title, kind=kind) is expected


@pytest.mark.parametrize(
    ("kind", "start", "target", "expected"),
    [
        ("increase_to", D(10), D(40), True),
        ("increase_to", D(10), D(10), False),
        ("decrease_to", D(5), D(5), False),
        ("decrease_to", D(5), D(2), True),
        ("increase_to", None, D(40), False),
        ("increase_to", D(0), None, False),
        ("stay_above", D(80), D(80), True),
        ("stay_below", None, D(2), False),
        ("achieve", None, None, True),
        ("achieve", D(0), D(0), True),
    ],
)
def test_it_checks_measurability(kind, start, target, expected):
    assert quality.is_measurable(kind=kind, start=start, target=target) is expected


@pytest.mark.parametrize(
    ("draft", "codes"),
    [
        (KeyResultDraft("Øke NPS fra 20 til 40", "increase_to", D(20), D(40), owner_id=1), []),
        (
            KeyResultDraft("Lage ny nettside", "increase_to", D(0), D(0), owner_id=None),
            [quality.NOT_MEASURABLE, quality.READS_LIKE_TASK, quality.NO_OWNER],
        ),
        (KeyResultDraft("Launch app", "achieve", None, None, owner_id=3), [quality.READS_LIKE_TASK]),
        (KeyResultDraft("Oppmøte", "increase_to", D(1), D(5)), [quality.NO_OWNER]),
    ],
)
def test_it_lists_key_result_warnings_in_order(draft, codes):
    assert quality.key_result_warnings(draft) == codes


@pytest.mark.parametrize(
    ("kinds", "codes"),
    [
        ([], [quality.TOO_FEW_KEY_RESULTS]),
        (["increase_to"], [quality.TOO_FEW_KEY_RESULTS]),
        (["increase_to", "decrease_to"], []),
        (["increase_to"] * 5, []),
        (["increase_to"] * 6, [quality.TOO_MANY_KEY_RESULTS]),
        (["achieve", "increase_to"], []),
        (["achieve", "achieve", "increase_to"], [quality.ACHIEVE_DOMINATES]),
        (["achieve"], [quality.TOO_FEW_KEY_RESULTS, quality.ACHIEVE_DOMINATES]),
        (["achieve"] * 6, [quality.TOO_MANY_KEY_RESULTS, quality.ACHIEVE_DOMINATES]),
    ],
)
def test_it_checks_the_objective_shape(kinds, codes):
    assert quality.objective_warnings(kinds) == codes


def test_it_lists_members_who_own_nothing_by_name():
    members = [(1, "Åse"), (2, "bjørn"), (3, "Carl"), (4, "Anne")]
    assert quality.ownership_gaps(members, [2, None, 9]) == ["Anne", "Carl", "Åse"]
    assert quality.ownership_gaps(members, [1, 2, 3, 4]) == []


def test_both_languages_have_word_lists():
    assert {
        "lage",
        "gjennomføre",
        "arrangere",
        "holde",
        "etablere",
        "utvikle",
        "starte",
    } <= quality.ACTIVITY_VERBS_NB
    assert {"launch", "create", "deliver", "hold", "build", "organise"} <= quality.ACTIVITY_VERBS_EN


# --- A planned hockey stick ------------------------------------------------------------------------------

START, END = dt.date(2027, 1, 1), dt.date(2027, 5, 1)  # 120 days


def _day(days: int) -> dt.date:
    return START + dt.timedelta(days=days)


@pytest.mark.parametrize(
    ("case", "kind", "milestones", "warned"),
    [
        ("no plan", "increase_to", (), False),
        ("half by three quarters", "increase_to", ((_day(60), D(10)), (_day(90), D(25))), False),
        ("most in the last quarter", "increase_to", ((_day(90), D(20)),), True),
        ("decrease, most in the last quarter", "decrease_to", ((_day(90), D(35)),), True),
        ("not a kind with a pace", "stay_above", ((_day(90), D(20)),), False),
    ],
)
def test_it_warns_about_a_planned_hockey_stick(case, kind, milestones, warned):
    start, target = (D(40), D(10)) if kind == "decrease_to" else (D(10), D(40))
    draft = KeyResultDraft(
        title="Flere kurs",
        kind=kind,
        start=start,
        target=target,
        owner_id=1,
        milestones=milestones,
        cycle_start=START,
        cycle_end=END,
    )
    assert (quality.PLANNED_HOCKEY_STICK in quality.key_result_warnings(draft)) is warned, case


# --- Numbers in titles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "numbers"),
    [
        ("Øke antall kurs fra 10 til 40", [D(10), D(40)]),
        ("Øke fra 1 400 til 2 000 kunder", [D(1400), D(2000)]),
        ("Øke fra 1\u00a0400 til 12\u202f000", [D(1400), D(12000)]),
        ("Snittscore 12,5 eller mer", [D("12.5")]),
        ("Average score 12.5 or more", [D("12.5")]),
        ("Minst 80 % fornøyde innen Q2", [D(80)]),
        ("Ingen 3G-master igjen", []),
        ("Redusere underskuddet til -5", [D(-5)]),
        ("Tall uten tall", []),
    ],
)
def test_it_reads_the_numbers_in_a_title(title, numbers):
    assert [n.value for n in quality.title_numbers(title)] == numbers


@pytest.mark.parametrize(
    ("title", "kind", "start", "target", "disagrees"),
    [
        ("Øke antall kurs fra 10 til 40", "increase_to", 10, 40, False),
        ("Øke antall kurs fra 10 til 40", "increase_to", 10, 50, True),  # the target moved
        ("Øke antall kurs fra 10 til 40", "increase_to", 12, 40, True),  # the start moved
        ("Øke antall kurs til 40 i 3 regioner", "increase_to", 10, 40, False),  # no "fra": start not read
        ("Øke fra 1 400 til 2 000 kunder", "increase_to", 1400, 2000, False),
        ("Snittscore 12,5", "stay_above", D("12.5"), D("12.5"), False),
        ("Kundetilfredshet over 80 %", "stay_above", 85, 80, False),
        ("Kundetilfredshet over 80 %", "stay_above", 85, 75, True),
        ("Flere kurs innen 2027", "increase_to", 10, 40, False),  # a year is not a value
        ("Nå 2027 kunder", "increase_to", 1000, 2027, False),  # unless it is one
        ("Flere kurs", "increase_to", 10, 40, False),  # no numbers, nothing to disagree with
        ("Lansere appen i 2 byer", "achieve", 0, 1, False),  # done or not: no values in the title
        ("Increase NPS from 20 to 40", "increase_to", 25, 40, True),
    ],
)
def test_it_finds_titles_whose_numbers_disagree_with_the_values(title, kind, start, target, disagrees):
    assert quality.title_disagrees(title, kind=kind, start=D(start), target=D(target)) is disagrees
    draft = KeyResultDraft(title=title, kind=kind, start=D(start), target=D(target), owner_id=1)
    assert (quality.TITLE_NUMBERS in quality.key_result_warnings(draft)) is disagrees


@pytest.mark.parametrize(
    ("title", "old", "new", "suggestion"),
    [
        ("Øke antall kurs fra 10 til 40", (10, 40), (10, 50), "Øke antall kurs fra 10 til 50"),
        ("Øke antall kurs fra 10 til 40", (10, 40), (12, 50), "Øke antall kurs fra 12 til 50"),
        ("Øke fra 1 400 til 2 000 kunder", (1400, 2000), (1500, 2500), "Øke fra 1 500 til 2 500 kunder"),
        ("Øke fra 900 til 1 400 kunder", (900, 1400), (1200, 1600), "Øke fra 1 200 til 1 600 kunder"),
        (
            "Øke fra 1400 til 2000",
            (1400, 2000),
            (1400, 12000),
            "Øke fra 1400 til 12000",
        ),  # as written: ungrouped
        ("Snittscore fra 10 til 12,5", (10, D("12.5")), (10, D("13.25")), "Snittscore fra 10 til 13,25"),
        ("Score from 10 to 12.5", (10, D("12.5")), (10, 13), "Score from 10 to 13"),
        ("Score fra 10 til 12", (10, 12), (10, D("12.5")), "Score fra 10 til 12,5"),  # the language's mark
        ("Over 80 % fornøyde", (80, 80), (80, 85), "Over 85 % fornøyde"),  # equal: the target
        ("Flere kurs", (10, 40), (10, 50), None),  # no old number in the title
        ("Øke fra 10 til 40", (10, 40), (10, 40), None),  # nothing changed
    ],
)
def test_it_offers_the_title_with_the_new_numbers(title, old, new, suggestion):
    result = quality.retitle(
        title,
        old_start=D(old[0]),
        old_target=D(old[1]),
        new_start=D(new[0]),
        new_target=D(new[1]),
        decimal_mark=",",
        group_separator=" ",
    )
    assert result == suggestion
