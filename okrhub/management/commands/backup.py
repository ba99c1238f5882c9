"""`manage.py backup [--output PATH]`: a backup of the database (okrhub/backups.py; docs/backup.md)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from okrhub import backups


class Command(BaseCommand):
    help = (
        "Back up the database: PostgreSQL with pg_dump --format=custom, SQLite through its backup API. "
        "Restore with `manage.py restore PATH`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="Where to write the backup (default: BACKUP_DIR/okrhub-<UTC time>.dump).",
        )

    def handle(self, *args, output: Path | None = None, verbosity: int = 1, **options):
        target = backups.Target.from_settings(settings.DATABASES["default"])
        if output is None:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            suffix = "dump" if target.engine == backups.POSTGRESQL else "sqlite3"
            output = Path(settings.BACKUP_DIR) / f"okrhub-{stamp}.{suffix}"
        try:
            written = backups.backup(target=target, output=output)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity >= 1:
            size = written.stat().st_size
            self.stdout.write(self.style.SUCCESS(f"Backed up {target.label} to {written} ({size} bytes)."))
