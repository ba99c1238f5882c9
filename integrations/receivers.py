"""The lower layers' signals (objectives/signals.py, checkins/signals.py), connected in ready().

They arrive after the write committed. Each receiver only hands the ids to a Celery task (the request stays
fast, a failure is retried there), and only when some endpoint is active at all: most installations have
none, and they pay one query per announced write, nothing more.

``meeting.ended`` comes from ``meetings.signals.meeting_ended`` (same floor), sent on commit once per meeting.
"""

from __future__ import annotations

from django.dispatch import receiver

from checkins.signals import checkin_created, feedback_created
from integrations.models import Endpoint
from meetings.signals import meeting_ended
from objectives.signals import cycle_closed, objective_published


def _anyone_listening() -> bool:
    return Endpoint.objects.filter(is_active=True).exists()


@receiver(checkin_created, dispatch_uid="integrations.checkin_created")
def on_checkin_created(sender, checkin, **kwargs) -> None:
    if _anyone_listening():
        from integrations.tasks import announce

        announce.delay("checkin_created", checkin.pk)


@receiver(feedback_created, dispatch_uid="integrations.feedback_created")
def on_feedback_created(sender, feedback, **kwargs) -> None:
    if _anyone_listening():
        from integrations.tasks import announce

        announce.delay("feedback_created", feedback.pk)


@receiver(objective_published, dispatch_uid="integrations.objective_published")
def on_objective_published(sender, objective, **kwargs) -> None:
    if _anyone_listening():
        from integrations.tasks import announce

        announce.delay("objective_published", objective.pk)


@receiver(cycle_closed, dispatch_uid="integrations.cycle_closed")
def on_cycle_closed(sender, cycle, actor=None, **kwargs) -> None:
    if _anyone_listening():
        from integrations.tasks import announce

        announce.delay("cycle_closed", cycle.pk, getattr(actor, "pk", None))


@receiver(meeting_ended, dispatch_uid="integrations.meeting_ended")
def on_meeting_ended(sender, meeting, **kwargs) -> None:
    if _anyone_listening():
        from integrations.tasks import announce

        announce.delay("meeting_ended", meeting.pk)
