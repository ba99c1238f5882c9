"""The benchmark driver's own arithmetic and bookkeeping (bench/run.py), without a server."""

from __future__ import annotations

import pytest

from bench import run


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert run.percentile(values, 50) == 50.0
    assert run.percentile(values, 95) == 95.0
    assert run.percentile(values, 99) == 99.0
    assert run.percentile([7.0], 99) == 7.0
    assert run.percentile([], 50) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgres://postgres@127.0.0.1:5432/okrhub_bench",
            "postgres://postgres@127.0.0.1:5432/okrhub_bench_t20",
        ),
        (
            "postgres://u:p@db:5432/okrhub?sslmode=disable",
            "postgres://u:p@db:5432/okrhub_t20?sslmode=disable",
        ),
        ("sqlite:////tmp/bench/large.sqlite3", "sqlite:////tmp/bench/large.sqlite3_t20"),
    ],
)
def test_the_small_organisation_gets_a_database_of_its_own(url, expected):
    assert run.derived_url(url, "_t20") == expected


def test_the_report_never_shows_the_database_password():
    described = run.describe_database("postgres://okrhub:secret@db:5432/okrhub")
    assert "secret" not in described
    assert "okrhub" in described


def test_a_write_that_answered_ok_but_left_no_row_is_an_error(monkeypatch):
    endpoint = run.Endpoint("htmx_checkin", "POST form", "member", 200, run._htmx_checkin, writes=True)
    monkeypatch.setattr(run, "ENDPOINTS", [endpoint])
    stats = run.Stats(label="POST form", requests=10, latencies_ms=[1.0] * 10, warmup_ok=2)
    run.confirm_writes({"htmx_checkin": stats}, {"htmx_checkin": 9})
    assert stats.errors == 3
    assert stats.error_samples


def test_every_write_found_means_no_error(monkeypatch):
    endpoint = run.Endpoint("api_checkin", "POST api", "token", 201, run._api_checkin, writes=True)
    monkeypatch.setattr(run, "ENDPOINTS", [endpoint])
    stats = run.Stats(label="POST api", requests=5, latencies_ms=[1.0] * 5, warmup_ok=1)
    run.confirm_writes({"api_checkin": stats}, {"api_checkin": 6})
    assert stats.errors == 0


def test_ratios_are_to_healthz_in_the_same_run():
    healthz = run.Stats(label="healthz", requests=3, latencies_ms=[2.0, 2.0, 2.0])
    page = run.Stats(label="page", requests=3, latencies_ms=[10.0, 10.0, 30.0], queries=[5, 5, 6])
    summary = page.summary(healthz)
    assert summary["p50_ratio_to_healthz"] == 5.0
    assert summary["p95_ratio_to_healthz"] == 15.0
    assert (summary["queries_per_request"], summary["queries_min"], summary["queries_max"]) == (5, 5, 6)


def test_targets_are_reported_as_met_or_not():
    def org(errors: int, dashboard_p50: float, ratio: float, queries: int) -> dict:
        return {
            "organisation": {"synthetic_teams": 20},
            "endpoints": {
                "healthz": {"errors": 0, "queries_per_request": 1, "p50_ms": 2.5},
                "dashboard": {
                    "errors": errors,
                    "queries_per_request": queries,
                    "p50_ms": dashboard_p50,
                    "p50_ratio_to_healthz": ratio,
                },
            },
        }

    small, large = org(0, 10.0, 4.0, 9), org(1, 40.0, 16.0, 10)
    small["rollup_problems"], large["rollup_problems"] = 0, 2
    # Paired: 20 ms against the run's /healthz (2.5 ms) is 8×; against /healthz one request at a time between
    # the dashboards (1.8 ms) 11.1×.
    paired = {"ratio": 1.4, "errors": 0, "p50_ms_large": 20.0, "sizes": {"large": {"ratio_to_healthz": 11.1}}}
    scale = run.scaling(small, large, paired)
    assert scale["dashboard"]["ratio"] == 4.0
    assert scale["queries"]["dashboard"] == {"small": 9, "large": 10, "same": False}
    found = {t["target"]: (t["met"], t["value"]) for t in run.targets(small, large, scale)}
    assert {target: met for target, (met, _value) in found.items()} == {
        "rollups equal a recomputation after the run's writes (verify_rollups)": False,
        "zero errors": False,
        "SQL queries per request the same at both sizes on every page": False,
        "dashboard p50 at the large size ≤ 10 × /healthz p50, both under 4 clients": False,
        "dashboard p50 at the large size ≤ 3 × its p50 at the small size": False,
        "dashboard p50 at the large size ≤ 1.5 × at the small size, paired (issue 18)": True,
        "dashboard p50 at the large size, paired, ≤ 10 × /healthz p50 (issue 18)": True,
        "dashboard p50 at the large size ≤ 10 × /healthz p50, both one request at a time": False,
    }
    assert found["dashboard p50 at the large size, paired, ≤ 10 × /healthz p50 (issue 18)"][1] == 8.0
