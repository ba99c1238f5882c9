"""Two web nodes and two workers behave like one (docs/scaling.md): `make scaleout`, CI's own step.

nginx (Debian's) balances two gunicorn nodes; two Celery workers and one beat; one PostgreSQL database (the
test database; each test commits the small organisation of tests/conftest.py, password "demo", for the other
processes, and pytest-django empties the tables afterwards) and one Redis database for cache and broker
(SCALEOUT_TEST_REDIS_URL). Every wait is bounded and fails with the processes' logs, never hangs.
Marked ``scaleout``: the plain `make test` run leaves it out (pyproject addopts); `make scaleout` runs it.
"""

from __future__ import annotations

import email
import os
import re
import threading
import time
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from django.db import connection

from tests.scaleout.stack import NGINX, Stack, wait_for_log
from tests.servers import redis_db, shared_database_url

pytestmark = [pytest.mark.scaleout, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("SCALEOUT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")  # a database of our own
THROTTLE = 10  # API_TOKEN_THROTTLE_RATE for the nodes, per minute
PATIENCE = 60  # seconds for any one wait


@pytest.fixture(scope="module")
def stack(django_db_setup, tmp_path_factory):
    if connection.vendor != "postgresql":
        pytest.skip(
            "The scale-out test needs PostgreSQL (DATABASE_URL=postgres://…): nodes share one database"
        )
    if not os.access(NGINX, os.X_OK):
        pytest.skip(f"nginx not installed at {NGINX} (apt-get install nginx)")
    broker = redis_db(REDIS_URL, why="")
    broker.flushdb()  # our own database number: leftovers from an earlier run would be consumed too
    running = Stack(
        tmp=tmp_path_factory.mktemp("scaleout"),
        database_url=shared_database_url(tmp_path_factory.getbasetemp()),  # PostgreSQL: the test database
        redis_url=REDIS_URL,
        extra_env={"API_TOKEN_THROTTLE_RATE": f"{THROTTLE}/minute"},
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()
        broker.flushdb()


def _sign_in(stack: Stack, username: str) -> httpx.Client:
    client = httpx.Client(base_url=stack.url, timeout=20)
    client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/",
        data={
            "username": username,
            "password": "demo",
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    assert response.status_code == 302, (response.status_code, response.text[:2000])
    assert "/accounts/login" not in response.headers["location"]
    return client


def test_a_signed_in_session_keeps_working_whichever_node_answers(stack, org):
    client = _sign_in(stack, "member")
    answered = []
    with closing(client):
        for _ in range(8):
            response = client.get("/")
            assert response.status_code == 200, response.text[:2000]
            assert re.search(r"(Logg ut|Log out) member", response.text), "not signed in on this node"
            answered.append(stack.node_of(response))
    assert set(answered) == {"web1", "web2"}, answered


def test_the_api_throttle_counts_across_nodes(stack, org):
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=org.teammate)
    statuses: list[tuple[int, str]] = []
    with httpx.Client(base_url=stack.url, timeout=20, headers={"Authorization": f"Token {token.key}"}) as api:
        for _ in range(THROTTLE + 4):
            response = api.get("/api/v1/teams/")
            statuses.append((response.status_code, stack.node_of(response)))
    # One counter for both nodes: exactly THROTTLE answers, then 429 — a counter per node would let through
    # up to twice as many.
    assert [status for status, _ in statuses] == [200] * THROTTLE + [429] * 4, statuses
    assert {node for status, node in statuses if status == 200} == {"web1", "web2"}, statuses


def test_a_workshop_board_edit_on_one_node_is_seen_by_a_participant_on_the_other(stack, org):
    from objectives.models import Cycle
    from tests.factories import CycleFactory

    cycle = CycleFactory(name="Scale-out planning", status=Cycle.Status.PLANNING)
    board = f"/workshops/{org.team.slug}/{cycle.pk}/"
    lead, participant = _sign_in(stack, "lead"), _sign_in(stack, "member")
    with closing(lead), closing(participant):
        page = participant.get(board)
        assert page.status_code == 200, page.text[:2000]
        version = re.search(r'id="board-list"[^>]*data-version="([^"]+)"', page.text).group(1)
        assert participant.get(board, params={"since": version}).status_code == 204  # nothing new yet

        lead.get(board)
        title = f"Scale-out objective {time.time_ns()}"
        edited = lead.post(
            f"{board}objectives/new/",
            data={"objective-title": title, "csrfmiddlewaretoken": lead.cookies["csrftoken"]},
            headers={"HX-Request": "true"},
        )
        assert edited.status_code == 200 and title in edited.text, edited.text[:2000]
        editor_node = stack.node_of(edited)

        # The participant's poll, as htmx sends it, until the other node answers (round robin: soon).
        for _ in range(10):
            poll = participant.get(board, params={"since": version}, headers={"HX-Request": "true"})
            if stack.node_of(poll) != editor_node:
                break
        else:
            pytest.fail("nginx never sent the participant's poll to the other node")
        assert poll.status_code == 200, poll.status_code
        assert title in poll.text


def _read_mail(mail_dir: Path) -> list[email.message.Message]:
    """Every message Django's file backend wrote (several may share a file; each ends with dashes)."""
    messages = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.lstrip(b"\n")))
    return messages


