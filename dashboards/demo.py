"""Demo feedback: the leads comment on the demo member's key results and the member replies in one thread, so
My week, the key result page and the team page show feedback (and kari a reply) from the first login.
Called from ``okrhub.demo.seed_demo``; safe to run twice."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from checkins.models import CheckIn, Feedback
from checkins.services import feedback_create, feedback_mark_read, feedback_reply
from objectives.models import Cycle, KeyResult, Objective

# (author, which of the member's key results by id order, about its latest check-in, already read, body)
DEMO_FEEDBACK = [
    (
        "leader",
        0,
        False,
        False,
        "Dette nøkkelresultatet ligger bak forventet fremdrift. Hva trenger dere for å komme i rute? "
        "Ta det gjerne opp på seksjonsmøtet.",
    ),
    ("kari", 1, True, False, "Fint at tilliten gikk opp denne uken — godt jobbet med påmeldingene!"),
    ("kari", 0, False, True, "Husk å sjekke inn før fredag, så ser vi tallene i ukesmøtet."),
]
# (the comment replied to, by its body; who replies; the reply): a thread, unread for the lead who asked.
DEMO_REPLIES = [
    (
        "Husk å sjekke inn før fredag, så ser vi tallene i ukesmøtet.",
        "member",
        "Skal bli! Jeg legger inn tallene torsdag ettermiddag.",
    ),
]


def seed_feedback(*, cycle: Cycle, now: dt.datetime) -> int:
    """Add the demo feedback that is missing; returns how many items were created."""
    users = {
        user.username: user
        for user in get_user_model().objects.filter(username__in=["member", "leader", "kari"])
    }
    if len(users) < 3:
        return 0
    key_results = list(
        KeyResult.objects.in_progress()
        .filter(owner=users["member"], objective__cycle=cycle, objective__status=Objective.Status.ACTIVE)
        .select_related("objective__cycle")
        .order_by("id")
    )
    created = 0
    for author, index, about_checkin, read, body in DEMO_FEEDBACK:
        if index >= len(key_results):
            continue
        key_result = key_results[index]
        if Feedback.objects.filter(key_result=key_result, author=users[author], body=body).exists():
            continue
        checkin = (
            CheckIn.objects.filter(key_result=key_result).order_by("-created_at").first()
            if about_checkin
            else None
        )
        feedback = feedback_create(key_result=key_result, author=users[author], body=body, checkin=checkin)
        Feedback.objects.filter(pk=feedback.pk).update(created_at=now - dt.timedelta(hours=2 + 24 * index))
        if read:
            feedback_mark_read(feedback=feedback)
        created += 1
    for comment_body, author, body in DEMO_REPLIES:
        comment = Feedback.objects.filter(body=comment_body, parent=None).select_related("key_result").first()
        if comment is None or Feedback.objects.filter(parent=comment, body=body).exists():
            continue
        feedback_reply(parent=comment, author=users[author], body=body)
        created += 1
    return created
