"""One rule: may this object be changed now, and if not, why.

Who may change it is a question for ``objectives/permissions.py``; this module answers only from the object's
own state and its objective's and cycle's, the same for everyone (staff included — a closed chapter stays
closed; the Django admin is the way out for repairs). Models, services, the API and the HTML views all ask it:

| object                         | read-only when                                                      |
|--------------------------------|---------------------------------------------------------------------|
| cycle (its OKRs, retrospective) | the cycle is closed                                                |
| objective, initiative          | the cycle is closed, or the objective is archived                   |
| key result, feedback on it     | as its objective, or the key result is retired                      |
| check-in                       | as its key result, or the objective is a draft, or published into a |
|                                | cycle still in planning (it becomes active when the cycle does)     |
| KPI and its check-ins          | never: a KPI lives outside cycles                                   |
| team, membership               | never: the organisation has no cycle                                |

An objective that is not a draft and not archived is *published* (``PUBLISHED_STATUSES``): writable like an
active one, with the adjustment rule of ``objectives.services.key_result_adjust``. A status added later (such
as one published into a planning cycle before it starts) slots in there and nowhere else.

``write_refusal(obj)`` returns the translated reason or ``None``; ``require_writable(obj)`` raises
``ObjectLocked`` with it. The API answers ``ObjectLocked`` with 409 Conflict (``okrhub/api.py``), HTML views
show the same message.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from objectives.models import Cycle, Initiative, KeyResult, Kpi, KpiMeasurement, Objective
from teams.models import Membership, Team

CYCLE_CLOSED = _("The cycle is closed; its OKRs are read-only.")
OBJECTIVE_ARCHIVED = _("The objective is archived and read-only.")
KEY_RESULT_RETIRED = _("The key result is retired and read-only.")
OBJECTIVE_NOT_PUBLISHED = _("The objective is still a draft; publish it before checking in.")
CYCLE_NOT_STARTED = _("The cycle is still in planning; check-ins start when it is activated.")

# Statuses that close an objective for good.
READ_ONLY_OBJECTIVE_STATUSES = frozenset({Objective.Status.ARCHIVED})
# Not a draft, not closed: check-ins are taken, and changes to key results are adjustments with a reason.
PUBLISHED_STATUSES = (
    frozenset(Objective.Status.values) - {Objective.Status.DRAFT} - READ_ONLY_OBJECTIVE_STATUSES
)


class ObjectLocked(ValidationError):
    """The object may not change in its current state. A ``ValidationError``, so every form that shows a
    service's errors shows this one too; the API maps it to 409 Conflict rather than 400."""

    def __init__(self, message):
        super().__init__(message, code="locked")


def writable_cycles_q(*, prefix: str = "") -> Q:
    """The cycle rule as a filter, for lists of what may still be written to (``prefix``: "cycle__")."""
    return ~Q(**{f"{prefix}status": Cycle.Status.CLOSED})


def is_published(objective: Objective) -> bool:
    return objective.status in PUBLISHED_STATUSES


def cycle_refusal(cycle: Cycle) -> str | None:
    if cycle.status == Cycle.Status.CLOSED:
        return CYCLE_CLOSED
    return None


def objective_refusal(objective: Objective) -> str | None:
    refusal = cycle_refusal(objective.cycle)
    if refusal is None and objective.status in READ_ONLY_OBJECTIVE_STATUSES:
        refusal = OBJECTIVE_ARCHIVED
    return refusal


def key_result_refusal(key_result: KeyResult) -> str | None:
    refusal = objective_refusal(key_result.objective)
    if refusal is None and key_result.retired_at is not None:
        refusal = KEY_RESULT_RETIRED
    return refusal


def checkin_refusal(key_result: KeyResult) -> str | None:
    """May a check-in on ``key_result`` be made, changed or deleted now."""
    refusal = key_result_refusal(key_result)
    if refusal is None and not is_published(key_result.objective):
        refusal = OBJECTIVE_NOT_PUBLISHED
    if refusal is None and key_result.objective.status == Objective.Status.PUBLISHED:
        refusal = CYCLE_NOT_STARTED  # published into a planning cycle: it becomes active with the cycle
    return refusal


def write_refusal(obj) -> str | None:
    """Why ``obj`` may not be changed now (translated), or ``None`` when it may.

    Objects of the apps above (check-ins, feedback) are judged by the key result they hang on.
    """
    if isinstance(obj, Cycle):
        return cycle_refusal(obj)
    if isinstance(obj, Objective):
        return objective_refusal(obj)
    if isinstance(obj, KeyResult):
        return key_result_refusal(obj)
    if isinstance(obj, Initiative):
        return objective_refusal(obj.objective)
    if isinstance(obj, Kpi | KpiMeasurement | Team | Membership):
        return None
    label = obj._meta.label if hasattr(obj, "_meta") else ""
    if label == "checkins.CheckIn":
        return checkin_refusal(obj.key_result)
    if label == "checkins.Feedback":
        return key_result_refusal(obj.key_result)
    raise TypeError(f"No writability rule for {type(obj).__name__}")


def is_writable(obj) -> bool:
    return write_refusal(obj) is None


def require_writable(obj) -> None:
    refusal = write_refusal(obj)
    if refusal is not None:
        raise ObjectLocked(refusal)


def require_checkin_possible(key_result: KeyResult) -> None:
    refusal = checkin_refusal(key_result)
    if refusal is not None:
        raise ObjectLocked(refusal)
