"""What the meetings app announces, for apps that subscribe later (webhooks): sent after the commit."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once per meeting, after the transaction that ended it committed: sender=Meeting, meeting=<Meeting>.
meeting_ended = Signal()
