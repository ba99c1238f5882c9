"""`manage.py seed_demo [--teams N --weeks W] [--force]`: the demo organisation (see okrhub/demo.py)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from checkins import rollups
from objectives.signals import figures_batch
from okrhub import demo


class Command(BaseCommand):
    help = (
        "Build the demo organisation (users leader, ambassador, member … with password 'demo'). "
        "Safe to run twice. --teams N --weeks W adds a synthetic organisation for benchmarks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo users all have the password 'demo': never on production.",
        )
        parser.add_argument(
            "--teams", type=int, default=0, help="Also build a synthetic organisation of N teams."
        )
        parser.add_argument(
            "--weeks", type=int, default=13, help="Weeks of check-ins per synthetic key result (default 13)."
        )

    def handle(
        self, *args, force: bool = False, teams: int = 0, weeks: int = 13, verbosity: int = 1, **options
    ):
        # Demo passwords must never reach a production database, so DEBUG off needs --force. Under pytest
        # (settings.TESTING) the database is a throwaway test database, and the browser tests' `demo` fixture
        # calls this command with settings that have DEBUG off.
        if not (settings.DEBUG or settings.TESTING or force):
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: it creates users with the password 'demo'. "
                "Use --force if this really is not a production database."
            )
        if teams < 0 or weeks < 0:
            raise CommandError("--teams and --weeks must not be negative.")

        # The demo writes through the services and in bulk: the dashboard's rollups are computed once at the
        # end, for every team in bulk, by the code that keeps them with each write (checkins.rollups).
        with figures_batch():
            result = demo.seed_demo()
        if teams:
            started = time.monotonic()
            synthetic = demo.seed_synthetic(teams=teams, weeks=weeks, cycle=result.active_cycle)
            self._say(
                verbosity,
                f"Synthetic organisation: {synthetic.teams_created} teams, {synthetic.users_created} users, "
                f"{synthetic.key_results_created} key results, {synthetic.checkins_created} check-ins "
                f"created in {time.monotonic() - started:.1f} s.",
            )
        started = time.monotonic()
        refreshed = rollups.refresh_all()
        self._say(verbosity, f"Rollups of {refreshed} teams × cycles in {time.monotonic() - started:.1f} s.")

        self._say(
            verbosity,
            self.style.SUCCESS(
                f"Demo data ready: active cycle {result.active_cycle.name} "
                f"({result.active_cycle.start_date} – {result.active_cycle.end_date}), "
                f"planning cycle {result.planning_cycle.name}."
            ),
        )
        self._say(verbosity, "")
        self._say(verbosity, "Demo logins (password for all: demo):")
        width = max(len(username) for username, _, _ in result.logins)
        for username, password, role in result.logins:
            self._say(verbosity, f"  {username.ljust(width)}  {password}  {role}")

    def _say(self, verbosity: int, message: str) -> None:
        if verbosity >= 1:
            self.stdout.write(message)
