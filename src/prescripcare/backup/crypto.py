"""Encrypted backup files: AES-256-GCM over 1 MiB chunks, streamed.

Layout: MAGIC, an 8-byte random file id, then chunks of
[4-byte length][ciphertext+tag]. Each chunk's nonce is the file id and its
index; its associated data says whether it is the last one, so a truncated
or reordered file fails to decrypt instead of restoring part of a database.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from prescripcare.encryption.keyformat import decode_key

MAGIC = b"PCBACKUP1\n"
CHUNK = 1 << 20


class BackupDecryptError(ValueError):
    """Wrong key, or the file was altered or cut short."""


def key_from_setting(value: str) -> bytes:
    return decode_key(value, "BACKUP_ENCRYPTION_KEY")


def _nonce(file_id: bytes, index: int) -> bytes:
    return file_id + struct.pack(">I", index)


def _chunks(source: IO[bytes]) -> Iterator[tuple[bytes, bool]]:
    current = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        yield current, not following
        if not following:
            return
        current = following


def encrypt_stream(key: bytes, source: IO[bytes], target: IO[bytes]) -> None:
    aead = AESGCM(key)
    file_id = os.urandom(8)
    target.write(MAGIC + file_id)
    for index, (plain, last) in enumerate(_chunks(source)):
        sealed = aead.encrypt(_nonce(file_id, index), plain, b"last" if last else b"more")
        target.write(struct.pack(">I", len(sealed)) + sealed)


def is_encrypted(path: str | os.PathLike[str]) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def decrypt_stream(key: bytes, source: IO[bytes], target: IO[bytes]) -> None:
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupDecryptError("not an encrypted PrescripCare backup")
    aead = AESGCM(key)
    file_id = source.read(8)
    index, finished = 0, False
    while header := source.read(4):
        if finished or len(header) != 4:
            raise BackupDecryptError("the backup file has data after its end")
        sealed = source.read(struct.unpack(">I", header)[0])
        nonce = _nonce(file_id, index)
        try:
            target.write(aead.decrypt(nonce, sealed, b"more"))
        except InvalidTag:
            try:
                target.write(aead.decrypt(nonce, sealed, b"last"))
            except InvalidTag:
                raise BackupDecryptError(
                    "cannot decrypt the backup: wrong BACKUP_ENCRYPTION_KEY or altered file"
                ) from None
            finished = True
        index += 1
    if not finished:
        raise BackupDecryptError("the backup file is cut short")
