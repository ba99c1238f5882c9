"""`manage.py backup` / `restore` (okrhub/backups.py, docs/backup.md): a backup is known to restore.

On PostgreSQL: the demo organisation is backed up with pg_dump, restored into a fresh scratch database, and
every table's row count and checksum (md5 of its rows in order) and every sequence are compared. A corrupt or
truncated archive fails with a clear message and leaves the target as it was. The scratch database's name
comes from BACKUP_TEST_DATABASE. SQLite files go through SQLite's backup API; those tests run everywhere.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from okrhub import backups

SCRATCH = os.environ.get("BACKUP_TEST_DATABASE", "okrhub_s21_restore")

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_dump/pg_restore need PostgreSQL (DATABASE_URL=postgres://…); SQLite has its own tests here",
)


def _server() -> dict:
    db = connection.settings_dict
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"] or "",
        "password": db["PASSWORD"] or "",
    }


def _url(name: str) -> str:
    server = _server()
    password = f":{server['password']}" if server["password"] else ""
    return f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"


def _admin(sql: str) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, **_server()) as admin:
        admin.execute(sql)


@pytest.fixture
def scratch():
    """A fresh, empty PostgreSQL database; dropped afterwards whatever happens."""
    if not shutil.which("pg_restore"):
        pytest.skip("pg_dump/pg_restore not installed (postgresql-client)")
    _admin(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{SCRATCH}"')
    yield _url(SCRATCH)
    _admin(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')


def _fingerprint(cursor) -> dict[str, tuple]:
    """Every public table's row count and the md5 of its rows in order; every sequence's position."""
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [name for (name,) in cursor.fetchall()]
    result: dict[str, tuple] = {}
    for table in tables:
        cursor.execute(
            "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
            f' FROM "{table}" t'
        )
        result[table] = tuple(cursor.fetchone())
    cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1")
    for name, last_value in cursor.fetchall():
        result[f"sequence {name}"] = (last_value,)
    return result


def _fingerprint_of(url: str) -> dict[str, tuple]:
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as db, db.cursor() as cursor:
        return _fingerprint(cursor)


@pytest.fixture
def seeded_backup(tmp_path) -> tuple[Path, dict[str, tuple]]:
    """The demo organisation, committed, backed up; with the fingerprint of the database backed up."""
    call_command("seed_demo", verbosity=0)
    archive = tmp_path / "okrhub.dump"
    call_command("backup", output=archive, verbosity=0)
    with connection.cursor() as cursor:
        fingerprint = _fingerprint(cursor)
    return archive, fingerprint


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_with_every_table_equal(seeded_backup, scratch):
    archive, original = seeded_backup
    assert archive.read_bytes().startswith(b"PGDMP")
    # The comparison means something: the demo filled the tables that matter.
    for table in (
        "auth_user",
        "teams_team",
        "objectives_objective",
        "objectives_keyresult",
        "checkins_checkin",
    ):
        assert original[table][0] > 0, table

    call_command("restore", str(archive), database_url=scratch, verbosity=0)

    restored = _fingerprint_of(scratch)
    assert restored.keys() == original.keys()
    differing = {
        table: (original[table], restored[table]) for table in original if original[table] != restored[table]
    }
    assert differing == {}


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_tables_unless_forced(seeded_backup, scratch):
    archive, original = seeded_backup
    call_command("restore", str(archive), database_url=scratch, verbosity=0)

    with pytest.raises(CommandError, match="already has tables"):
        call_command("restore", str(archive), database_url=scratch, verbosity=0)
    call_command("restore", str(archive), database_url=scratch, force=True, verbosity=0)
    assert _fingerprint_of(scratch) == original


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_corrupt_or_truncated_backup_fails_and_leaves_the_target_untouched(
    seeded_backup, scratch, tmp_path
):
    archive, original = seeded_backup
    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(b"this is not a backup\n" * 100)
    with pytest.raises(CommandError, match="not an OKR Hub backup"):
        call_command("restore", str(garbage), database_url=scratch, verbosity=0)
    # A pg_dump header followed by noise: the table of contents is unreadable, nothing is touched.
    noisy = tmp_path / "noisy.dump"
    noisy.write_bytes(archive.read_bytes()[:5] + os.urandom(4096))
    with pytest.raises(CommandError, match="not a readable pg_dump archive"):
        call_command("restore", str(noisy), database_url=scratch, verbosity=0)
    assert _fingerprint_of(scratch) == {}

    # Cut short, the archive's table of contents points past its end: refused before any change.
    truncated = tmp_path / "truncated.dump"
    data = archive.read_bytes()
    truncated.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(CommandError, match="not a readable pg_dump archive"):
        call_command("restore", str(truncated), database_url=scratch, verbosity=0)
    assert _fingerprint_of(scratch) == {}

    # Damaged table data behind an intact table of contents, over a database that holds the restored
    # data: it fails part-way, after --force dropped the tables, and the single transaction puts it all back.
    call_command("restore", str(archive), database_url=scratch, verbosity=0)
    damaged = tmp_path / "damaged.dump"
    first_block = data.index(b"\x78\x9c")  # the table data: zlib streams after the plain-text TOC
    middle = (first_block + len(data)) // 2
    damaged.write_bytes(data[:middle] + b"\xff" * 64 + data[middle + 64 :])
    with pytest.raises(CommandError, match="unchanged"):
        call_command("restore", str(damaged), database_url=scratch, force=True, verbosity=0)
    assert _fingerprint_of(scratch) == original


def test_the_restore_command_exits_non_zero_with_the_message(tmp_path):
    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(b"\x00" * 64)
    target = tmp_path / "target.sqlite3"
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(garbage), f"--database-url=sqlite:///{target}"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "is not an OKR Hub backup" in result.stderr
    assert not target.exists()


# --- SQLite (development databases): the backup API, the same guarantees ------------------------------


def _sqlite_db(path: Path, rows: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        db.executemany("INSERT INTO note (body) VALUES (?)", [(f"note {i} – æøå",) for i in range(rows)])
    db.close()


def _sqlite_rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id, body FROM note ORDER BY id").fetchall()
    db.close()
    return rows


def test_a_sqlite_backup_restores_into_a_fresh_file(tmp_path):
    source = tmp_path / "source.sqlite3"
    _sqlite_db(source, rows=500)
    archive = backups.backup(
        target=backups.Target(engine=backups.SQLITE, name=str(source)), output=tmp_path / "b" / "x.sqlite3"
    )
    target = tmp_path / "restored.sqlite3"
    call_command("restore", str(archive), database_url=f"sqlite:///{target}", verbosity=0)
    assert _sqlite_rows(target) == _sqlite_rows(source)
    assert len(_sqlite_rows(target)) == 500
    assert not list((tmp_path / "b").glob("*.partial"))


def test_a_corrupt_sqlite_backup_leaves_the_target_untouched(tmp_path):
    target = tmp_path / "target.sqlite3"
    _sqlite_db(target, rows=3)
    before = _sqlite_rows(target)
    broken = tmp_path / "broken.sqlite3"
    source = tmp_path / "source.sqlite3"
    _sqlite_db(source, rows=2000)
    broken.write_bytes(source.read_bytes()[:4096] + b"\xff" * 8192)
    with pytest.raises(CommandError, match="SQLite"):
        call_command("restore", str(broken), database_url=f"sqlite:///{target}", force=True, verbosity=0)
    assert _sqlite_rows(target) == before
    with pytest.raises(CommandError, match="already has tables"):
        call_command("restore", str(source), database_url=f"sqlite:///{target}", verbosity=0)
    assert _sqlite_rows(target) == before


def test_a_postgresql_archive_is_refused_for_a_sqlite_target(tmp_path):
    archive = tmp_path / "pg.dump"
    archive.write_bytes(b"PGDMP" + b"\x00" * 100)
    with pytest.raises(CommandError, match="needs a sqlite one"):
        call_command("restore", str(archive), database_url=f"sqlite:///{tmp_path / 't.sqlite3'}", verbosity=0)


def test_an_in_memory_database_is_refused_with_a_reason():
    with pytest.raises(backups.BackupError, match="in-memory"):
        backups.backup(target=backups.Target(engine=backups.SQLITE, name=":memory:"), output=Path("x"))


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_without_output_the_backup_goes_to_backup_dir_with_a_timestamp(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    call_command("backup", verbosity=0)
    (written,) = (tmp_path / "backups").iterdir()
    assert re.fullmatch(r"okrhub-\d{8}T\d{6}Z\.dump", written.name)
    assert written.read_bytes().startswith(b"PGDMP")


def test_an_older_pg_dump_than_the_server_is_refused_with_what_to_install(monkeypatch, tmp_path):
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump not installed (postgresql-client)")
    monkeypatch.setattr(backups, "server_major", lambda target: 99)
    target = backups.Target.from_url("postgres://okrhub@127.0.0.1:5432/okrhub")
    with pytest.raises(backups.BackupError, match="install postgresql-client-99"):
        backups.backup(target=target, output=tmp_path / "x.dump")
    assert list(tmp_path.iterdir()) == []  # no partial file left behind
