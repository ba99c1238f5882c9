"""Hot spots: each benchmarked endpoint's requests in-process under pyinstrument, on the benchmark database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/okrhub_bench .venv/bin/python -m bench.profile [name …]

Run `make bench` first (it builds the organisation). The settings are the bench server's
(bench.run.server_env: DEBUG off, production middleware) with two differences a profile needs: Django's
test client (ALLOWED_HOSTS gains "testserver", users logged in with force_login, no CSRF enforcement) and
plain static storage instead of the manifest one (no collectstatic needed). For each endpoint it writes
bench/results/profile-<name>.txt: the SQL of one request, then pyinstrument's call tree over --requests
requests. The check-ins it writes are removed afterwards, as after a benchmark run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench import prepare, run


def main(argv: list[str] | None = None) -> int:
    names = [endpoint.name for endpoint in run.ENDPOINTS]
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help=f"endpoints (default: all): {', '.join(names)}")
    parser.add_argument("--requests", type=int, default=20, help="profiled requests per endpoint")
    parser.add_argument(
        "--teams", type=int, default=run.FULL.teams, help="the organisation's synthetic teams"
    )
    args = parser.parse_args(argv)
    if unknown := set(args.names) - set(names):
        parser.error(f"unknown endpoints: {', '.join(sorted(unknown))}")

    static_root = Path(tempfile.gettempdir()) / "okrhub-bench-profile-static"
    static_root.mkdir(exist_ok=True)  # whitenoise warns about a missing one; the test client serves no static
    env = run.server_env(static_root=static_root)
    env["ALLOWED_HOSTS"] += ",testserver"
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL") or f"sqlite:///{run.RESULTS / 'bench.sqlite3'}"
    os.environ.update(env)
    prepare.django_setup()

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    plain_static = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain_static):
        targets = prepare.targets(teams=args.teams, users=4)
        member = targets["members"][0]
        users = get_user_model().objects
        member_client, leader_client, anonymous = Client(), Client(), Client()
        member_client.force_login(users.get(username=member["username"]))
        leader_client.force_login(users.get(username=targets["dashboard_user"]["username"]))
        token = {"HTTP_AUTHORIZATION": f"Token {member['token']}"}

        def key_result(n: int) -> dict:
            return member["key_results"][n % len(member["key_results"])]

        def api_checkin(n: int):
            body = {"key_result": key_result(n)["id"], "value": key_result(n)["value"], "confidence": 7}
            body["note"] = f"{run.NOTE_PREFIX}profile"
            return anonymous.post(
                "/api/v1/checkins/", json.dumps(body), content_type="application/json", **token
            )

        def htmx_checkin(n: int):
            kr = key_result(n)
            data = {"value": kr["value"], "confidence": "7", "note": f"{run.NOTE_PREFIX}profile"}
            headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": f"kr-{kr['id']}"}
            return member_client.post(f"/key-results/{kr['id']}/check-in/", data, **headers)

        requests = {
            "healthz": lambda n: anonymous.get("/healthz"),
            "my_week": lambda n: member_client.get("/"),
            "team_page": lambda n: member_client.get(f"/teams/{member['team_slug']}/"),
            "dashboard": lambda n: leader_client.get("/dashboards/"),
            "api_key_results": lambda n: anonymous.get("/api/v1/key-results/", **token),
            "api_checkin": api_checkin,
            "htmx_checkin": htmx_checkin,
        }
        try:
            for endpoint in run.ENDPOINTS:
                if args.names and endpoint.name not in args.names:
                    continue
                send = requests[endpoint.name]
                send(0)  # warm: template compilation, first connection
                with CaptureQueriesContext(connection) as captured:
                    response = send(1)
                queries = [q["sql"] for q in captured.captured_queries]  # now: the next request clears them
                if response.status_code != endpoint.expect:
                    print(
                        f"{endpoint.name}: {response.status_code} {response.content[:300]!r}", file=sys.stderr
                    )
                    return 1
                profiler = Profiler(interval=0.0005)
                began, began_cpu = time.perf_counter(), time.process_time()
                with profiler:
                    for n in range(args.requests):
                        send(2 + n)
                per_request = (time.perf_counter() - began) / args.requests * 1000
                # CPU time of this process: less at the mercy of a busy machine than the wall clock.
                cpu = (time.process_time() - began_cpu) / args.requests * 1000
                sql = "\n".join(f"{i}. {query}" for i, query in enumerate(queries, 1))
                path = run.RESULTS / f"profile-{endpoint.name}.txt"
                path.write_text(
                    f"{endpoint.label}: {per_request:.1f} ms per request in-process (profiled), "
                    f"{cpu:.1f} ms CPU, "
                    f"{len(queries)} queries\n\n{sql}\n\n" + profiler.output_text(unicode=True, color=False)
                )
                print(
                    f"{endpoint.label:<36} {per_request:7.1f} ms {cpu:7.1f} ms CPU {len(queries):>3} queries "
                    f"→ {path.name}"
                )
        finally:
            marks = targets["marks"]
            prepare.cleanup(checkin_mark=marks["checkin"], history_mark=marks["history"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
