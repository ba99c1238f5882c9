"""`make bench-import`: import a 10,000-row spreadsheet and report the time and the peak memory.

    python bench/imports.py                    # 10,000 rows into a throwaway SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/okrhub_bench_import python bench/imports.py
    python bench/imports.py --rows 200 --output /tmp/x.json   # the smoke run in the test suite

It builds a small organisation (teams, people), writes the file as Norwegian Excel saves it (semicolons,
decimal commas, Windows-1252; every row with an owner, a current value and every fifth with an initiative),
then runs the one import service twice, as the browser does: the check (a dry run that rolls back) and the
import, and a third time to show that importing the same file again creates nothing. Figures are printed
and written as JSON; nothing here passes or fails on a timing.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADERS = ["team", "mål", "nøkkelresultat", "type", "start", "målverdi", "enhet", "eier", "nå", "tillit",
           "tiltak", "tiltakseier"]  # fmt: skip
TEAMS = 200
PEOPLE = 1000


def make_file(rows: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for n in range(rows):
        team = n % TEAMS
        writer.writerow(
            [
                f"bench-team-{team}",
                f"Mål {n // 5} for team {team}",
                f"Øke andel fornøyde deltakere nr. {n}",
                "øke",
                "1 000",
                "1 400,5",
                "deltakere",
                f"bench-person-{n % PEOPLE}",
                "1 100,25",
                "7",
                f"Tiltak {n}" if n % 5 == 0 else "",
                f"bench-person-{(n + 1) % PEOPLE}" if n % 5 == 0 else "",
            ]
        )
    return buffer.getvalue().encode("cp1252")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "import.json"))
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="okrhub-bench-import-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "okrhub.settings"
    sys.path.insert(0, str(ROOT))
    from bench.prepare import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from imports.services import okr_import
    from objectives.models import Cycle
    from teams.models import Team
    from teams.tree import tree_changed

    call_command("migrate", verbosity=0)
    cycle_name = f"Bench import {args.rows}"
    User = get_user_model()
    if not Team.objects.filter(slug="bench-team-0").exists():
        Team.objects.bulk_create(Team(name=f"Bench team {n}", slug=f"bench-team-{n}") for n in range(TEAMS))
        tree_changed()
        User.objects.bulk_create(
            User(username=f"bench-person-{n}", email=f"bench-person-{n}@example.org") for n in range(PEOPLE)
        )
    actor, _created = User.objects.get_or_create(username="bench-importer", defaults={"is_superuser": True})
    today = dt.date.today()
    cycle, _created = Cycle.objects.get_or_create(
        name=f"{cycle_name} {time.time_ns()}",
        defaults={
            "start_date": today - dt.timedelta(days=30),
            "end_date": today + dt.timedelta(days=90),
            "status": Cycle.Status.ACTIVE,
        },
    )
    content = make_file(args.rows)
    figures: dict[str, object] = {
        "rows": args.rows,
        "file_bytes": len(content),
        "database": connection.vendor,
    }
    for phase, dry_run in (("check", True), ("import", False), ("again", False)):
        started = time.perf_counter()
        report = okr_import(
            source=io.BytesIO(content), file_name="bench.csv", cycle=cycle, actor=actor, dry_run=dry_run
        )
        seconds = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the process's peak so far
        if not report.ok:
            print("\n".join(str(problem) for problem in report.problems[:20]), file=sys.stderr)
            return 1
        figures[phase] = {
            "seconds": round(seconds, 2),
            "rows_per_second": round(args.rows / seconds),
            "peak_rss_mib": round(peak_kib / 1024, 1),
            **report.as_dict(),
        }
        figures[phase].pop("team_ids")
    print(f"Import of {args.rows} rows ({len(content) / 1e6:.1f} MB CSV) on {connection.vendor}")
    print(f"{'phase':<8} {'seconds':>8} {'rows/s':>8} {'peak RSS MiB':>13} {'KRs':>6} {'check-ins':>10}")
    for phase in ("check", "import", "again"):
        f = figures[phase]
        print(
            f"{phase:<8} {f['seconds']:>8} {f['rows_per_second']:>8} {f['peak_rss_mib']:>13} "
            f"{f['key_results_created']:>6} {f['checkins_created']:>10}"
        )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
