"""Backing up and restoring the database (`manage.py backup` / `manage.py restore`; docs/backup.md).

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --single-transaction --exit-on-error``, so a restore
that fails part-way leaves the target database as it was. The client tools must be at least the server's
major version (pg_dump refuses an older one); the Debian layout ``/usr/lib/postgresql/<major>/bin`` is
searched first, then ``PATH``. SQLite (development): a consistent copy through SQLite's online backup API.

Passwords reach the client tools through ``PGPASSWORD`` in their environment, never on a command line.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import environ

POSTGRESQL = "django.db.backends.postgresql"
SQLITE = "django.db.backends.sqlite3"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


class BackupError(Exception):
    """Something an operator must fix; the message says what."""


@dataclass(frozen=True)
class Target:
    """One database, as Django's settings describe it (ENGINE, NAME, USER, PASSWORD, HOST, PORT)."""

    engine: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    @classmethod
    def from_settings(cls, db: dict) -> Target:
        return cls(
            # django-prometheus wraps the same backends (django_prometheus.db.backends.*): one engine each.
            engine=db["ENGINE"].replace("django_prometheus.db.", "django.db."),
            name=str(db["NAME"]),
            user=db.get("USER") or "",
            password=db.get("PASSWORD") or "",
            host=db.get("HOST") or "",
            port=str(db.get("PORT") or ""),
        )

    @classmethod
    def from_url(cls, url: str) -> Target:
        try:
            return cls.from_settings(environ.Env.db_url_config(url))
        except (KeyError, ValueError, environ.ImproperlyConfigured) as exc:
            raise BackupError(f"Not a database URL: {url!r} ({exc}).") from exc

    @property
    def label(self) -> str:
        if self.engine == SQLITE:
            return f"SQLite {self.name}"
        return f"PostgreSQL {self.name} on {self.host or 'localhost'}:{self.port or 5432}"

    def libpq_env(self) -> dict[str, str]:
        """The environment for pg_dump/pg_restore/psql: connection settings as PG* variables."""
        env = {**os.environ, "PGDATABASE": self.name}
        for key, value in (
            ("PGUSER", self.user),
            ("PGPASSWORD", self.password),
            ("PGHOST", self.host),
            ("PGPORT", self.port),
        ):
            if value:
                env[key] = value
        return env


def _supported(target: Target) -> None:
    if target.engine not in (POSTGRESQL, SQLITE):
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {target.engine}.")
    if target.engine == SQLITE and (target.name == ":memory:" or "mode=memory" in target.name):
        raise BackupError("An in-memory SQLite database has no file to back up or restore into.")


def _run(command: list[str], *, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, capture_output=True, text=True, errors="replace", check=False)


