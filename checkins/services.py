"""Writes for check-ins. The key result's current value and confidence always follow its latest check-in."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from checkins import signals
from checkins.models import CheckIn, Feedback
from objectives.models import KeyResult
from objectives.signals import figures_batch, figures_touched, key_result_pair
from objectives.writability import require_checkin_possible, require_writable
from okrhub.versioning import bump


def _lock_key_result(key_result_id: int) -> KeyResult:
    # The row lock serialises concurrent check-ins on one key result, so the recompute below sees them all.
    # Only the key result's row (not its objective's and cycle's, which a plain FOR UPDATE of the join would
    # lock too, making every check-in of the cycle wait for every other), and as NO KEY UPDATE: the team's
    # rollups, recomputed next by whichever check-in holds the team's rollup lock, reference every key result
    # of the team, which takes a KEY SHARE lock that a plain FOR UPDATE of another check-in would block
    # (a deadlock between two check-ins of one team).
    return (
        KeyResult.objects.select_for_update(of=("self",), no_key=True)
        .select_related("objective__cycle")
        .get(pk=key_result_id)
    )


def checkin_validate_value(key_result: KeyResult, value: Decimal) -> None:
    if key_result.kind == KeyResult.Kind.ACHIEVE and value not in (Decimal(0), Decimal(1)):
        raise ValidationError({"value": _("Choose done or not done.")})


def key_result_follow(key_result: KeyResult, latest: CheckIn | None) -> None:
    """The key result follows its latest check-in: current value, confidence and last check-in time (its
    start value and no confidence when it has none). Not saved: the services save it, the bulk seed inserts
    it."""
    if latest is None:
        key_result.current_value = key_result.start_value
        key_result.confidence = None
        key_result.last_checkin_at = None
    else:
        key_result.current_value = latest.value
        key_result.confidence = latest.confidence
        key_result.last_checkin_at = latest.created_at


def checkin_latest(checkins: Sequence[CheckIn]) -> CheckIn | None:
    """The latest of check-ins listed in insertion order, as the database orders them (``-created_at``,
    then the higher id, which the later one gets)."""
    latest = None
    for checkin in checkins:
        if latest is None or checkin.created_at >= latest.created_at:
            latest = checkin
    return latest


def key_result_recompute(*, key_result: KeyResult, latest: CheckIn | None = None) -> KeyResult:
    """Set current value, confidence and last check-in time from the latest remaining check-in.

    ``latest``: the caller already knows the latest check-in (one it just saved), so it is not read back.
    """
    if latest is None:
        latest = CheckIn.objects.filter(key_result=key_result).order_by("-created_at", "-id").first()
    key_result_follow(key_result, latest)
    key_result.save(update_fields=["current_value", "confidence", "last_checkin_at", "updated_at"])
    return key_result


def _clean(checkin: CheckIn) -> None:
    """Field validation without the statements ``full_clean`` would add on every check-in: the key result
    row is already locked and loaded, the author is the request's user, and the confidence range is bounded
    by the field's validators here and by the check constraint in the database."""
    checkin.full_clean(exclude=["key_result", "author"], validate_constraints=False)


def checkin_build(
    *,
    key_result: KeyResult,
    author,
    value: Decimal | int | str,
    confidence: int,
    note: str = "",
    created_at=None,
    source: str = CheckIn.Source.WEB,
) -> CheckIn:
    """A valid check-in, not yet saved: the key result takes check-ins, the value fits its kind, the
    confidence is 1–10. ``checkin_submit`` saves it; the synthetic organisation inserts many in bulk.
    ``source``: where it came from (``CheckIn.Source``), the page unless said otherwise."""
    require_checkin_possible(key_result)
    checkin = CheckIn(
        key_result=key_result,
        author=author,
        value=value,
        confidence=confidence,
        note=note.strip(),
        source=source,
        created_at=created_at or timezone.now(),
    )
    _clean(checkin)
    checkin_validate_value(key_result, Decimal(checkin.value))
    return checkin


@transaction.atomic
def _touched(key_result: KeyResult) -> None:
    """The team's rollups follow the check-ins (``checkins.rollups``), in this transaction."""
    pair = key_result_pair(key_result)
    if pair:
        figures_touched([pair])


