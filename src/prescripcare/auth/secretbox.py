"""Authenticated encryption (AES-256-GCM) of a short secret at rest.

Used for TOTP secrets, which must be readable (unlike passwords) to check
codes. The key is ENCRYPTION_KEY (required in production); in development
without one it is derived from the JWT secret so the code path is the same.
The owner's id is bound as associated data: a ciphertext copied onto
another account's row does not open.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from prescripcare.settings import Settings

_VERSION = "v1."


class SecretBox:
    def __init__(self, settings: Settings) -> None:
        if settings.encryption_key is not None:
            key = base64.urlsafe_b64decode(settings.encryption_key.get_secret_value())
        else:
            key = hashlib.sha256(b"secretbox:" + settings.signing_secret.encode()).digest()
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, owner: bytes) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), owner)
        return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, ciphertext: str, owner: bytes) -> str:
        if not ciphertext.startswith(_VERSION):
            raise ValueError("unknown secret format")
        raw = base64.urlsafe_b64decode(ciphertext[len(_VERSION) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], owner).decode()
        except InvalidTag as exc:
            raise ValueError("secret does not open with this key") from exc
