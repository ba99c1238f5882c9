"""What the objectives layer announces, for the apps above it (integrations: webhooks, channel posts).

Sent by the services after the transaction commits (``transaction.on_commit``), so a receiver sees the
committed rows and a rolled-back write announces nothing. Receivers must not raise into the sender.
"""

from __future__ import annotations

from django.dispatch import Signal

# objective=<Objective>: it was published (created as, or moved from draft to, published or active).
objective_published = Signal()
# cycle=<Cycle>, actor=<user or None>: the cycle was closed (every published key result scored).
cycle_closed = Signal()
