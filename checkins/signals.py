"""Signals of the check-ins layer, for the apps above it to hook into without being imported here."""

from __future__ import annotations

from django.dispatch import Signal

# Sent while the key result page is built, with ``request`` and ``key_result``. A receiver returns a
# rendered section (safe HTML) or ``None``; the page shows the sections after the check-in form, in the
# order the receivers were connected (datasources/panels.py adds the data source panel).
key_result_page_sections = Signal()
