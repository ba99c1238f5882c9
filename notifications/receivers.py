"""What the notifications app does when the layers below announce something (their signals)."""

from __future__ import annotations

from django.db.models import Q
from django.dispatch import receiver

from notifications.models import EmailDelivery, InboundMessage
from teams.signals import person_anonymised


@receiver(person_anonymised, dispatch_uid="notifications.person_anonymised")
def erase_addresses(sender, *, user, email: str, **kwargs) -> None:
    """An anonymised person's address goes from the messages sent to them and received from them too; the
    rows stay (they keep replays of old messages harmless)."""
    EmailDelivery.objects.filter(user=user).exclude(sent_to="").update(sent_to="")
    received = Q(user=user)
    if email:
        received |= Q(sender__iexact=email)
    InboundMessage.objects.filter(received).update(sender="", subject="", outcome={})
