"""`make bench-import` on a small file, so the benchmark cannot rot. Never asserts timings."""

from __future__ import annotations

import json
import subprocess
import sys

from bench.run import ROOT


def test_the_import_benchmark_imports_its_file_and_then_nothing_twice(tmp_path):
    output = tmp_path / "import.json"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "bench/imports.py", "--rows", "120", f"--output={output}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**env, "DATABASE_URL": f"sqlite:///{tmp_path}/bench.sqlite3"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    figures = json.loads(output.read_text())
    assert figures["rows"] == 120
    assert figures["check"]["key_results_created"] == 120  # what importing would do …
    assert figures["import"]["key_results_created"] == 120  # … is what it did
    assert figures["import"]["checkins_created"] == 120
    assert figures["again"]["key_results_created"] == 0  # a second import creates nothing
    for phase in ("check", "import", "again"):
        assert figures[phase]["seconds"] > 0 and figures[phase]["peak_rss_mib"] > 0
