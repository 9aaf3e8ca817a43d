"""How every key setting is written: 32 random bytes, URL-safe base64.

Kept free of other imports so `settings.py` can validate keys with the same
rule the keyring and the backup encryption decode them with.
"""

from __future__ import annotations

import base64
import binascii

KEY_BYTES = 32


class InvalidKeyError(ValueError):
    """A key setting is not 32 bytes of URL-safe base64."""


def decode_key(text: str, name: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError) as exc:
        raise InvalidKeyError(f"{name} must be URL-safe base64") from exc
    if len(raw) != KEY_BYTES:
        raise InvalidKeyError(f"{name} must encode exactly {KEY_BYTES} random bytes")
    return raw


def encode_key(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()
