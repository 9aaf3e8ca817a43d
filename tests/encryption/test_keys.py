"""Key settings: format, production refusals, and the keyring built from them."""

from __future__ import annotations

import base64
import os

import pytest

from prescripcare.encryption.envelope import blind_index, open_sealed, seal
from prescripcare.encryption.keyformat import decode_key
from prescripcare.encryption.keys import Keyring, keyring_from_settings
from prescripcare.settings import DEV_ENCRYPTION_KEY, SettingsError, load_settings
from tests.production_config import GOOD, KEY

OTHER = base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_production_refuses_the_development_key() -> None:
    with pytest.raises(SettingsError, match="ENCRYPTION_KEY is the development key"):
        load_settings(**{**GOOD, "encryption_key": DEV_ENCRYPTION_KEY})


@pytest.mark.parametrize("field", ["encryption_keys_old", "blind_index_key"])
def test_every_key_is_32_bytes_of_base64(field: str) -> None:
    short = base64.urlsafe_b64encode(b"too short").decode()
    extra = {} if field == "blind_index_key" else {"blind_index_key": OTHER}
    with pytest.raises(SettingsError, match=field.upper()):
        load_settings(**{**GOOD, **extra, field: f"{OTHER},{short}"})


def test_an_old_key_without_a_pinned_blind_index_key_is_refused() -> None:
    with pytest.raises(SettingsError, match="BLIND_INDEX_KEY is not"):
        load_settings(**{**GOOD, "encryption_keys_old": OTHER})
    loaded = load_settings(**{**GOOD, "encryption_keys_old": OTHER, "blind_index_key": OTHER})
    ring = keyring_from_settings(loaded)
    assert ring.blind_index_key_explicit and ring.blind_index_key == decode_key(OTHER, "x")
    assert len(ring.old) == 1 and ring.current.id not in ring.old


def test_development_uses_the_fixed_development_key() -> None:
    ring = keyring_from_settings(load_settings(prescripcare_env="development"))
    assert ring.current.id == Keyring.build(decode_key(DEV_ENCRYPTION_KEY, "x")).current.id
    assert not ring.blind_index_key_explicit


def test_the_blind_index_survives_a_key_change_only_when_pinned() -> None:
    a, b = decode_key(KEY, "a"), decode_key(OTHER, "b")
    derived = Keyring.build(a)
    assert blind_index(Keyring.build(b), "x@y.z", "users.email") != blind_index(
        derived, "x@y.z", "users.email"
    )
    pinned = Keyring.build(b, [a], derived.blind_index_key)
    assert blind_index(pinned, "x@y.z", "users.email") == blind_index(
        derived, "x@y.z", "users.email"
    )
    # Separate columns, separate hashes: equal values do not link tables.
    assert blind_index(pinned, "x@y.z", "users.email") != blind_index(
        pinned, "x@y.z", "patients.email"
    )


def test_old_keys_read_and_only_the_current_key_writes() -> None:
    a, b = decode_key(KEY, "a"), decode_key(OTHER, "b")
    sealed = seal(Keyring.build(a), b"+442079460777", "patients.phone")
    rotated = Keyring.build(b, [a])
    assert open_sealed(rotated, sealed, "patients.phone") == b"+442079460777"
    assert seal(rotated, b"x", "patients.phone")[1:5] == rotated.current.id
