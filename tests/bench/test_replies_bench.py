"""`make bench-replies` on a few replies, so the benchmark cannot rot. Never asserts timings."""

from __future__ import annotations

import json
import subprocess
import sys

from bench.run import ROOT


def test_the_replies_benchmark_applies_each_reply_once_and_a_replay_changes_nothing(tmp_path):
    output = tmp_path / "replies.json"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "bench/replies.py", "--replies", "12", f"--output={output}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**env, "DATABASE_URL": f"sqlite:///{tmp_path}/bench.sqlite3"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    figures = json.loads(output.read_text())
    assert figures["replies"] == 12
    processed, replayed = figures["process"], figures["replay"]
    assert (processed["checkins"], processed["records"], processed["confirmations_sent"]) == (24, 12, 12)
    assert processed["emails"] == 12  # one confirmation per reply, all sent
    assert (replayed["checkins"], replayed["records"], replayed["emails"]) == (24, 12, 12)  # nothing more
    assert processed["seconds"] > 0 and processed["peak_rss_mib"] > 0
