"""The keyring: the current data key, the retired ones still readable, and
the key of the blind index used for equality lookups.

A key is 32 random bytes written as URL-safe base64. Its id is derived from
the key itself, so nobody has to number keys and a wrong key is recognised
before it is tried.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from prescripcare.encryption.keyformat import KEY_BYTES, InvalidKeyError, decode_key
from prescripcare.settings import DEV_ENCRYPTION_KEY, Settings

KEY_ID_BYTES = 4
_BLIND_INDEX_INFO = b"prescripcare blind index v1"


def key_id(raw: bytes) -> bytes:
    """Public and stable: a hash of the key, never the key."""
    return hashlib.sha256(b"prescripcare key id\x00" + raw).digest()[:KEY_ID_BYTES]


def derive_blind_index_key(data_key: bytes) -> bytes:
    """The default blind-index key: HKDF-SHA256 of ENCRYPTION_KEY. Fine until
    the first rotation, which is why rotation demands an explicit one."""
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_BLIND_INDEX_INFO
    ).derive(data_key)


@dataclass(frozen=True)
class DataKey:
    id: bytes
    aead: AESGCM = field(repr=False)

    @classmethod
    def from_raw(cls, raw: bytes) -> DataKey:
        return cls(id=key_id(raw), aead=AESGCM(raw))


@dataclass(frozen=True)
class Keyring:
    current: DataKey
    # Retired keys by id: read, never written.
    old: dict[bytes, DataKey]
    blind_index_key: bytes = field(repr=False)
    # False while the blind-index key is derived from the current data key.
    blind_index_key_explicit: bool

    @classmethod
    def build(
        cls, current: bytes, old: list[bytes] | None = None, blind_index_key: bytes | None = None
    ) -> Keyring:
        primary = DataKey.from_raw(current)
        retired: dict[bytes, DataKey] = {}
        for raw in old or []:
            key = DataKey.from_raw(raw)
            if key.id == primary.id and raw != current:
                raise InvalidKeyError("two keys share an id: generate another ENCRYPTION_KEY")
            if key.id != primary.id:
                retired[key.id] = key
        return cls(
            current=primary,
            old=retired,
            blind_index_key=blind_index_key or derive_blind_index_key(current),
            blind_index_key_explicit=blind_index_key is not None,
        )

    def for_id(self, wanted: bytes) -> DataKey | None:
        if wanted == self.current.id:
            return self.current
        return self.old.get(wanted)

    def knows(self, wanted: bytes) -> bool:
        return self.for_id(wanted) is not None


def keyring_from_settings(settings: Settings) -> Keyring:
    current = (
        settings.encryption_key.get_secret_value()
        if settings.encryption_key
        else DEV_ENCRYPTION_KEY
    )
    old = settings.encryption_keys_old.get_secret_value() if settings.encryption_keys_old else ""
    blind = settings.blind_index_key
    return Keyring.build(
        decode_key(current, "ENCRYPTION_KEY"),
        [decode_key(part, "ENCRYPTION_KEYS_OLD") for part in old.split(",") if part.strip()],
        decode_key(blind.get_secret_value(), "BLIND_INDEX_KEY") if blind else None,
    )
