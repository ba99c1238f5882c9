"""Liveness probe of a Celery worker or beat: exit 0 while its heartbeat file is fresh, 1 otherwise."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from okrhub import heartbeat


class Command(BaseCommand):
    help = "Exit 0 while the Celery worker (or beat, --role beat) on this machine writes its heartbeat."

    def add_arguments(self, parser):
        parser.add_argument("--role", choices=sorted(heartbeat.MAX_AGE), default="worker")
        parser.add_argument(
            "--max-age", type=int, default=None, help="seconds (default: 60 worker, 180 beat)"
        )

    def handle(self, *args, role: str, max_age: int | None, **options):
        limit = max_age if max_age is not None else heartbeat.MAX_AGE[role]
        seconds = heartbeat.age(role)
        path = heartbeat.heartbeat_path(role)
        if seconds is None:
            raise CommandError(f"{role}: no heartbeat at {path}", returncode=1)
        if seconds > limit:
            raise CommandError(
                f"{role}: last heartbeat {seconds:.0f} s ago (limit {limit} s, {path})", returncode=1
            )
        self.stdout.write(f"{role}: alive, last heartbeat {seconds:.0f} s ago")
