"""Send this week's check-in reminders now, for every team whatever its slot (cron instead of Celery).

Same logic and the same idempotency as the Celery task: running it twice in a week sends nothing the second
time. A failed send does not stop the others; it stays unsent and the next run tries again.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications import digest, reminders
from notifications.delivery import SENT
from notifications.due import reminders_due


class Command(BaseCommand):
    help = "Send this week's check-in reminders to every owner with pending key results (any slot)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would be reminded; send and record nothing."
        )
        parser.add_argument(
            "--with-digests",
            action="store_true",
            help="Also send this week's leader digests (once per lead and week, any day of the week).",
        )

    def handle(self, *args, dry_run: bool = False, with_digests: bool = False, **options) -> None:
        now = timezone.now()
        if dry_run:
            self._dry_run(now)
            return
        failed = 0
        sent, errors = self._send(
            reminders.checkin_reminders_plan(now=now, ignore_slot=True),
            lambda pk: reminders.checkin_reminder_send(delivery_id=pk, now=now, ignore_slot=True),
        )
        failed += errors
        self.stdout.write(f"Reminded {sent} user(s).")
        if with_digests:
            sent, errors = self._send(
                digest.leader_digests_plan(now=now, ignore_slot=True),
                lambda pk: digest.leader_digest_send(delivery_id=pk, now=now),
            )
            failed += errors
            self.stdout.write(f"Sent {sent} leader digest(s).")
        if failed:
            raise CommandError(f"{failed} email(s) failed and will be retried on the next run.")

    def _send(self, deliveries, send) -> tuple[int, int]:
        sent = failed = 0
        for delivery in deliveries:
            try:
                outcome = send(delivery.pk)
            except Exception as exc:  # one user's failure must not stop the others
                failed += 1
                self.stderr.write(f"{delivery.user.get_username()}: {type(exc).__name__}: {exc}")
                continue
            if outcome == SENT:
                sent += 1
        return sent, failed

    def _dry_run(self, now) -> None:
        due = reminders_due(now=now, ignore_slot=True)
        sent_keys = reminders.sent_reminder_keys(keys=due)
        pending = {key: items for key, items in due.items() if key not in sent_keys}
        users = get_user_model().objects.in_bulk({key.user_id for key in pending})
        for key in sorted(pending, key=lambda k: users[k.user_id].get_username()):
            user = users[key.user_id]
            titles = ", ".join(kr.title for kr in pending[key])
            self.stdout.write(f"{user.get_username()} <{user.email}>: {len(pending[key])} pending ({titles})")
        self.stdout.write(f"Dry run: would remind {len(pending)} user(s); nothing was sent.")
