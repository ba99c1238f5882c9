"""`manage.py restore PATH [--database-url URL] [--force]`: a backup back into a database (docs/backup.md)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from okrhub import backups


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database, or the one "
        "--database-url names. Refuses a database that has tables unless --force. All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The backup file.")
        parser.add_argument(
            "--database-url",
            help="Restore into this database instead of DATABASE_URL (e.g. a fresh one for a restore drill).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the contents of a database that already has tables.",
        )

    def handle(
        self, *args, path: Path, database_url: str | None = None, force: bool = False, verbosity=1, **options
    ):
        try:
            target = (
                backups.Target.from_url(database_url)
                if database_url
                else backups.Target.from_settings(settings.DATABASES["default"])
            )
            backups.restore(archive=path, target=target, force=force)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"Restored {path} into {target.label}."))
