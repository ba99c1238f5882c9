"""The quality coach in words: turns the pure rules of ``objectives/quality.py`` into translated warnings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from objectives import quality
from objectives.models import KeyResult, Objective

MESSAGES = {
    quality.NOT_MEASURABLE: _("Not measurable: give a numeric start value and a different target."),
    quality.READS_LIKE_TASK: _(
        "Reads like a task: it starts with an activity verb. Consider making it an initiative and "
        "measuring the effect instead."
    ),
    quality.NO_OWNER: _("No owner: choose who follows this key result up."),
    quality.PLANNED_HOCKEY_STICK: _(
        "A planned hockey stick: the planned path leaves most of the progress to the last quarter of the "
        "cycle. Plan earlier steps, or say why the change can only come late."
    ),
    quality.TITLE_NUMBERS: _(
        "The title’s numbers disagree with the start and target values: update the title or the values."
    ),
    quality.TOO_FEW_KEY_RESULTS: _("Fewer than two key results: add another angle on the objective."),
    quality.TOO_MANY_KEY_RESULTS: _("More than five key results: focus on the ones that matter most."),
    quality.ACHIEVE_DOMINATES: _(
        "Mostly “achieve” key results: progress will be all or nothing at the end of the cycle."
    ),
}


@dataclass(frozen=True)
class Warning:
    code: str

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code])


@dataclass
class BoardCoach:
    by_key_result: dict[int, list[Warning]] = field(default_factory=dict)
    by_objective: dict[int, list[Warning]] = field(default_factory=dict)
    ownership_gaps: list[str] = field(default_factory=list)

    @property
    def open_count(self) -> int:
        return sum(len(w) for w in self.by_key_result.values()) + sum(
            len(w) for w in self.by_objective.values()
        )


def key_result_draft(key_result: KeyResult) -> quality.KeyResultDraft:
    """Needs ``objective__cycle`` loaded and ``milestones`` prefetched to stay free of queries."""
    cycle = key_result.objective.cycle
    return quality.KeyResultDraft(
        title=key_result.title,
        kind=key_result.kind,
        start=key_result.start_value,
        target=key_result.target_value,
        owner_id=key_result.owner_id,
        milestones=key_result.plan,
        cycle_start=cycle.start_date,
        cycle_end=cycle.end_date,
    )


def warnings_for(codes: Iterable[str]) -> list[Warning]:
    return [Warning(code) for code in codes]


def preview(
    *, title: str, kind: str, start: Decimal | None, target: Decimal | None, owner_id
) -> list[Warning]:
    """Warnings for a key result still being typed."""
    draft = quality.KeyResultDraft(title=title, kind=kind, start=start, target=target, owner_id=owner_id)
    return warnings_for(quality.key_result_warnings(draft))


def board_coach(*, objectives: Sequence[Objective], members: Iterable[tuple[int, str]]) -> BoardCoach:
    """Warnings for every key result and objective on the board, and the members who own nothing.

    Works on prefetched objects: no queries.
    """
    coach = BoardCoach()
    owner_ids: list[int | None] = []
    for objective in objectives:
        kinds = []
        for key_result in objective.key_results.all():
            if key_result.retired_at is not None:
                continue
            kinds.append(key_result.kind)
            owner_ids.append(key_result.owner_id)
            coach.by_key_result[key_result.pk] = warnings_for(
                quality.key_result_warnings(key_result_draft(key_result))
            )
        coach.by_objective[objective.pk] = warnings_for(quality.objective_warnings(kinds))
        owner_ids.extend(initiative.owner_id for initiative in objective.initiatives.all())
    coach.ownership_gaps = quality.ownership_gaps(members, owner_ids)
    return coach


def attach(objectives: Sequence[Objective], coach: BoardCoach) -> None:
    """Hang each object's warnings on it, for the templates."""
    for objective in objectives:
        objective.coach_warnings = coach.by_objective.get(objective.pk, [])
        for key_result in objective.key_results.all():
            key_result.coach_warnings = coach.by_key_result.get(key_result.pk, [])
