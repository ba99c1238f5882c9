"""Polling a mailbox for replies: ``INBOUND_IMAP_URL`` = ``imaps://user:password@host:993/INBOX``
(``imap://`` without TLS, for a server on the same host or a test).

Each unseen message is fetched with ``BODY.PEEK`` (so it stays unseen until it is handled), applied by
``replies.reply_process`` and then moved to ``INBOUND_IMAP_PROCESSED_FOLDER`` by UID (``UID MOVE``, else
``UID COPY`` + ``\\Deleted`` + expunge). Two pollers running at once may fetch the same message; the one
that records its Message-ID first applies it, the other changes nothing (the unique row is the arbiter),
and whichever moves it first takes it out of the inbox. A message that fails to process stays unseen in the
inbox for the next run.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings

from notifications import replies

logger = logging.getLogger(__name__)

BATCH = 200  # messages per run at most: a run always ends well inside its time limit
TIMEOUT = 30  # seconds for the connection and each command


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password: str
    folder: str
    tls: bool


def mailbox_of(url: str) -> Mailbox:
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ValueError("INBOUND_IMAP_URL must look like imaps://user:password@host:993/INBOX")
    tls = parts.scheme == "imaps"
    return Mailbox(
        host=parts.hostname,
        port=parts.port or (993 if tls else 143),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        tls=tls,
    )


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.tls:
        client = imaplib.IMAP4_SSL(
            mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT
        )
    else:
        client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT)
    client.login(mailbox.user, mailbox.password)
    return client


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fetch(client: imaplib.IMAP4, uid: bytes, query: str) -> tuple[bytes | None, int]:
    """The literal of ``query`` and the message's size, or (None, 0) when the message is gone."""
    typ, data = client.uid("FETCH", uid, f"(RFC822.SIZE {query})")
    if typ != "OK":
        return None, 0
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            size = re.search(rb"RFC822\.SIZE (\d+)", item[0])
            return item[1], int(size.group(1)) if size else len(item[1])
    return None, 0


def _size(client: imaplib.IMAP4, uid: bytes) -> int | None:
    typ, data = client.uid("FETCH", uid, "(RFC822.SIZE)")
    for item in data or []:
        found = re.search(rb"RFC822\.SIZE (\d+)", item if isinstance(item, bytes) else item[0])
        if typ == "OK" and found:
            return int(found.group(1))
    return None


def _move(client: imaplib.IMAP4, uid: bytes, folder: str, capabilities: set[str]) -> None:
    if "MOVE" in capabilities:
        client.uid("MOVE", uid, _quote(folder))
        return
    typ, _ = client.uid("COPY", uid, _quote(folder))
    if typ != "OK":
        return
    client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
    if "UIDPLUS" in capabilities:
        client.uid("EXPUNGE", uid)
    else:
        client.expunge()


def inbound_poll(url: str | None = None, *, batch: int = BATCH) -> int:
    """Handle the unseen messages of the mailbox; how many were new to OKR Hub (0 when not configured)."""
    url = url if url is not None else settings.INBOUND_IMAP_URL
    if not url:
        return 0
    mailbox = mailbox_of(url)
    processed_folder = settings.INBOUND_IMAP_PROCESSED_FOLDER
    client = _connect(mailbox)
    handled = 0
    try:
        # Asked again after login: servers announce MOVE and UIDPLUS only to a logged-in client.
        typ, data = client.capability()
        capabilities = (
            set((data[0] or b"").decode("ascii", "replace").upper().split()) if typ == "OK" else set()
        )
        client.create(_quote(processed_folder))  # NO when it exists already: fine
        typ, _ = client.select(_quote(mailbox.folder))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"Cannot open the folder {mailbox.folder!r}")
        typ, data = client.uid("SEARCH", None, "UNSEEN")
        uids = (data[0] or b"").split() if typ == "OK" else []
        for uid in uids[:batch]:
            size = _size(client, uid)
            if size is None:
                continue  # moved by another poller meanwhile
            too_large = size > settings.INBOUND_MAX_MESSAGE_BYTES
            raw, size = _fetch(client, uid, "BODY.PEEK[HEADER]" if too_large else "BODY.PEEK[]")
            if raw is None:
                continue
            result = replies.reply_process(raw=raw, size=size)
            handled += result.record is not None
            _move(client, uid, processed_folder, capabilities)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error):
            client.close()
        client.logout()
    return handled
