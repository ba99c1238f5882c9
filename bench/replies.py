"""`make bench-replies`: process 1,000 replies to check-in reminders and report the time and the peak memory.

    python bench/replies.py                    # 1,000 replies on a throwaway SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/okrhub_bench_replies python bench/replies.py
    python bench/replies.py --replies 30 --output /tmp/x.json   # the smoke run in the test suite

It builds an organisation of 50 teams with one member per reply, each owning two key results in an active
cycle, and sends every member their real reminder (Message-ID, Reply-To). Then each member answers the way a
phone does (two check-in lines, a signature, the reminder quoted below, In-Reply-To) and every reply goes
through what ``manage.py receive_email`` runs: read, match the reminder, two check-ins through the check-in
service, the record and the confirmation (sent through the delivery machinery, to Django's in-memory
backend). Then the same 1,000 messages once more: a replay changes nothing. Figures are printed and written
as JSON; nothing here passes or fails on a timing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEAMS = 50


def reply_bytes(reminder, lines: list[str]) -> bytes:
    message = EmailMessage()
    message["From"] = reminder.to[0]
    message["To"] = reminder.reply_to[0]
    message["Subject"] = "Re: " + reminder.subject
    message["Message-ID"] = email.utils.make_msgid(domain="phone.example.net")
    message["In-Reply-To"] = reminder.extra_headers["Message-ID"]
    message["References"] = reminder.extra_headers["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in reminder.body.splitlines())
    body = "\n".join(lines)
    message.set_content(
        f"{body}\n\nMvh\nBenk\n\nSendt fra min iPhone\n\n"
        f"Den 1. des. 2026 kl. 14:00 skrev OKR Hub:\n{quoted}\n"
    )
    return message.as_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--replies", type=int, default=1000)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "replies.json"))
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="okrhub-bench-replies-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ["EMAIL_URL"] = "memorymail://"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"  # the confirmation is sent in this process, as measured
    os.environ["INBOUND_EMAIL_ADDRESS"] = "checkin@okr.example.org"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "okrhub.settings"
    sys.path.insert(0, str(ROOT))
    from bench.prepare import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection

    from checkins.models import CheckIn
    from notifications import reminders, replies
    from notifications.models import EmailDelivery, InboundMessage
    from objectives.models import Cycle, KeyResult, Objective
    from teams.models import Membership, Profile, Team
    from teams.tree import tree_changed

    call_command("migrate", verbosity=0)
    mail.outbox = []
    stamp = time.time_ns()
    User = get_user_model()
    today = dt.date.today()
    cycle = Cycle.objects.create(
        name=f"Bench replies {stamp}",
        start_date=today - dt.timedelta(days=30),
        end_date=today + dt.timedelta(days=60),
        status=Cycle.Status.ACTIVE,
    )
    teams = Team.objects.bulk_create(
        Team(name=f"Bench replies {stamp} {n}", slug=f"bench-replies-{stamp}-{n}") for n in range(TEAMS)
    )
    tree_changed()
    users = User.objects.bulk_create(
        User(username=f"bench-replier-{stamp}-{n}", email=f"replier-{stamp}-{n}@example.org")
        for n in range(args.replies)
    )
    Profile.objects.bulk_create(Profile(user=user, language="nb") for user in users)
    Membership.objects.bulk_create(
        Membership(user=user, team=teams[n % TEAMS]) for n, user in enumerate(users)
    )
    objectives = Objective.objects.bulk_create(
        Objective(team=team, cycle=cycle, title=f"Mål for {team.name}", status=Objective.Status.ACTIVE)
        for team in teams
    )
    KeyResult.objects.bulk_create(
        KeyResult(
            objective=objectives[n % TEAMS],
            owner=user,
            title=f"Nøkkelresultat {part} for {user.username}",
            start_value=0,
            target_value=2000,
            confidence=6 if part == 1 else None,
            position=part,
        )
        for n, user in enumerate(users)
        for part in (1, 2)
    )
    started = time.perf_counter()
    user_ids = {user.pk for user in users}
    deliveries = [d for d in reminders.checkin_reminders_plan(ignore_slot=True) if d.user_id in user_ids]
    for delivery in deliveries:
        reminders.checkin_reminder_send(delivery_id=delivery.pk, ignore_slot=True)
    reminder_seconds = time.perf_counter() - started
    sent = [m for m in mail.outbox if m.reply_to]
    key_results = {}
    for key_result in KeyResult.objects.filter(owner_id__in=user_ids).order_by("position"):
        key_results.setdefault(key_result.owner.email, []).append(key_result.pk)
    messages = []
    for n, reminder in enumerate(sent):
        first, second = key_results[reminder.to[0]]
        messages.append(
            reply_bytes(reminder, [f"K{first}: 1 {n % 1000:03d} 8 God uke", f"K{second}: 12,5 7"])
        )
    mail.outbox = []

    figures: dict[str, object] = {
        "replies": len(messages),
        "database": connection.vendor,
        "reminders_seconds": round(reminder_seconds, 2),
        "bytes_per_reply": round(statistics.mean(len(m) for m in messages)),
    }
    for phase in ("process", "replay"):
        durations = []
        started = time.perf_counter()
        for raw in messages:
            one = time.perf_counter()
            # What receive_email runs; the confirmation is sent when the reply's transaction commits.
            replies.reply_process(raw=raw)
            durations.append(time.perf_counter() - one)
        seconds = time.perf_counter() - started
        durations.sort()
        figures[phase] = {
            "seconds": round(seconds, 2),
            "replies_per_second": round(len(messages) / seconds),
            "p50_ms": round(durations[len(durations) // 2] * 1000, 1),
            "p95_ms": round(durations[int(len(durations) * 0.95) - 1] * 1000, 1),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "checkins": CheckIn.objects.filter(author_id__in=user_ids).count(),
            "records": InboundMessage.objects.filter(user_id__in=user_ids).count(),
            "confirmations_sent": EmailDelivery.objects.filter(
                kind=EmailDelivery.Kind.REPLY_CONFIRMATION, user_id__in=user_ids, sent_at__isnull=False
            ).count(),
            "emails": len(mail.outbox),
        }
    print(f"{len(messages)} replies on {connection.vendor} (reminders sent in {reminder_seconds:.1f} s)")
    header = ("phase", "seconds", "replies/s", "p50 ms", "p95 ms", "MiB", "check-ins")
    print("{:<8} {:>8} {:>10} {:>7} {:>7} {:>6} {:>10}".format(*header))
    for phase in ("process", "replay"):
        f = figures[phase]
        print(
            f"{phase:<8} {f['seconds']:>8} {f['replies_per_second']:>10} {f['p50_ms']:>7} {f['p95_ms']:>7} "
            f"{f['peak_rss_mib']:>6} {f['checkins']:>10}"
        )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
