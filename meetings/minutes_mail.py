"""The minutes (referat) by email: one message per team member per meeting, exactly once, through
``notifications``' EmailDelivery rows (unique row + lease, ``notifications.delivery``)."""

from __future__ import annotations

import datetime as dt

from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting
from meetings.selectors import minutes_display
from notifications import delivery as deliveries
from notifications.models import EmailDelivery
from notifications.rendering import user_language
from okrhub.mail import absolute_url, build_message

KIND = EmailDelivery.Kind.MEETING_MINUTES


def reference_of(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def minutes_deliveries_plan(*, meeting_id: int) -> list[EmailDelivery]:
    """A delivery row for every active member of the team with an address (races settled by the unique
    constraint); returns those not yet sent."""
    meeting = Meeting.objects.select_related("team").get(pk=meeting_id)
    if meeting.ended_at is None:
        return []
    reference = reference_of(meeting.pk)
    user_ids = set(
        meeting.team.memberships.filter(user__is_active=True)
        .exclude(user__email="")
        .values_list("user_id", flat=True)
    )
    EmailDelivery.objects.bulk_create(
        [
            EmailDelivery(
                user_id=user_id,
                kind=KIND,
                iso_year=meeting.iso_year,
                iso_week=meeting.iso_week,
                reference=reference,
            )
            for user_id in user_ids
        ],
        ignore_conflicts=True,
    )
    return list(EmailDelivery.objects.filter(kind=KIND, reference=reference, sent_at=None).order_by("pk"))


def minutes_message(*, meeting: Meeting, user) -> EmailMultiAlternatives:
    url = absolute_url(reverse("meetings:detail", args=[meeting.team.slug, meeting.pk]))
    return build_message(
        to=user.email,
        language=user_language(user),
        template="meetings/email/minutes",
        context={
            "meeting": meeting,
            "minutes": minutes_display(meeting),
            "meeting_url": url,
            "user": user,
            "profile_url": absolute_url(reverse("profile")),
        },
    )


def minutes_email_send(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    delivery = EmailDelivery.objects.select_related("user").get(pk=delivery_id, kind=KIND)
    meeting = Meeting.objects.select_related("team").get(pk=int(delivery.reference.split(":", 1)[1]))

    def build() -> EmailMultiAlternatives | None:
        return minutes_message(meeting=meeting, user=delivery.user)

    return deliveries.send_once(delivery=delivery, now=now, build=build)
