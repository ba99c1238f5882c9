"""``python manage.py receive_email < message.eml``: apply one received email (a reply to a reminder).

For a Postfix or Exim ``pipe`` transport, or any script. ``--imap`` polls ``INBOUND_IMAP_URL`` once instead
(what the beat task does every minute). Exit status 0 whenever the message was taken (applied, refused with
an answer, or dropped): the mail server must not bounce it, or retry it forever.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from notifications import imap, replies

CHUNK = 64 * 1024


class Command(BaseCommand):
    stealth_options = ("stdin",)  # call_command("receive_email", stdin=BytesIO(...)) in tests
    help = "Apply one email read from standard input (a reply to a check-in reminder), or poll IMAP once."

    def add_arguments(self, parser):
        parser.add_argument("--imap", action="store_true", help="Poll INBOUND_IMAP_URL once instead.")

    def handle(self, *args, **options):
        if options.get("imap"):
            count = imap.inbound_poll()
            self.stdout.write(f"{count} new message(s)")
            return
        stream = options.get("stdin") or sys.stdin.buffer
        limit = settings.INBOUND_MAX_MESSAGE_BYTES
        kept, size = bytearray(), 0
        # Read everything (a pipe transport sees a closed pipe as a failure), keep at most the limit + 1.
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if len(kept) <= limit:
                kept += chunk[: limit + 1 - len(kept)]
        result = replies.reply_process(raw=bytes(kept), size=size)
        if result.replayed:
            self.stdout.write("already received: nothing changed")
        else:
            self.stdout.write(result.record.status)
