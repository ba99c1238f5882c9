"""The weekly check-in reminder: one email per owner and ISO week listing every key result still pending."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from checkins.selectors import key_result_displays
from notifications import delivery as deliveries
from notifications import replies
from notifications.due import ReminderKey, reminders_due
from notifications.inbound import code_of
from notifications.models import EmailDelivery
from notifications.rendering import absolute_reverse, message_build
from objectives.figures import KeyResultFigures, figures_of, moment_now, plans_prefetch
from objectives.models import KeyResult


def checkin_reminders_plan(
    *, now: dt.datetime | None = None, ignore_slot: bool = False
) -> list[EmailDelivery]:
    """Unsent reminder deliveries for every owner who is due one now (rows created as needed)."""
    now = now or timezone.now()
    due = reminders_due(now=now, ignore_slot=ignore_slot)
    return deliveries.deliveries_plan(kind=EmailDelivery.Kind.CHECKIN_REMINDER, keys=due)


def sent_reminder_keys(*, keys) -> set[ReminderKey]:
    """Which of these reminders were already sent (for the dry run, which must not create rows)."""
    return deliveries.sent_keys(kind=EmailDelivery.Kind.CHECKIN_REMINDER, keys=keys)


@dataclass(frozen=True)
class ReminderItem:
    key_result: KeyResult
    figures: KeyResultFigures
    url: str

    @property
    def code(self) -> str:
        """What a reply names this key result by (``K<id>``: stable, short, the same in every reminder)."""
        return code_of(self.key_result.pk)

    @property
    def current(self) -> str:
        return key_result_displays(self.key_result)[0]

    @property
    def is_achieve(self) -> bool:
        return self.key_result.kind == KeyResult.Kind.ACHIEVE


def checkin_reminder_send(
    *, delivery_id: int, now: dt.datetime | None = None, ignore_slot: bool = False
) -> str:
    """Send one reminder delivery at most once; what is pending is recomputed at send time, so a key
    result checked in meanwhile is left out and a reminder from a week that has passed is not sent."""
    now = now or timezone.now()
    delivery = EmailDelivery.objects.select_related("user").get(
        pk=delivery_id, kind=EmailDelivery.Kind.CHECKIN_REMINDER
    )
    user = delivery.user
    if not deliveries.profile_allows(user, "reminders_enabled"):
        return deliveries.OPTED_OUT

    def build() -> EmailMultiAlternatives | None:
        due = reminders_due(now=now, ignore_slot=ignore_slot, user_ids=[user.pk])
        key_results = due.get(ReminderKey(user.pk, delivery.iso_year, delivery.iso_week), [])
        if not key_results:
            return None
        my_week = absolute_reverse("checkins:my_week")
        moment = moment_now(today=timezone.localdate(now))
        plans_prefetch(key_results)
        items = [
            ReminderItem(key_result=kr, figures=figures_of(kr, moment=moment), url=f"{my_week}#kr-{kr.pk}")
            for kr in key_results
        ]
        replies.reminder_identity(delivery)
        message = message_build(
            user=user,
            template="checkin_reminder",
            context={
                "items": items,
                "my_week_url": my_week,
                "iso_week": delivery.iso_week,
                "reply_enabled": replies.replies_enabled(),
                "example": items[0],
            },
        )
        return replies.reminder_headers(message, delivery)

    return deliveries.send_once(delivery=delivery, now=now, build=build)
