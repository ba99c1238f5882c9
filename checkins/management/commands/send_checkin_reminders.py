"""Send this week's check-in reminders now, for every team whatever its slot (cron instead of Celery).

Same logic and the same idempotency as the Celery task: running it twice in a week sends nothing the second
time. A failed send does not stop the others; it stays unsent and the next run tries again.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from checkins import reminders


class Command(BaseCommand):
    help = "Send this week's check-in reminders to every owner with pending key results (any slot)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would be reminded; send and record nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        now = timezone.now()
        if dry_run:
            self._dry_run(now)
            return
        sent, failed = 0, []
        for delivery in reminders.checkin_reminders_plan(now=now, ignore_slot=True):
            try:
                outcome = reminders.checkin_reminder_send(delivery_id=delivery.pk, now=now, ignore_slot=True)
            except Exception as exc:  # one user's failure must not stop the others
                failed.append(delivery.user.get_username())
                self.stderr.write(f"{delivery.user.get_username()}: {type(exc).__name__}: {exc}")
                continue
            if outcome == reminders.SENT:
                sent += 1
        self.stdout.write(f"Reminded {sent} user(s).")
        if failed:
            raise CommandError(f"{len(failed)} reminder(s) failed and will be retried on the next run.")

    def _dry_run(self, now) -> None:
        due = reminders.reminders_due(now=now, ignore_slot=True)
        sent_keys = reminders.sent_reminder_keys(keys=due)
        pending = {key: items for key, items in due.items() if key not in sent_keys}
        users = reminders.User.objects.in_bulk({key.user_id for key in pending})
        for key in sorted(pending, key=lambda k: users[k.user_id].get_username()):
            user = users[key.user_id]
            titles = ", ".join(kr.title for kr in pending[key])
            self.stdout.write(f"{user.get_username()} <{user.email}>: {len(pending[key])} pending ({titles})")
        self.stdout.write(f"Dry run: would remind {len(pending)} user(s); nothing was sent.")
