"""Reads for data sources: the key result page's panel, the configuration page, and the owner's reminder."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy

from datasources.models import DataSource
from objectives.models import KeyResult
from objectives.permissions import access_for, can_configure_data_source
from objectives.selectors import key_result_get_for_user
from objectives.writability import is_writable

MAY_NOT_CONFIGURE = gettext_lazy(
    "Only the key result's owner and the leads of its team link it to a data source."
)


def data_source_of(key_result: KeyResult) -> DataSource | None:
    try:
        return key_result.data_source
    except DataSource.DoesNotExist:
        return None


def data_source_panel(*, user, key_result: KeyResult) -> dict | None:
    """The panel's context (one query), or ``None`` when there is nothing to show this user: no source and
    no right to add one."""
    source = DataSource.objects.filter(key_result=key_result).first()
    may_configure = can_configure_data_source(access_for(user), key_result) and is_writable(key_result)
    if source is None and not may_configure:
        return None
    if source is not None:
        source.key_result = key_result
    return {"key_result": key_result, "source": source, "may_configure": may_configure}


def key_result_for_data_source(*, user, pk: int) -> KeyResult:
    """The key result, for its owner and leads; 404 when the user may not see it, 403 when not theirs."""
    key_result = key_result_get_for_user(user=user, pk=pk)
    if not can_configure_data_source(access_for(user), key_result):
        raise PermissionDenied(MAY_NOT_CONFIGURE)
    return key_result


@dataclass(frozen=True)
class ReminderNote:
    """What the owner's reminder says about a key result's data source; worded by the email's templates, in
    the owner's language."""

    source: str  # the host
    value: Decimal | None  # set when the value was updated automatically and a fresh confidence is due
    error: str  # the last fetch's error, or ""


def reminder_notes(key_results: Iterable[KeyResult]) -> dict[int, ReminderNote]:
    """Notes for the key results whose source asks something of the owner (one query): a value updated
    automatically wants a fresh confidence; a failing source says why."""
    by_id = {key_result.pk: key_result for key_result in key_results}
    if not by_id:
        return {}
    notes: dict[int, ReminderNote] = {}
    for source in DataSource.objects.filter(key_result_id__in=list(by_id)):
        source.key_result = by_id[source.key_result_id]
        if source.awaits_confidence or source.last_error:
            notes[source.key_result_id] = ReminderNote(
                source=source.label,
                value=source.key_result.current_value if source.awaits_confidence else None,
                error=source.last_error,
            )
    return notes
