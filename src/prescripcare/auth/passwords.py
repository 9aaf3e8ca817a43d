"""Password hashing (Argon2id, off the event loop) and the strength rule."""

from __future__ import annotations

import asyncio
import base64
import functools
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION

from prescripcare.errors import ErrorCode, Problems
from prescripcare.settings import Settings

MIN_LENGTH = 12
# Argon2 is slow on purpose; an unbounded input would let one request burn CPU.
MAX_LENGTH = 256


@functools.cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords from leaked-password
    # corpora (xato), ranked; NIST SP 800-63B asks us to refuse such values.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password(password: str, problems: Problems, field: str, *, email: str = "") -> None:
    """Adds WEAK_PASSWORD (or INVALID for an absurd length) to `problems`."""
    if len(password) > MAX_LENGTH:
        problems.invalid(field, f"Password must be at most {MAX_LENGTH} characters.")
        return
    if len(password) < MIN_LENGTH:
        problems.add(
            ErrorCode.WEAK_PASSWORD, field, f"Password must be at least {MIN_LENGTH} characters."
        )
        return
    lowered = password.lower()
    local_part = email.split("@", 1)[0].lower()
    if lowered in _common_passwords() or len(set(lowered)) <= 2:
        problems.add(ErrorCode.WEAK_PASSWORD, field, "This password is too common; choose another.")
    elif local_part and len(local_part) >= 4 and lowered.startswith(local_part):
        problems.add(
            ErrorCode.WEAK_PASSWORD, field, "The password must not be built from your e-mail."
        )


def unverifiable_hash(hasher: PasswordHasher) -> str:
    """An Argon2 hash in `hasher`'s encoding with its parameters, and a random
    salt and digest: no password verifies against it, and verifying one costs
    what verifying against a real hash costs, since Argon2's work is set by
    the parameters in the encoding. Its twin, hashing a throwaway password,
    cost a fifth of a second of CPU at every start of every process."""

    def random_b64(length: int) -> str:
        # Argon2's encoding: standard base64 without padding.
        return base64.b64encode(secrets.token_bytes(length)).rstrip(b"=").decode()

    return (
        f"$argon2{hasher.type.name.lower()}$v={ARGON2_VERSION}"
        f"$m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}"
        f"${random_b64(hasher.salt_len)}${random_b64(hasher.hash_len)}"
    )


class PasswordService:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        # Verifying against this when the e-mail is unknown makes a wrong
        # e-mail take as long as a wrong password (no account enumeration).
        self._dummy_hash = unverifiable_hash(self._hasher)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        target = password_hash or self._dummy_hash
        try:
            ok = await asyncio.to_thread(self._hasher.verify, target, password)
        except (VerificationError, InvalidHashError):
            return False
        return bool(ok) and password_hash is not None
