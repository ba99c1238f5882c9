"""The key-result quality coach: pure rules, no Django, so they can be read and table-tested alone.

The coach warns and never blocks. Each rule returns a short code; ``workshops/coach.py`` turns the codes
into translated messages.

Per key result:

====================  ===================================================================================
``not_measurable``    no numeric start or target (except ``achieve``), or, for ``increase_to`` /
                      ``decrease_to``, a target equal to the start. (``stay_above`` / ``stay_below`` hold a
                      level, so a target equal to today's value is the normal case there.)
``reads_like_task``   the title starts with an activity verb ("lage", "gjennomføre", "launch", "deliver"…):
                      that is an initiative, not a result. "Holde over/under" and "hold above/below" are
                      the wording of a stay-above/below key result and are not flagged.
``no_owner``          nobody owns it
====================  ===================================================================================

Per objective (counting the key results still in progress):

=======================  ================================================================================
``too_few_key_results``   fewer than two
``too_many_key_results``  more than five
``achieve_dominates``     more than half are ``achieve``: progress will be all or nothing at the end
=======================  ================================================================================

Per team: ``ownership_gaps`` lists the members who own no initiative and no key result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

ACHIEVE = "achieve"
INCREASE_TO = "increase_to"
DECREASE_TO = "decrease_to"
STAY_ABOVE = "stay_above"
STAY_BELOW = "stay_below"

NOT_MEASURABLE = "not_measurable"
READS_LIKE_TASK = "reads_like_task"
NO_OWNER = "no_owner"
TOO_FEW_KEY_RESULTS = "too_few_key_results"
TOO_MANY_KEY_RESULTS = "too_many_key_results"
ACHIEVE_DOMINATES = "achieve_dominates"

MIN_KEY_RESULTS = 2
MAX_KEY_RESULTS = 5

# Activity verbs that open a task rather than a result, infinitive and imperative forms.
ACTIVITY_VERBS_NB = frozenset(
    {
        "lage", "lag",
        "gjennomføre", "gjennomfør",
        "arrangere", "arranger",
        "holde", "hold",
        "etablere", "etabler",
        "utvikle", "utvikl",
        "starte", "start",
        "opprette", "opprett",
        "lansere", "lanser",
        "levere", "lever",
        "bygge", "bygg",
        "innføre", "innfør",
        "implementere", "implementer",
        "planlegge", "planlegg",
        "skrive", "skriv",
        "ferdigstille", "ferdigstill",
        "organisere", "organiser",
        "kartlegge", "kartlegg",
        "utarbeide", "utarbeid",
        "sette", "sett",
        "avholde", "avhold",
        "gjøre", "gjør",
    }
)  # fmt: skip
ACTIVITY_VERBS_EN = frozenset(
    {
        "launch", "launching",
        "create", "creating",
        "deliver", "delivering",
        "hold", "holding",
        "build", "building",
        "organise", "organising", "organize", "organizing",
        "run", "running",
        "develop", "developing",
        "implement", "implementing",
        "establish", "establishing",
        "start", "starting",
        "set", "setting",
        "write", "writing",
        "make", "making",
        "plan", "planning",
        "design", "designing",
        "introduce", "introducing",
        "conduct", "conducting",
        "host", "hosting",
        "arrange", "arranging",
        "complete", "completing",
        "finish", "finishing",
        "do", "doing",
    }
)  # fmt: skip
ACTIVITY_VERBS = ACTIVITY_VERBS_NB | ACTIVITY_VERBS_EN

# "Holde over 80 %" / "hold above 80 %" describe a level to keep: a stay-above/below key result, not a task.
LEVEL_WORDS = frozenset({"over", "under", "above", "below", "på", "at"})
LEVEL_VERBS = frozenset({"holde", "hold", "holding"})

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class KeyResultDraft:
    title: str
    kind: str
    start: Decimal | None = None
    target: Decimal | None = None
    owner_id: int | None = None


def _words(title: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(title or "")]
    # "Å lage …" / "To launch …": skip the infinitive marker.
    if words and words[0] in ("å", "to"):
        words = words[1:]
    return words


def reads_like_task(title: str, *, kind: str = INCREASE_TO) -> bool:
    words = _words(title)
    if not words or words[0] not in ACTIVITY_VERBS:
        return False
    keeps_a_level = kind in (STAY_ABOVE, STAY_BELOW) or (len(words) > 1 and words[1] in LEVEL_WORDS)
    return not (words[0] in LEVEL_VERBS and keeps_a_level)


def is_measurable(*, kind: str, start: Decimal | None, target: Decimal | None) -> bool:
    if kind == ACHIEVE:
        return True
    if start is None or target is None:
        return False
    return not (kind in (INCREASE_TO, DECREASE_TO) and start == target)


def key_result_warnings(draft: KeyResultDraft) -> list[str]:
    """The codes that apply to one key result, in the order of the table above."""
    codes: list[str] = []
    if not is_measurable(kind=draft.kind, start=draft.start, target=draft.target):
        codes.append(NOT_MEASURABLE)
    if reads_like_task(draft.title, kind=draft.kind):
        codes.append(READS_LIKE_TASK)
    if draft.owner_id is None:
        codes.append(NO_OWNER)
    return codes


def objective_warnings(kinds: Sequence[str]) -> list[str]:
    """Codes for an objective, given the kinds of its key results in progress."""
    codes: list[str] = []
    count = len(kinds)
    if count < MIN_KEY_RESULTS:
        codes.append(TOO_FEW_KEY_RESULTS)
    if count > MAX_KEY_RESULTS:
        codes.append(TOO_MANY_KEY_RESULTS)
    achieve = sum(1 for kind in kinds if kind == ACHIEVE)
    if count and achieve * 2 > count:
        codes.append(ACHIEVE_DOMINATES)
    return codes


def ownership_gaps(members: Iterable[tuple[int, str]], owner_ids: Iterable[int | None]) -> list[str]:
    """Names of the members (id, name) who own nothing, sorted by name."""
    owners = {owner_id for owner_id in owner_ids if owner_id is not None}
    return sorted((name for member_id, name in members if member_id not in owners), key=str.casefold)
