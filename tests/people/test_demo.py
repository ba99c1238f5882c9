"""The demo shows invitations: a pending one to Kurs og arrangementer (Kari sees it) and an expired one."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from teams.models import Invitation

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_pending_and_an_expired_invitation(client, mailoutbox):
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    states = sorted(invitation.state_at(timezone.now()) for invitation in Invitation.objects.all())
    assert states == [Invitation.State.EXPIRED, Invitation.State.PENDING]
    assert mailoutbox == []
    client.force_login(get_user_model().objects.get(username="kari"))
    text = client.get(reverse("people:invitations")).text
    assert "ny.kollega@example.org" in text and "sommervikar@example.org" not in text
