"""The hash a login with an unknown e-mail is verified against is made from
the hasher's parameters instead of by hashing (a fifth of a second of every
start): it must cost what a real hash costs to verify, which Argon2 decides
from the parameters in the encoding, so it has the same parameters as its
twin, a real hash; and nothing verifies against it."""

from __future__ import annotations

import random

import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import VerifyMismatchError

from prescripcare.auth.passwords import PasswordService, unverifiable_hash
from prescripcare.settings import Settings


def _hasher(rng: random.Random) -> PasswordHasher:
    return PasswordHasher(
        time_cost=rng.randint(1, 3),
        memory_cost=rng.choice([32, 64, 1024, 4096]),
        parallelism=rng.randint(1, 4),
        hash_len=rng.choice([16, 32, 64]),
        salt_len=rng.choice([8, 16, 32]),
        type=rng.choice(list(Type)),
    )


@pytest.mark.parametrize("seed", range(20))
def test_it_has_the_parameters_of_a_real_hash_and_verifies_nothing(seed: int) -> None:
    rng = random.Random(seed)
    hasher = _hasher(rng)
    password = "".join(rng.choices("abcdefghij0123456789", k=rng.randint(1, 20)))
    made = unverifiable_hash(hasher)
    assert extract_parameters(made) == extract_parameters(hasher.hash(password))
    assert not hasher.check_needs_rehash(made)
    with pytest.raises(VerifyMismatchError):
        hasher.verify(made, password)
    assert unverifiable_hash(hasher) != made  # a fresh salt each time


def test_a_hash_of_other_parameters_is_told_apart() -> None:
    """The planted defect: memory and time swapped in the encoding."""
    hasher = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1, type=Type.ID)
    swapped = unverifiable_hash(hasher).replace("m=1024,t=2", "m=2,t=1024")
    assert extract_parameters(swapped) != extract_parameters(hasher.hash("x"))


async def test_an_unknown_email_is_checked_against_it(settings: Settings) -> None:
    service = PasswordService(settings)
    assert extract_parameters(service._dummy_hash) == extract_parameters(
        await service.hash("some password")
    )
    assert not await service.verify(None, "not-a-real-password-for-timing")
