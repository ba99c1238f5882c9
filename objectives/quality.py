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
``planned_hockey_stick``  its planned path (milestones) leaves more than half of the progress to the last
                      quarter of the cycle (``progress.is_planned_hockey_stick``)
``title_numbers``     the title's numbers disagree with the values: the title has numbers but not the
                      target value, or it says "fra X til …" / "from X to …" with an X other than the start
                      value (not for ``achieve``). Years (1900–2100) only count when they are a value.
====================  ===================================================================================

Numbers in titles may be written Norwegian-style ("1 400", "12,5") or English-style ("1400", "12.5");
``retitle`` offers the title with a key result's new start and target in place of the old ones, written the
way the title wrote them.

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
from datetime import date
from decimal import Decimal, InvalidOperation

from objectives import progress

ACHIEVE = "achieve"
INCREASE_TO = "increase_to"
DECREASE_TO = "decrease_to"
STAY_ABOVE = "stay_above"
STAY_BELOW = "stay_below"

NOT_MEASURABLE = "not_measurable"
READS_LIKE_TASK = "reads_like_task"
NO_OWNER = "no_owner"
PLANNED_HOCKEY_STICK = "planned_hockey_stick"
TITLE_NUMBERS = "title_numbers"
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
    milestones: tuple[tuple[date, Decimal], ...] = ()  # the planned path, (date, planned value)
    cycle_start: date | None = None
    cycle_end: date | None = None


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
    if has_planned_hockey_stick(draft):
        codes.append(PLANNED_HOCKEY_STICK)
    if title_disagrees(draft.title, kind=draft.kind, start=draft.start, target=draft.target):
        codes.append(TITLE_NUMBERS)
    return codes


def has_planned_hockey_stick(draft: KeyResultDraft) -> bool:
    if draft.kind not in progress.PACED_KINDS or not draft.milestones:
        return False
    if None in (draft.start, draft.target, draft.cycle_start, draft.cycle_end):
        return False
    return progress.is_planned_hockey_stick(
        start=draft.start,
        target=draft.target,
        cycle_start=draft.cycle_start,
        cycle_end=draft.cycle_end,
        milestones=draft.milestones,
    )


# --- Numbers in titles -----------------------------------------------------------------------------------

_GROUP_SPACES = " \u00a0\u202f\u2009"  # space, no-break, narrow no-break, thin: "1 400"
# A number standing alone (not part of "Q2" or "3G"): grouped thousands ("1 400 000") or plain digits, with
# an optional decimal part after a comma or a point ("12,5", "12.5").
_TITLE_NUMBER = re.compile(
    rf"(?<![\w.,])(?P<sign>[-\u2212])?"
    rf"(?P<int>\d{{1,3}}(?:(?P<group>[{_GROUP_SPACES}])\d{{3}})+|\d+)"
    rf"(?:(?P<mark>[.,])(?P<frac>\d+))?(?![\w])"
)
_FROM_WORDS = ("fra", "from")
YEARS = (1900, 2100)  # a whole number in this range in a title is a year unless it is one of the values


@dataclass(frozen=True)
class TitleNumber:
    value: Decimal
    start: int  # the span in the title
    end: int
    group: str | None  # the thousands separator it was written with
    mark: str | None  # the decimal mark it was written with
    after_from: bool  # written right after "fra" / "from"


def title_numbers(title: str) -> list[TitleNumber]:
    """The numbers written in a title, in order, as Decimals."""
    numbers = []
    for match in _TITLE_NUMBER.finditer(title or ""):
        digits = re.sub(f"[{_GROUP_SPACES}]", "", match["int"])
        text = ("-" if match["sign"] else "") + digits + (f".{match['frac']}" if match["frac"] else "")
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
            continue
        before = _words(title[: match.start()])
        numbers.append(
            TitleNumber(
                value=value,
                start=match.start(),
                end=match.end(),
                group=match["group"],
                mark=match["mark"],
                after_from=bool(before) and before[-1] in _FROM_WORDS,
            )
        )
    return numbers


def _is_year(value: Decimal) -> bool:
    return value == value.to_integral_value() and YEARS[0] <= value <= YEARS[1]


def title_disagrees(title: str, *, kind: str, start: Decimal | None, target: Decimal | None) -> bool:
    """The title's numbers and the values disagree (see ``title_numbers`` in the table above)."""
    if kind == ACHIEVE or start is None or target is None:
        return False
    values = {Decimal(start), Decimal(target)}
    numbers = [n for n in title_numbers(title) if not _is_year(n.value) or n.value in values]
    if not numbers:
        return False
    if all(n.value != Decimal(target) for n in numbers):
        return True
    return any(n.after_from and n.value != Decimal(start) for n in numbers)


def _written_like(value: Decimal, like: TitleNumber, *, decimal_mark: str, group_separator: str) -> str:
    """``value`` written as the title wrote the number it replaces: the same decimal mark and grouping."""
    text = format(value.normalize(), "f")
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    group = like.group
    if group is None and len(whole) > 3 and len(str(abs(int(like.value)))) <= 3:
        group = group_separator  # a number that grows past three digits is grouped as the language does
    if group and len(whole) > 3:
        head = len(whole) % 3 or 3
        whole = whole[:head] + "".join(group + whole[i : i + 3] for i in range(head, len(whole), 3))
    return sign + whole + ((like.mark or decimal_mark) + fraction if fraction else "")


def retitle(
    title: str,
    *,
    old_start: Decimal,
    old_target: Decimal,
    new_start: Decimal,
    new_target: Decimal,
    decimal_mark: str = ",",
    group_separator: str = " ",
) -> str | None:
    """The title with the new start and target where it wrote the old ones; None when it wrote neither or
    nothing changed. When start and target were equal, the number is taken for the target."""
    replace = {}
    if Decimal(new_start) != Decimal(old_start):
        replace[Decimal(old_start)] = Decimal(new_start)
    if Decimal(new_target) != Decimal(old_target):
        replace[Decimal(old_target)] = Decimal(new_target)
    pieces, last = [], 0
    for number in title_numbers(title):
        if number.value in replace:
            new = _written_like(
                replace[number.value], number, decimal_mark=decimal_mark, group_separator=group_separator
            )
            pieces += [title[last : number.start], new]
            last = number.end
    if not pieces:
        return None
    suggestion = "".join(pieces) + title[last:]
    return suggestion if suggestion != title else None


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
