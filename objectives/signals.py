"""What the objectives layer announces, for the apps above it.

``objective_published`` and ``cycle_closed`` (integrations: webhooks, channel posts) are sent by the services
after the transaction commits (``transaction.on_commit``), so a receiver sees the committed rows and a
rolled-back write announces nothing. Receivers must not raise into the sender.

``figures_changed``: what changed a team's figures in a cycle, for the layers that keep rollups of them.

The dashboard's rollups (``checkins.rollups``) live above this layer, so the objectives layer only says
*which* (cycle, team) pairs its writes touched: ``figures_touched`` sends ``figures_changed`` at once, or,
inside ``figures_batch()``, once for every pair at the end of the batch. The receiver recomputes the pairs in
the same database transaction as the write (signals are synchronous), so a committed write never leaves a
stale rollup behind.

Every save and delete of a cycle, objective, key result, milestone or initiative is caught by the model
signals below; writes that bypass them (``QuerySet.update``, ``bulk_create``) call ``figures_touched``
themselves. A whole cycle is named by ``team_id=None`` (its dates or status changed: every team's figures).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import Signal, receiver

from objectives.models import Cycle, Initiative, KeyResult, Milestone, Objective

# objective=<Objective>: it was published (created as, or moved from draft to, published or active).
objective_published = Signal()
# cycle=<Cycle>, actor=<user or None>: the cycle was closed (every published key result scored).
cycle_closed = Signal()
# sender=None, pairs=frozenset of (cycle id, team id or None for every team of the cycle)
figures_changed = Signal()

_local = threading.local()

Pair = tuple[int, int | None]


def _pending() -> set[Pair] | None:
    return getattr(_local, "pending", None)


def figures_touched(pairs: Iterable[Pair]) -> None:
    """These (cycle id, team id) pairs changed: recompute now, or at the end of the current batch."""
    pairs = {(cycle_id, team_id) for cycle_id, team_id in pairs if cycle_id is not None}
    if not pairs:
        return
    pending = _pending()
    if pending is not None:
        pending.update(pairs)
    else:
        figures_changed.send(sender=None, pairs=frozenset(pairs))


@contextmanager
def figures_batch() -> Iterator[None]:
    """Collect the pairs touched inside, recompute each once on the way out (not when an error leaves: the
    transaction is rolled back then). Nested batches join the outermost one."""
    if _pending() is not None:
        yield
        return
    _local.pending = set()
    try:
        yield
    except BaseException:
        _local.pending = None
        raise
    pairs, _local.pending = _local.pending, None
    if pairs:
        figures_changed.send(sender=None, pairs=frozenset(pairs))


# --- Model signals --------------------------------------------------------------------------------------


def _key_result_pairs(key_result_ids: Iterable[int]) -> set[Pair]:
    return set(
        KeyResult.objects.filter(pk__in=list(key_result_ids)).values_list(
            "objective__cycle_id", "objective__team_id"
        )
    )


def key_result_pair(key_result: KeyResult) -> Pair | None:
    """The (cycle, team) of a key result, from its loaded objective or with one query."""
    if KeyResult.objective.is_cached(key_result):
        objective = key_result.objective
        return (objective.cycle_id, objective.team_id)
    return next(iter(_key_result_pairs([key_result.pk])), None) if key_result.pk else None


@receiver(post_init, sender=Objective)
def _objective_loaded(sender, instance: Objective, **kwargs) -> None:
    # Where the objective was when it was read, so moving it to another team or cycle refreshes both (read
    # from the loaded values only: a deferred field would load the row, and build another instance).
    instance._figures_pair = (instance.__dict__.get("cycle_id"), instance.__dict__.get("team_id"))


@receiver(post_save, sender=Objective)
@receiver(post_delete, sender=Objective)
def _objective_changed(sender, instance: Objective, **kwargs) -> None:
    figures_touched([getattr(instance, "_figures_pair", (None, None)), (instance.cycle_id, instance.team_id)])
    instance._figures_pair = (instance.cycle_id, instance.team_id)


@receiver(post_save, sender=KeyResult)
def _key_result_saved(sender, instance: KeyResult, **kwargs) -> None:
    pair = key_result_pair(instance)
    if pair:
        figures_touched([pair])


@receiver(post_delete, sender=KeyResult)
def _key_result_deleted(sender, instance: KeyResult, **kwargs) -> None:
    # The row is gone: the objective tells where it was (still in the database unless deleted with it).
    if KeyResult.objective.is_cached(instance):
        figures_touched([(instance.objective.cycle_id, instance.objective.team_id)])
    else:
        figures_touched(Objective.objects.filter(pk=instance.objective_id).values_list("cycle_id", "team_id"))


@receiver(post_save, sender=Milestone)
@receiver(post_delete, sender=Milestone)
def _milestone_changed(sender, instance: Milestone, **kwargs) -> None:
    figures_touched(_key_result_pairs([instance.key_result_id]))


@receiver(post_save, sender=Initiative)
@receiver(post_delete, sender=Initiative)
def _initiative_changed(sender, instance: Initiative, **kwargs) -> None:
    figures_touched(Objective.objects.filter(pk=instance.objective_id).values_list("cycle_id", "team_id"))


@receiver(post_save, sender=Cycle)
def _cycle_saved(sender, instance: Cycle, created: bool, **kwargs) -> None:
    if not created:  # a new cycle has no figures yet
        figures_touched([(instance.pk, None)])
