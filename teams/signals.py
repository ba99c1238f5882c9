"""Signals of the teams layer, for the apps above it (which this layer never imports)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside ``person_anonymise``'s transaction with ``user`` and ``email`` (the address before erasure):
# apps that keep the person's address elsewhere (notifications: the messages sent and received) erase it too.
person_anonymised = Signal()
