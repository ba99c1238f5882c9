"""`make bench SMOKE=1` as part of `make test`, so the benchmark cannot rot. Never asserts timings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import ENDPOINTS, ROOT


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    output = tmp_path_factory.mktemp("bench") / "smoke.json"
    result = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", f"--output={output}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return json.loads(Path(output).read_text())


def test_every_endpoint_answers_without_errors_in_both_organisations(report):
    for org in ("small", "large"):
        endpoints = report["orgs"][org]["endpoints"]
        assert set(endpoints) == {endpoint.name for endpoint in ENDPOINTS}, org
        for name, figures in endpoints.items():
            assert figures["requests"] > 0, (org, name)
            assert figures["errors"] == 0, (org, name, figures["error_samples"])


def test_every_endpoint_reports_its_queries_and_percentiles(report):
    for name, figures in report["endpoints"].items():
        assert figures["queries_per_request"] is not None, name  # the X-Query-Count header reached the driver
        assert figures["p50_ms"] is not None and figures["p50_ratio_to_healthz"] is not None, name
        assert figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"], name


def test_healthz_runs_one_query(report):
    assert report["endpoints"]["healthz"]["queries_per_request"] == 1


def test_the_report_compares_the_two_sizes_and_lists_the_targets(report):
    assert report["meta"]["mode"] == "smoke"
    small, large = report["orgs"]["small"]["organisation"], report["orgs"]["large"]["organisation"]
    assert small["synthetic_teams"] < large["synthetic_teams"]
    assert set(report["scaling"]["queries"]) == {endpoint.name for endpoint in ENDPOINTS}
    assert {target["target"] for target in report["targets"]} >= {"zero errors"}
    assert next(t for t in report["targets"] if t["target"] == "zero errors")["met"] is True


def test_the_dashboard_is_also_compared_one_request_at_a_time(report):
    paired = report["scaling"]["dashboard_paired"]
    assert paired["errors"] == 0, paired["error_samples"]
    assert paired["requests_small"] > 0 and paired["requests_large"] > 0
    assert paired["ratio"] is not None
    # The yardstick one request at a time too, between the dashboards, on every size.
    for figures in paired["sizes"].values():
        assert figures["healthz_p50_ms"] > 0
        # The ratio is of the unrounded times; the times are rounded to 0.1 ms, the ratio to 0.01.
        p50, healthz = figures["p50_ms"], figures["healthz_p50_ms"]
        lowest = (p50 - 0.05) / (healthz + 0.05) - 0.005
        highest = (p50 + 0.05) / max(healthz - 0.05, 1e-9) + 0.005
        assert lowest <= figures["ratio_to_healthz"] <= highest


def test_the_dashboard_is_measured_while_check_ins_go_on(report):
    figures = report["endpoints"]["dashboard_during_checkins"]
    assert figures["background_requests"] > 0
    assert figures["errors"] == 0
