"""A throwaway Dovecot IMAP server for tests: its own config, a passwd-file user and a maildir in a temporary
directory, plain IMAP on a free loopback port. Skips the test when Debian's dovecot-imapd is not installed."""

from __future__ import annotations

import contextlib
import getpass
import imaplib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import free_port

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "checkin", "inbound-test"

CONFIG = """
base_dir = {run}
state_dir = {run}/state
log_path = {log}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{home}/%u/Maildir
first_valid_uid = 1
default_internal_user = {internal_user}
default_login_user = {login_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


@dataclass
class Imap:
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def append(self, raw: bytes, folder: str = "INBOX", flags: str | None = None) -> None:
        client = self.client()
        try:
            typ, data = client.append(folder, flags, None, raw)
            assert typ == "OK", data
        finally:
            client.logout()

    def count(self, folder: str, criteria: str = "ALL") -> int:
        client = self.client()
        try:
            typ, _ = client.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return 0
            typ, data = client.uid("SEARCH", None, criteria)
            return len((data[0] or b"").split())
        finally:
            client.logout()


@contextlib.contextmanager
def dovecot(tmp_path: Path, *, extra_config: str = "") -> Iterator[Imap]:
    """``extra_config``: more settings, e.g. ``imap_capability`` to hide extensions from the client."""
    if not DOVECOT.exists():
        pytest.skip("Dovecot is not installed (Debian's dovecot-imapd, installed by .ci/run)")
    # A short base directory: Dovecot's sockets live there, and a socket path may not exceed 108 bytes.
    run = Path(tempfile.mkdtemp(prefix="dv-"))
    run.chmod(0o755)
    # Beside the sockets: the auth process runs as Dovecot's own user, which cannot enter tmp_path.
    passwd = run / "passwd"
    passwd.write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    passwd.chmod(0o644)
    # Dovecot serves no mail as root: as root, the mailbox belongs to Dovecot's own user.
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:
        record = pwd.getpwnam("dovecot")
        uid, gid = record.pw_uid, record.pw_gid
    home = run / "home"
    home.mkdir()
    os.chown(home, uid, gid)
    port = free_port()
    log = tmp_path / "dovecot.log"
    config = tmp_path / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            run=run,
            log=log,
            home=home,
            passwd=passwd,
            port=port,
            uid=uid,
            gid=gid,
            # As root, Dovecot's own unprivileged users run its services (login processes refuse root).
            internal_user="dovecot" if os.getuid() == 0 else getpass.getuser(),
            login_user="dovenull" if os.getuid() == 0 else getpass.getuser(),
        )
        + extra_config
    )
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Imap(port=port, log=log)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace")
                pytest.fail(f"Dovecot exited ({process.returncode}): {output}\n{_read(log)}")
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                server.client().logout()
                break
            assert time.monotonic() < deadline, _read(log)
            time.sleep(0.1)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        process.stdout.close()
        shutil.rmtree(run, ignore_errors=True)


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""
