"""The ciphertext envelope: version, key id, nonce, AES-256-GCM output.

    byte 0        version (1)
    bytes 1..4    id of the key that sealed it
    bytes 5..16   random 96-bit nonce
    bytes 17..    ciphertext followed by the 16-byte tag

The associated data names the table and column ("patients.phone"), so a
ciphertext copied into another column fails authentication instead of
showing one patient's phone number as another field.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag

from prescripcare.encryption.keys import KEY_ID_BYTES, Keyring

VERSION = 1
NONCE_BYTES = 12
HEADER_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES
TAG_BYTES = 16


class DecryptionError(Exception):
    """A stored value could not be authenticated: tampered, moved from another
    column, truncated, or sealed with a key this process does not have."""


class UnknownKeyError(DecryptionError):
    """The value names a key that is neither current nor retired."""

    def __init__(self, key_id: bytes, where: str) -> None:
        super().__init__(
            f"{where}: sealed with key {key_id.hex()}, which is neither ENCRYPTION_KEY "
            "nor in ENCRYPTION_KEYS_OLD"
        )
        self.key_id = key_id


def seal(keyring: Keyring, plaintext: bytes, where: str) -> bytes:
    key = keyring.current
    nonce = os.urandom(NONCE_BYTES)
    sealed = key.aead.encrypt(nonce, plaintext, _aad(where))
    return bytes([VERSION]) + key.id + nonce + sealed


def key_id_of(blob: bytes) -> bytes:
    return bytes(blob[1 : 1 + KEY_ID_BYTES])


def open_sealed(keyring: Keyring, blob: bytes, where: str) -> bytes:
    blob = bytes(blob)
    if len(blob) < HEADER_BYTES + TAG_BYTES or blob[0] != VERSION:
        raise DecryptionError(f"{where}: not a PrescripCare ciphertext (version or length)")
    wanted = key_id_of(blob)
    key = keyring.for_id(wanted)
    if key is None:
        raise UnknownKeyError(wanted, where)
    nonce = blob[1 + KEY_ID_BYTES : HEADER_BYTES]
    try:
        return key.aead.decrypt(nonce, blob[HEADER_BYTES:], _aad(where))
    except InvalidTag:
        raise DecryptionError(
            f"{where}: ciphertext failed authentication (altered or from another column)"
        ) from None


def blind_index(keyring: Keyring, value: str, where: str) -> bytes:
    """HMAC-SHA256 of the exact (already normalised) value, separated by
    column so equal values in two columns do not link two tables."""
    message = where.encode() + b"\x00" + value.encode()
    return hmac.new(keyring.blind_index_key, message, hashlib.sha256).digest()


def _aad(where: str) -> bytes:
    return b"prescripcare v1\x00" + where.encode()
