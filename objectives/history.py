"""A key result's history as a timeline: who changed what, when, from what to what, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from objectives.models import KeyResult
from okrhub.numbers import format_number
from teams.selectors import user_display_name

# The fields a timeline shows, in this order. Check-ins (current value, confidence) have their own list.
TRACKED = ("title", "kind", "unit", "start_value", "target_value", "owner_id", "retired_at", "final_score")
LABELS = {
    "title": _("Title"),
    "kind": _("Kind"),
    "unit": _("Unit"),
    "start_value": _("Start value"),
    "target_value": _("Target value"),
    "owner_id": _("Owner"),
    "retired_at": _("Retired"),
    "final_score": _("Final score"),
}


@dataclass
class Change:
    field: str
    label: str
    old: str
    new: str


@dataclass
class TimelineEntry:
    when: datetime
    who: str
    reason: str
    created: bool
    changes: list[Change] = field(default_factory=list)


def _display(name: str, value, owners: dict[int, str]) -> str:
    if value is None or value == "":
        return "–"
    if name == "kind":
        return str(KeyResult.Kind(value).label) if value in KeyResult.Kind.values else str(value)
    if name == "owner_id":
        return owners.get(value, "–")
    if name in ("start_value", "target_value", "final_score"):
        return format_number(value)
    if name == "retired_at":
        return str(_("yes"))
    return str(value)


def key_result_timeline(*, key_result: KeyResult) -> list[TimelineEntry]:
    """Newest first, in one query: the history rows with their authors and owners."""
    records = list(
        key_result.history.select_related("history_user", "owner").order_by("history_date", "history_id")
    )
    owners = {r.owner_id: user_display_name(r.owner) for r in records if r.owner_id and r.owner}
    entries: list[TimelineEntry] = []
    previous = None
    for record in records:
        who = ""
        if record.history_user is not None:
            who = user_display_name(record.history_user)
        entry = TimelineEntry(
            when=record.history_date,
            who=who,
            reason=record.history_change_reason or "",
            created=previous is None,
        )
        if previous is not None:
            for name in TRACKED:
                old, new = getattr(previous, name), getattr(record, name)
                if old != new:
                    entry.changes.append(
                        Change(
                            name, str(LABELS[name]), _display(name, old, owners), _display(name, new, owners)
                        )
                    )
        previous = record
        # Saves that touched nothing we show (e.g. check-ins recomputing the value) stay out of the timeline.
        if entry.created or entry.changes:
            entries.append(entry)
    entries.reverse()
    return entries
