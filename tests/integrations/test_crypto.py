"""integrations/crypto.py: secrets encrypted at rest under a key derived from SECRET_KEY."""

from __future__ import annotations

import pytest

from integrations.crypto import DecryptionError, decrypt, encrypt, reencrypt


def test_a_value_comes_back_and_is_not_stored_in_clear():
    token = encrypt("whsec_æøå-123")
    assert "whsec" not in token
    assert decrypt(token) == "whsec_æøå-123"
    assert encrypt("same") != encrypt("same")  # a fresh IV each time


def test_another_secret_key_cannot_read_it(settings):
    token = encrypt("secret")
    settings.SECRET_KEY = "another-key"
    with pytest.raises(DecryptionError):
        decrypt(token)


def test_an_altered_value_is_refused():
    token = encrypt("secret")
    with pytest.raises(DecryptionError):
        decrypt(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))
    with pytest.raises(DecryptionError):
        decrypt("not a token")


def test_rotating_secret_key_keeps_old_values_readable(settings):
    old_key = settings.SECRET_KEY
    token = encrypt("secret")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-key", [old_key]
    assert decrypt(token) == "secret"
    moved = reencrypt(token)
    settings.SECRET_KEY_FALLBACKS = []
    assert decrypt(moved) == "secret"
    with pytest.raises(DecryptionError):
        decrypt(token)