def _planner_runs(stack: Stack) -> dict[str, int]:
    runs = {}
    for worker in stack.workers:
        text = worker.log.read_text(errors="replace")
        runs[worker.name] = sum(
            1
            for line in text.splitlines()
            if "Task checkins.send_due_checkin_reminders[" in line and " succeeded in " in line
        )
    return runs


def _wait(condition, *, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        for worker in stack.workers:
            worker.require_alive(what)
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}.\n{stack.logs()}")
        time.sleep(0.25)


def test_reminders_go_out_exactly_once_with_two_workers_and_beat_restarted(stack, transactional_db):
    from notifications.models import EmailDelivery
    from teams.models import Profile
    from tests.factories import (
        CheckInFactory,
        CycleFactory,
        KeyResultFactory,
        MembershipFactory,
        ObjectiveFactory,
        TeamFactory,
        UserFactory,
    )

    # The slot (Monday 00:00 local) has always passed by now, whatever day the test runs.
    team = TeamFactory(name="Scale-out team", slug="scaleout-team", reminder_weekday=1, reminder_hour=0)
    objective = ObjectiveFactory(team=team, cycle=CycleFactory(name="Scale-out cycle"))
    ada, bo, cy, di = (UserFactory(username=f"scaleout-{name}") for name in ("ada", "bo", "cy", "di"))
    for user in (ada, bo, cy, di):
        MembershipFactory(user=user, team=team)
    for user in (ada, bo, cy, di):
        KeyResultFactory(objective=objective, owner=user, title=f"{user.username} KR")
    CheckInFactory(key_result=objective.key_results.get(owner=cy), author=cy)  # cy is done this week
    Profile.objects.create(user=di, reminders_enabled=False)

    broker = redis_db(REDIS_URL, why="")

    def settled(runs: int) -> bool:
        return (
            sum(_planner_runs(stack).values()) >= runs
            and broker.llen("celery") == 0
            and not broker.hlen("unacked")
        )

    stack.beat.start()
    try:
        wait_for_log(stack.beat, "beat: Starting", timeout=PATIENCE)
        _wait(lambda: settled(2), what="two beat ticks", stack=stack)
        # Restarted mid-run: a fresh beat process over the same schedule file keeps ticking.
        stack.beat.stop()
        before = sum(_planner_runs(stack).values())
        stack.beat.start()
        _wait(lambda: settled(before + 2), what="two ticks from the restarted beat", stack=stack)
    finally:
        stack.beat.stop()
    total = sum(_planner_runs(stack).values())
    _wait(lambda: settled(total), what="the queue to drain", stack=stack)

    recipients = [message["To"] for message in _read_mail(stack.mail_dir)]
    assert len(recipients) == len(set(recipients)), sorted(recipients)  # nobody twice
    assert recipients.count(ada.email) == 1 and recipients.count(bo.email) == 1, recipients
    assert cy.email not in recipients and di.email not in recipients
    sent = EmailDelivery.objects.filter(kind=EmailDelivery.Kind.CHECKIN_REMINDER, sent_at__isnull=False)
    assert sent.count() == len(recipients), (sent.count(), recipients)
    # Both workers took part (Redis hands each task to the worker that has waited longest).
    assert all(_reminder_tasks(worker) > 0 for worker in stack.workers), _planner_runs(stack)


def _reminder_tasks(worker) -> int:
    text = worker.log.read_text(errors="replace")
    return len(re.findall(r"Task checkins\.send_(?:due_)?checkin_reminders?\[[^\]]+\] succeeded", text))


