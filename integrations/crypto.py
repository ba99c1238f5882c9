"""Secrets we must be able to read back (webhook signing secrets, data-source header credentials).

Encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from ``SECRET_KEY`` by HKDF,
so a database dump alone reveals nothing. ``SECRET_KEY_FALLBACKS`` are tried when decrypting, so rotating
``SECRET_KEY`` the Django way keeps old values readable; ``reencrypt`` moves a value to the current key.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

INFO = b"okrhub.integrations.crypto v1"


class DecryptionError(Exception):
    """The value was not encrypted with SECRET_KEY or one of SECRET_KEY_FALLBACKS (or was altered)."""


def _fernet_for(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(key) for key in keys])


def encrypt(plaintext: str) -> str:
    """An ASCII token (fits a TextField) that only ``decrypt`` can turn back into ``plaintext``."""
    return _fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError("cannot decrypt: wrong key or altered value") from exc


def reencrypt(token: str) -> str:
    """The same secret under the current SECRET_KEY (after a rotation)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError("cannot decrypt: wrong key or altered value") from exc
