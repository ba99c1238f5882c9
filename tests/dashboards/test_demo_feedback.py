"""The demo's feedback: made by seed_demo with the real services, unread for the member, safe twice."""

from __future__ import annotations

from django.core.management import call_command

from checkins.models import Feedback
from checkins.selectors import feedback_unread_for_user


def test_seed_demo_adds_feedback_once(db, django_user_model):
    call_command("seed_demo", verbosity=0)
    member = django_user_model.objects.get(username="member")
    assert Feedback.objects.count() == 3
    unread = feedback_unread_for_user(user=member)
    assert {item.author.username for item in unread} == {"leader", "kari"}
    assert any(item.checkin is not None for item in unread)
    call_command("seed_demo", verbosity=0)
    assert Feedback.objects.count() == 3
