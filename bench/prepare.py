"""The benchmark's database side: bench/run.py runs `python -m bench.prepare …` with the bench environment.

`setup`   creates the database if missing (PostgreSQL), migrates, builds the organisation with `seed_demo`
          unless it is already there, and prints (as JSON on the last line) what the load needs: the virtual
          users with their API tokens and the key results they may check in on, the dashboard user, the size
          of the organisation and the last check-in id before the run.
`cleanup` deletes the check-ins the run wrote (found by their note, after that id) through the same recompute
          the services use, so a reused organisation stays the same size from run to run, and prints how many
          each endpoint wrote (the htmx form answers 200 even with form errors, so the driver compares).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time

import environ

PASSWORD = "demo"  # okrhub/demo.py: every demo user's password
NOTE_PREFIX = "bench:"  # check-ins the benchmark writes carry "bench:<endpoint>" as their note


def ensure_database(url: str) -> None:
    """PostgreSQL: create the database named in the URL if it does not exist yet (SQLite creates its file)."""
    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        return
    import psycopg
    from psycopg import sql

    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        for attempt in range(10):
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
                return
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            except psycopg.errors.ObjectInUse:
                # Both organisations are prepared at once; CREATE DATABASE copies template1 one at a time.
                time.sleep(0.5 * (attempt + 1))
                continue
            print(f"created database {config['NAME']}", file=sys.stderr)
            return


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrhub.settings")
    import django

    django.setup()


def setup(*, teams: int, weeks: int, users: int, rebuild: bool) -> dict:
    ensure_database(os.environ["DATABASE_URL"])
    django_setup()
    started = time.monotonic()
    build(teams=teams, weeks=weeks, rebuild=rebuild)
    return {**targets(teams=teams, users=users), "prepare_seconds": round(time.monotonic() - started, 1)}


def build(*, teams: int, weeks: int, rebuild: bool) -> None:
    """Migrate, then build the organisation unless its last synthetic team is already there."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from teams.models import Team

    call_command("migrate", interactive=False, verbosity=0, stdout=sys.stderr)
    last = f"syntetisk-team-{teams:04d}"
    built = (
        Team.objects.filter(slug=last).exists()
        and get_user_model().objects.filter(username="member").exists()
    )
    if rebuild or not built:
        # Idempotent: adds only what is missing (okrhub/demo.py); --force because DEBUG is off here.
        output = io.StringIO()
        call_command("seed_demo", teams=teams, weeks=weeks, force=True, stdout=output)
        print(
            f"seed_demo --teams {teams} --weeks {weeks}: {output.getvalue().splitlines()[0]}", file=sys.stderr
        )
    else:
        print(f"reusing the organisation in the database ({last} exists)", file=sys.stderr)
    # A bulk-loaded database has no planner statistics until autovacuum gets round to it, and the planner
    # then guesses one row per table; a production database in steady state has them. The previous run's
    # deleted check-ins go too.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def targets(*, teams: int, users: int) -> dict:
    """What the load needs: virtual users with tokens and key results, the organisation's size."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from checkins.models import CheckIn
    from objectives.models import Cycle, KeyResult, Objective
    from teams.models import Team

    User = get_user_model()
    cycle = Cycle.objects.filter(status=Cycle.Status.ACTIVE).order_by("-start_date").first()
    if cycle is None:
        raise SystemExit("no active cycle: seed_demo did not build the organisation")
    synthetic = Team.objects.filter(slug__startswith="syntetisk-team-").count()

    # Virtual users: one member (not the lead) of teams spread evenly over the synthetic organisation.
    numbers = sorted({1 + i * teams // users for i in range(users)})
    members = []
    for number in numbers:
        user = User.objects.get(username=f"synt{number:04d}_2")
        team = Team.objects.get(slug=f"syntetisk-team-{number:04d}")
        key_results = (
            KeyResult.objects.in_progress()
            .filter(objective__team=team, objective__cycle=cycle, objective__status=Objective.Status.ACTIVE)
            .order_by("id")
        )
        token, _ = Token.objects.get_or_create(user=user)
        members.append(
            {
                "username": user.username,
                "password": PASSWORD,
                "team_slug": team.slug,
                "token": token.key,
                # A value the key result's kind accepts (done/not done for "achieve"), as an integer string
                # so the Norwegian decimal comma of the form does not matter.
                "key_results": [
                    {"id": kr.pk, "kind": kr.kind, "value": str(int(kr.current_value))} for kr in key_results
                ],
            }
        )
    if not all(member["key_results"] for member in members):
        raise SystemExit("a virtual user has no key result to check in on")

    return {
        "org": {
            "synthetic_teams": synthetic,
            "teams": Team.objects.count(),
            "users": User.objects.count(),
            "objectives": Objective.objects.filter(cycle=cycle).count(),
            "key_results": KeyResult.objects.filter(objective__cycle=cycle).count(),
            "checkins": CheckIn.objects.count(),
        },
        "cycle": cycle.name,
        # The run's writes are what comes after these ids (see cleanup()).
        "marks": {
            "checkin": CheckIn.objects.order_by("-id").values_list("id", flat=True).first() or 0,
            "history": KeyResult.history.order_by("-history_id").values_list("history_id", flat=True).first()
            or 0,
        },
        "members": members,
        "dashboard_user": {"username": "leader", "password": PASSWORD},
    }


def cleanup(*, checkin_mark: int, history_mark: int) -> dict:
    """Remove the run's check-ins and the key result history rows their saves added; recompute the rest."""
    django_setup()
    from django.db import transaction

    from checkins import rollups
    from checkins.models import CheckIn
    from checkins.services import key_result_recompute
    from objectives.models import KeyResult
    from objectives.signals import figures_batch

    written = CheckIn.objects.filter(id__gt=checkin_mark, note__startswith=NOTE_PREFIX)
    counts: dict[str, int] = {}
    for note in written.values_list("note", flat=True):
        counts[note.removeprefix(NOTE_PREFIX)] = counts.get(note.removeprefix(NOTE_PREFIX), 0) + 1
    with transaction.atomic(), figures_batch():  # each team's rollups recomputed once, at the end
        key_result_ids = set(written.values_list("key_result_id", flat=True))
        written.delete()
        for key_result in KeyResult.objects.filter(id__in=key_result_ids).select_related("objective"):
            key_result.skip_history_when_saving = True  # django-simple-history: no row for the undo
            key_result_recompute(key_result=key_result)
        # Every check-in's save of its key result adds a history row (see bench/README.md); a benchmark
        # database has no other writers, so everything after the mark is the run's.
        history, _ = KeyResult.history.filter(history_id__gt=history_mark).delete()
    # The run's writes (check-ins through the service, then their removal here) must have left every
    # team's rollups equal to a recomputation: ``manage.py verify_rollups``, counted in the report.
    rollups.refresh_dirty()  # what the worker does right after each commit
    problems = rollups.verify()
    for line in problems[:5]:
        print(f"verify_rollups: {line}", file=sys.stderr)
    return {"written": counts, "history_rows": history, "rollup_problems": len(problems)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.prepare")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("setup")
    build.add_argument("--teams", type=int, required=True)
    build.add_argument("--weeks", type=int, required=True)
    build.add_argument("--users", type=int, required=True)
    build.add_argument("--rebuild", action="store_true")
    clean = commands.add_parser("cleanup")
    clean.add_argument("--checkin-mark", type=int, required=True)
    clean.add_argument("--history-mark", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "setup":
        result = setup(teams=args.teams, weeks=args.weeks, users=args.users, rebuild=args.rebuild)
    else:
        result = cleanup(checkin_mark=args.checkin_mark, history_mark=args.history_mark)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
