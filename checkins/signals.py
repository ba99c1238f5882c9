"""What the check-ins layer announces, for the apps above it (integrations: webhooks, channel posts).

Sent by the services after the transaction commits (``transaction.on_commit``), so a receiver sees the
committed rows and a rolled-back write announces nothing.
"""

from __future__ import annotations

from django.dispatch import Signal

# checkin=<CheckIn>: a check-in was made (``checkin_submit``); its key result's figures follow it.
checkin_created = Signal()
# feedback=<Feedback>: a comment or a reply was written on a key result.
feedback_created = Signal()
# Sent while the key result page is built, with ``request`` and ``key_result``. A receiver returns a
# rendered section (safe HTML) or ``None``; the page shows the sections after the check-in form, in the
# order the receivers were connected (datasources/panels.py adds the data source panel).
key_result_page_sections = Signal()
