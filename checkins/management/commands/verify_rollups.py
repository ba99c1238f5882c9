"""`manage.py verify_rollups [--fix]`: the dashboard's rollups against a full recomputation."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from checkins import rollups


class Command(BaseCommand):
    help = (
        "Compare every team's rollups (checkins.rollups) with a recomputation from the objectives, key "
        "results and check-ins through the read model; --fix recomputes the teams that differ, and those "
        "marked dirty that the worker has not recomputed yet. Exits non-zero when something differed (also "
        "with --fix, so a run that had to repair says so)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fix", action="store_true", help="Recompute the rollups that differ.")

    def handle(self, *args, fix: bool = False, verbosity: int = 1, **options):
        problems = rollups.verify(fix=fix)
        if fix:
            pending = rollups.refresh_dirty()
            if pending and verbosity >= 1:
                self.stdout.write(f"Recomputed {pending} rollups marked dirty.")
        for line in problems:
            self.stderr.write(line)
        if problems:
            verb = "fixed" if fix else "found"
            raise CommandError(f"{len(problems)} rollups differed from a recomputation ({verb}).")
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS("Rollups match a full recomputation."))
