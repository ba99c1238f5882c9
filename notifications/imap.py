"""Polling a mailbox for replies: ``INBOUND_IMAP_URL`` = ``imaps://user:password@host:993/INBOX``
(``imap://`` without TLS, for a server on the same host or a test).

For each unseen message a poller first *claims* it: a conditional ``UID STORE (UNCHANGEDSINCE <modseq>)
+FLAGS (\\Seen)`` (CONDSTORE, RFC 7162) succeeds for exactly one of two pollers that race for it, the other
gets ``MODIFIED`` and leaves it alone. The claimer fetches it (``BODY.PEEK``), applies it
(``replies.reply_process``) and moves it to ``INBOUND_IMAP_PROCESSED_FOLDER`` by UID (``UID MOVE``, else
``UID COPY`` + ``\\Deleted`` + expunge). A failure while applying takes the claim back (unseen again, for the
next run). A message left seen in the folder (its poller was killed before the move, or a person read it)
is taken by the next run without a claim. The recorded Message-ID stays the final arbiter: on a server
without CONDSTORE two pollers may both read a message, and the one that records it first applies it while
the other changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import logging
import re
import ssl
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.cache import cache

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


def _claim(client: imaplib.IMAP4, uid: bytes, capabilities: set[str]) -> bool:
    """Whether this poller won the message (marked seen by this poller, and nobody else's)."""
    typ, data = client.uid("FETCH", uid, "(MODSEQ FLAGS)" if "CONDSTORE" in capabilities else "(FLAGS)")
    item = next((d for d in data or [] if isinstance(d, bytes) and b"FLAGS" in d), None)
    if typ != "OK" or item is None or rb"\Seen" in item:
        return False  # gone, or claimed by another poller
    if "CONDSTORE" not in capabilities:
        client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
        return True
    modseq = re.search(rb"MODSEQ \((\d+)\)", item)
    client.response("MODIFIED")  # forget an earlier answer
    typ, _ = client.uid("STORE", uid, f"(UNCHANGEDSINCE {int(modseq.group(1))}) +FLAGS.SILENT", r"(\Seen)")
    _, modified = client.response("MODIFIED")
    return typ == "OK" and modified == [None]


def _unclaim(client: imaplib.IMAP4, uid: bytes) -> None:
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        client.uid("STORE", uid, "-FLAGS.SILENT", r"(\Seen)")


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


def _apply(client: imaplib.IMAP4, uid: bytes, processed_folder: str, capabilities: set[str]) -> int:
    """Read one message, apply it (``replies.reply_process``) and move it out: 1 when it was new to us."""
    size = _size(client, uid)
    if size is None:
        return 0  # gone meanwhile (another poller moved it)
    too_large = size > settings.INBOUND_MAX_MESSAGE_BYTES
    raw, size = _fetch(client, uid, "BODY.PEEK[HEADER]" if too_large else "BODY.PEEK[]")
    if raw is None:
        return 0
    result = replies.reply_process(raw=raw, size=size)
    _move(client, uid, processed_folder, capabilities)
    return int(result.record is not None)


def _stranded(mailbox: Mailbox, validity: str, uids: list[bytes]) -> list[bytes]:
    """Of the seen messages still in the folder, those polls have seen for ``INBOUND_IMAP_STRANDED_SECONDS``.
    When a poll first saw each is kept in the cache (a cache of its own per process only delays this)."""
    where = f"{mailbox.host}:{mailbox.port}:{mailbox.user}:{mailbox.folder}:{validity}"
    key = "inbound-seen:" + hashlib.sha256(where.encode()).hexdigest()
    now = time.time()
    known = cache.get(key) or {}
    first_seen = {uid.decode(): known.get(uid.decode(), now) for uid in uids}  # the moved ones forgotten
    cache.set(key, first_seen, timeout=7 * 24 * 3600)
    after = settings.INBOUND_IMAP_STRANDED_SECONDS
    return [uid for uid in uids if now - first_seen[uid.decode()] >= after]


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
        if "CONDSTORE" in capabilities:
            client.enable("CONDSTORE")
        client.create(_quote(processed_folder))  # NO when it exists already: fine
        typ, _ = client.select(_quote(mailbox.folder))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"Cannot open the folder {mailbox.folder!r}")
        typ, data = client.response("UIDVALIDITY")  # UIDs are the folder's only while this stays
        validity = (data[0] or b"").decode() if data and data[0] else ""
        typ, data = client.uid("SEARCH", None, "UNSEEN")
        uids = (data[0] or b"").split() if typ == "OK" else []
        done = 0
        for uid in uids[:batch]:
            if not _claim(client, uid, capabilities):
                continue
            try:
                handled += _apply(client, uid, processed_folder, capabilities)
            except Exception:
                _unclaim(client, uid)  # read again by the next run
                raise
            done += 1
        # Seen but still here: claimed by a poller that stopped before moving them (killed by a deploy or the
        # hard time limit), or read by a person in a mail program. No claim takes them again, so a run does,
        # once polls have seen them for longer than a poller lives (never one still at work on them); the
        # recorded Message-ID makes sure none is applied twice.
        typ, data = client.uid("SEARCH", None, "SEEN")
        seen = (data[0] or b"").split() if typ == "OK" else []
        for uid in _stranded(mailbox, validity, seen)[: max(batch - done, 0)]:
            handled += _apply(client, uid, processed_folder, capabilities)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error):
            client.close()
        client.logout()
    return handled