@transaction.atomic
@figures_batch()
def checkin_submit(
    *,
    key_result: KeyResult,
    author,
    value: Decimal | int | str,
    confidence: int,
    note: str = "",
    created_at=None,
    source: str = CheckIn.Source.WEB,
) -> CheckIn:
    locked = _lock_key_result(key_result.pk)
    checkin = checkin_build(
        key_result=locked,
        author=author,
        value=value,
        confidence=confidence,
        note=note,
        created_at=created_at,
        source=source,
    )
    checkin.save()
    # The key result row is locked, so no other check-in can land meanwhile: a new check-in at or after the
    # previous latest one is the latest (ties go to the higher id, which it has), and need not be read back.
    is_latest = locked.last_checkin_at is None or checkin.created_at >= locked.last_checkin_at
    key_result_recompute(key_result=locked, latest=checkin if is_latest else None)
    _touched(locked)
    # Keep the caller's instance current too.
    key_result.current_value, key_result.confidence = locked.current_value, locked.confidence
    key_result.last_checkin_at = locked.last_checkin_at
    transaction.on_commit(lambda: signals.checkin_created.send_robust(sender=CheckIn, checkin=checkin))
    return checkin


@transaction.atomic
@figures_batch()
def checkin_update(
    *, checkin: CheckIn, value: Decimal | int | str, confidence: int, note: str = ""
) -> CheckIn:
    locked = _lock_key_result(checkin.key_result_id)
    require_checkin_possible(locked)
    checkin.value, checkin.confidence, checkin.note = value, confidence, note.strip()
    _clean(checkin)
    checkin_validate_value(locked, Decimal(checkin.value))
    checkin.save(update_fields=["value", "confidence", "note", "updated_at"])
    key_result_recompute(key_result=locked)
    _touched(locked)
    return checkin


@transaction.atomic
@figures_batch()
def checkin_delete(*, checkin: CheckIn) -> KeyResult:
    locked = _lock_key_result(checkin.key_result_id)
    require_checkin_possible(locked)
    checkin.delete()
    _touched(locked)
    return key_result_recompute(key_result=locked)


# --- Feedback ----------------------------------------------------------------------------------------------


@transaction.atomic
def feedback_create(*, key_result: KeyResult, author, body: str, checkin: CheckIn | None = None) -> Feedback:
    """A lead's comment on a key result, or on one of its check-ins (plain text, escaped when shown)."""
    require_writable(key_result)
    if checkin is not None and checkin.key_result_id != key_result.pk:
        raise ValidationError({"checkin": _("The check-in must belong to this key result.")})
    feedback = Feedback(key_result=key_result, checkin=checkin, author=author, body=body.strip())
    feedback.full_clean()
    feedback.save()
    _announce_feedback(feedback)
    return feedback


def _announce_feedback(feedback: Feedback) -> None:
    transaction.on_commit(lambda: signals.feedback_created.send_robust(sender=Feedback, feedback=feedback))


@transaction.atomic
def feedback_reply(*, parent: Feedback, author, body: str) -> Feedback:
    """A reply in ``parent``'s thread (the owner answering a lead, or a lead following up). Replying also
    marks what in the thread was for ``author`` as read: they have clearly read it."""
    root = parent if parent.parent_id is None else parent.parent
    require_writable(root.key_result)
    reply = Feedback(
        key_result=root.key_result, checkin=root.checkin, parent=root, author=author, body=body.strip()
    )
    reply.full_clean()
    reply.save()
    _announce_feedback(reply)
    for item in Feedback.objects.filter(Q(pk=root.pk) | Q(parent=root), read_at__isnull=True).select_related(
        "key_result", "parent"
    ):
        if item.pk != reply.pk and item.recipient_id == getattr(author, "pk", None):
            feedback_mark_read(feedback=item)
    return reply


def feedback_mark_read(*, feedback: Feedback) -> bool:
    """Mark read once: the conditional update keeps the first read time; False when it was read already."""
    updated = Feedback.objects.filter(pk=feedback.pk, read_at__isnull=True).update(
        read_at=timezone.now(), **bump()
    )
    if updated:
        feedback.refresh_from_db(fields=["read_at", "version"])
    return bool(updated)