def test_a_web_node_killed_under_load_fails_over_and_loses_no_acknowledged_check_in(stack, org):
    from checkins.models import CheckIn

    client = _sign_in(stack, "member")
    csrf = client.cookies["csrftoken"]
    key_result = org.key_result  # member's, in the active cycle
    value = str(key_result.current_value)
    probe = client.post(
        "/api/v1/checkins/",
        json={"key_result": key_result.pk, "value": value, "confidence": 6, "note": "before the load"},
        headers={"X-CSRFToken": csrf},
    )
    assert probe.status_code == 201, probe.text
    prefix = f"scaleout-{time.time_ns()}"

    results: list[tuple[str, int, str, float, int | None]] = []  # (note, status, node, at, id)
    sent: dict[str, tuple[Decimal, int]] = {}  # note → (value, confidence)
    lock, stop = threading.Lock(), threading.Event()

    def load(lane: int) -> None:
        with httpx.Client(base_url=stack.url, timeout=20, cookies=client.cookies) as session:
            for n in range(10_000):  # bounded; `stop` ends it far sooner
                if stop.is_set():
                    return
                note = f"{prefix}-{lane}-{n}"
                # Each check-in its own value and confidence, so a mix-up or a half-write shows.
                sent[note] = (Decimal(10 + (lane * 7 + n) % 30), n % 10 + 1)
                try:
                    response = session.post(
                        "/api/v1/checkins/",
                        json={
                            "key_result": key_result.pk,
                            "value": str(sent[note][0]),
                            "confidence": sent[note][1],
                            "note": note,
                        },
                        headers={"X-CSRFToken": csrf},
                    )
                except httpx.HTTPError:
                    with lock:
                        results.append((note, 0, "", time.monotonic(), None))
                    continue
                created = response.json().get("id") if response.status_code == 201 else None
                with lock:
                    results.append(
                        (
                            note,
                            response.status_code,
                            stack.node_of(response, default="?"),
                            time.monotonic(),
                            created,
                        )
                    )

    lanes = [threading.Thread(target=load, args=(lane,), daemon=True) for lane in range(3)]
    victim, survivor = stack.nodes
    try:
        for lane in lanes:
            lane.start()
        time.sleep(3)
        victim.kill()
        killed_at = time.monotonic()
        time.sleep(3)
        restarting_at = time.monotonic()
        victim.start()
        victim.wait_ready()
        back_at = time.monotonic()
        stack.wait_front()
        time.sleep(5)
    finally:
        stop.set()
        for lane in lanes:
            lane.join(timeout=30)
    client.close()

    acknowledged = {note: created for note, status, _, _, created in results if status == 201}
    failed = [(note, status) for note, status, *_ in results if status != 201]
    during = [
        node for _, status, node, at, _ in results if status == 201 and killed_at + 0.5 < at < restarting_at
    ]
    after = [node for _, status, node, at, _ in results if status == 201 and at > back_at + 2.5]
    # nginx failed over: the survivor answered while the victim was down, and the victim answers again.
    assert during and set(during) == {survivor.name}, (during, stack.logs())
    assert victim.name in after, after
    # Only requests in flight when the node died may fail (one per lane), never a refused one.
    assert len(failed) <= len(lanes), failed

    rows = list(
        CheckIn.objects.filter(key_result=key_result, note__startswith=prefix).select_related("author")
    )
    stored = {row.note: row for row in rows}
    assert len(rows) == len(stored)  # nothing saved twice (every note is unique)
    missing = [note for note in acknowledged if note not in stored]
    assert missing == [], missing  # every 201 is in the database
    for note, checkin_id in acknowledged.items():
        assert stored[note].pk == checkin_id
    assert set(stored) <= set(sent)  # nothing stored that was not sent
    # Nothing half-written: each stored check-in is whole, and the key result follows the latest one (the
    # check-in and the key result change in one transaction).
    for row in rows:
        assert (row.value, row.confidence, row.author.username) == (*sent[row.note], "member"), row.note
    key_result.refresh_from_db()
    latest = CheckIn.objects.filter(key_result=key_result).order_by("-created_at", "-id").first()
    assert (key_result.current_value, key_result.confidence) == (latest.value, latest.confidence)
    assert len(acknowledged) > 20, len(acknowledged)  # it was under load
