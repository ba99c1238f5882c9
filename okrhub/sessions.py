"""The database session store, refusing session keys that no session of ours can have.

Django's keys are 32 lower-case letters and digits. A cookie with anything else (a client's garbage, a NUL
byte that PostgreSQL refuses in a text column) is treated as no session at all — a fresh, empty one — instead
of reaching the database and answering 500.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

_KEY_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key) -> bool:
        return super()._validate_session_key(key) and set(key) <= _KEY_CHARACTERS