def _major(version_text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if not match:
        raise BackupError(f"Cannot read a PostgreSQL version from {version_text!r}.")
    return int(match.group(1))


def server_major(target: Target) -> int:
    psql = _tool("psql", None)
    result = _run([psql, "-XAtqc", "SHOW server_version_num"], env=target.libpq_env())
    if result.returncode != 0:
        raise BackupError(f"Cannot connect to {target.label}: {result.stderr.strip()}")
    return int(result.stdout.strip()) // 10000


def _tool(name: str, major: int | None) -> str:
    """The client tool for a server of ``major`` (Debian keeps each version's tools apart), else PATH's."""
    if major is not None:
        versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
        if versioned.exists():
            return str(versioned)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install postgresql-client (the server's major version).")
    return found


def _matching_tool(name: str, target: Target) -> str:
    major = server_major(target)
    tool = _tool(name, major)
    tool_major = _major(_run([tool, "--version"], env=target.libpq_env()).stdout)
    if tool_major < major:
        raise BackupError(
            f"{tool} is version {tool_major}, the server is PostgreSQL {major}: "
            f"install postgresql-client-{major} (an older {name} cannot read a newer server)."
        )
    return tool


def backup(*, target: Target, output: Path) -> Path:
    """Write a backup of ``target`` to ``output``; written to a temporary name first, so a failed backup
    never leaves a file that looks complete."""
    _supported(target)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if target.engine == POSTGRESQL:
            pg_dump = _matching_tool("pg_dump", target)
            result = _run(
                [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"],
                env=target.libpq_env(),
            )
            if result.returncode != 0:
                raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        else:
            if not Path(target.name).exists():
                raise BackupError(f"{target.label} does not exist.")
            with sqlite3.connect(target.name) as source, sqlite3.connect(partial) as copy:
                source.backup(copy)
            # sqlite3's context manager commits but does not close.
            source.close()
            copy.close()
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return output


def archive_kind(path: Path) -> str:
    """``postgresql`` or ``sqlite`` from the file's first bytes; BackupError for anything else."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    if head == SQLITE_MAGIC:
        return "sqlite"
    raise BackupError(
        f"{path} is not an OKR Hub backup (neither a pg_dump custom-format archive nor a SQLite database)."
    )


def has_tables(target: Target) -> bool:
    if target.engine == SQLITE:
        if not Path(target.name).exists():
            return False
        with sqlite3.connect(target.name) as db:
            found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").fetchone()
        db.close()
        return found is not None
    psql = _tool("psql", None)
    result = _run(
        [psql, "-XAtqc", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"],
        env=target.libpq_env(),
    )
    if result.returncode != 0:
        raise BackupError(f"Cannot connect to {target.label}: {result.stderr.strip()}")
    return int(result.stdout.strip()) > 0


def restore(*, archive: Path, target: Target, force: bool) -> None:
    """Restore ``archive`` into ``target``. Refuses a target that has tables unless ``force`` (then the
    backup's tables replace them). Either everything is restored or the target is left untouched."""
    _supported(target)
    kind = archive_kind(archive)
    expected = "postgresql" if target.engine == POSTGRESQL else "sqlite"
    if kind != expected:
        raise BackupError(f"{archive} is a {kind} backup; {target.label} needs a {expected} one.")
    if has_tables(target) and not force:
        raise BackupError(
            f"{target.label} already has tables. Restore into an empty database, or pass --force to "
            "replace its contents with the backup's."
        )
    if target.engine == POSTGRESQL:
        _restore_postgresql(archive=archive, target=target, clean=force)
    else:
        _restore_sqlite(archive=archive, target=target)


def _restore_postgresql(*, archive: Path, target: Target, clean: bool) -> None:
    pg_restore = _matching_tool("pg_restore", target)
    env = target.libpq_env()
    # The table of contents first: a file that is not a readable archive fails here, before any change.
    listed = _run([pg_restore, "--list", str(archive)], env=env)
    if listed.returncode != 0:
        raise BackupError(f"{archive} is not a readable pg_dump archive: {listed.stderr.strip()}")
    command = [
        pg_restore,
        f"--dbname={target.name}",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",  # with --exit-on-error: any failure rolls the whole restore back
        "--exit-on-error",
    ]
    if clean:
        command += ["--clean", "--if-exists"]
    result = _run([*command, str(archive)], env=env)
    if result.returncode != 0:
        raise BackupError(
            f"pg_restore failed; {target.label} is unchanged (the restore was one transaction): "
            f"{result.stderr.strip()}"
        )


def _restore_sqlite(*, archive: Path, target: Target) -> None:
    with sqlite3.connect(f"file:{archive}?mode=ro", uri=True) as source:
        try:
            verdict = source.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{archive} is not a readable SQLite database: {exc}") from exc
        if verdict != "ok":
            raise BackupError(f"{archive} fails SQLite's integrity check: {verdict}")
        with sqlite3.connect(target.name) as destination:
            # The backup API replaces the destination's pages in one step.
            source.backup(destination)
        destination.close()
    source.close()
