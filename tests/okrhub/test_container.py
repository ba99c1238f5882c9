"""The container image and docker-compose use the probes (docs/operations.md): checked in the files, since
this machine builds no images."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml
from django.conf import settings

from tests.servers import free_port

ROOT = Path(settings.BASE_DIR)


def _instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in (raw.strip() for raw in text.splitlines())
        if line and not line.startswith("#")
    ]


def test_the_image_runs_as_a_non_root_user_with_a_liveness_healthcheck():
    instructions = _instructions()
    users = [argument for keyword, argument in instructions if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}
    last_user = max(index for index, (keyword, _) in enumerate(instructions) if keyword == "USER")
    cmd = max(index for index, (keyword, _) in enumerate(instructions) if keyword == "CMD")
    assert last_user < cmd  # the default command runs as that user
    (healthcheck,) = [argument for keyword, argument in instructions if keyword == "HEALTHCHECK"]
    assert "/healthz" in healthcheck
    assert re.search(r"--timeout=\d+s", healthcheck)


def test_the_healthcheck_command_is_valid_python():
    (healthcheck,) = [argument for keyword, argument in _instructions() if keyword == "HEALTHCHECK"]
    command = yaml.safe_load(healthcheck.split("CMD", 1)[1].strip())  # the JSON exec form
    assert command[:2] == ["python", "-c"]
    compile(command[2], "<healthcheck>", "exec")


def test_compose_checks_web_readiness_and_the_heartbeats_of_worker_and_beat():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    web = " ".join(services["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/readyz" in web
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "python", "manage.py", "worker_alive"]
    assert services["beat"]["healthcheck"]["test"] == [
        "CMD",
        "python",
        "manage.py",
        "worker_alive",
        "--role",
        "beat",
    ]
    assert services["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["LOG_FORMAT"] == "${LOG_FORMAT:-json}"


def test_the_compose_healthcheck_script_fails_fast_without_a_server():
    # The same python one-liner compose and the image run, against nothing listening: it must fail, not hang.
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    script = services["web"]["healthcheck"]["test"][3]
    assert "127.0.0.1:8000" in script
    script = script.replace("127.0.0.1:8000", f"127.0.0.1:{free_port()}")  # never the real port 8000 here
    result = subprocess.run(["python3", "-c", script], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "URLError" in result.stderr or "Connection refused" in result.stderr
