"""python manage.py import_okrs FILE --cycle <id or name> [--team <slug>] [--draft] [--dry-run] [--user U]"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from imports.services import okr_import
from objectives.models import Cycle
from teams.models import Team


def _cycle(value: str) -> Cycle:
    query = Q(name__iexact=value)
    if value.isdigit():
        query |= Q(pk=int(value))
    cycles = list(Cycle.objects.filter(query)[:2])
    if len(cycles) != 1:
        raise CommandError(f"No single cycle with the id or name {value!r}.")
    return cycles[0]


def _user(value: str | None):
    User = get_user_model()
    if value:
        user = User.objects.filter(Q(username__iexact=value) | Q(email__iexact=value), is_active=True).first()
        if user is None:
            raise CommandError(f"No active user with the username or email address {value!r}.")
        return user
    user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        raise CommandError("Name the importing person with --user (no superuser exists).")
    return user


class Command(BaseCommand):
    help = (
        "Import objectives, key results and initiatives from an .xlsx or .csv file (one key result per row, "
        "a header row). Nothing is saved if any row is wrong; every problem is printed as 'row N: column: "
        "message'. A second import of the same file updates what changed and creates nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx or .csv file")
        parser.add_argument("--cycle", required=True, help="the cycle's id or name")
        parser.add_argument(
            "--team", help="slug of the team for rows that name none (and the only one allowed)"
        )
        parser.add_argument("--draft", action="store_true", help="put the objectives on the board as drafts")
        parser.add_argument("--dry-run", action="store_true", help="check and report, save nothing")
        parser.add_argument(
            "--user", help="username or email of the importing person (default: the first superuser)"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        cycle = _cycle(options["cycle"])
        team = None
        if options["team"]:
            team = Team.objects.filter(slug=options["team"]).first()
            if team is None:
                raise CommandError(f"No team with the slug {options['team']!r}.")
        actor = _user(options["user"])
        with path.open("rb") as source:
            report = okr_import(
                source=source,
                file_name=path.name,
                cycle=cycle,
                actor=actor,
                team=team,
                draft=options["draft"],
                dry_run=options["dry_run"],
            )
        for problem in report.problems:
            self.stderr.write(str(problem))
        if not report.ok:
            self.stderr.write(f"{len(report.problems)} problem(s); nothing was imported.")
            raise SystemExit(1)
        for note in report.notes:
            self.stdout.write(str(note))
        verb = "Would create" if report.dry_run else "Created"
        self.stdout.write(
            f"{report.rows} row(s). {verb} {report.objectives_created} objective(s), "
            f"{report.key_results_created} key result(s), {report.initiatives_created} initiative(s) and "
            f"{report.checkins_created} check-in(s); "
            f"{'would update' if report.dry_run else 'updated'} {report.key_results_updated} key result(s)."
        )
        if report.dry_run:
            self.stdout.write("Dry run: nothing was saved.")
