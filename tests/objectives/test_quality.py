"""The key-result quality coach, table by table."""

from __future__ import annotations

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
