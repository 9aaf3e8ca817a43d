"""TOTP two-factor: enrol, confirm, codes at login (never twice), recovery
codes (once each), no self-disable for staff, admin reset for a lost phone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from sqlalchemy import func, select, text

from prescripcare.auth.models import RefreshToken, Role, TwoFactor
from prescripcare.clock import SettableClock
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.auth.documents import LOGIN, ME, REFRESH
from tests.auth.two_factor import CONFIRM, ENROLL
from tests.conftest import GraphQLClient
from tests.factories import PASSWORD, Account, account
from tests.processes import run

DISABLE = """
mutation Disable($code: String!) {
  disableTwoFactor(code: $code) { ok errors { code field message } }
}"""
REGENERATE = """
mutation Regenerate($code: String!) {
  regenerateRecoveryCodes(code: $code) { recoveryCodes errors { code field message } }
}"""
RESET_2FA = """
mutation ResetTwoFactor($userId: ID!) {
  resetTwoFactor(userId: $userId) { ok errors { code field message } }
}"""
LOGIN_2FA = """
mutation Login($email: String!, $password: String!, $code: String) {
  login(email: $email, password: $password, twoFactorCode: $code) {
    accessToken refreshToken user { id } errors { code field message }
  }
}"""


async def enrol(gql: GraphQLClient, who: Account, clock: SettableClock) -> tuple[str, list[str]]:
    out = (await gql.data(ENROLL, token=who.token))["enrollTwoFactor"]
    secret = out["secret"]
    code = pyotp.TOTP(secret).at(clock.now())
    confirmed = (await gql.data(CONFIRM, {"code": code}, token=who.token))["confirmTwoFactor"]
    assert confirmed["errors"] == []
    return secret, confirmed["recoveryCodes"]


async def login(gql: GraphQLClient, who: Account, code: str | None) -> dict[str, Any]:
    variables = {"email": who.email, "password": PASSWORD, "code": code}
    out: dict[str, Any] = (await gql.data(LOGIN_2FA, variables))["login"]
    return out


def first_code(payload: dict[str, Any]) -> str | None:
    return payload["errors"][0]["code"] if payload["errors"] else None


async def refresh_rows(res: Resources) -> int:
    async with res.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(RefreshToken)) or 0)


@pytest.fixture
async def clinician(resources: Resources) -> Account:
    return await account(resources, Role.CLINICIAN)


async def test_a_clinician_enrols_and_then_needs_a_code_at_every_login(
    gql: GraphQLClient, resources: Resources, clinician: Account, clock: SettableClock
) -> None:
    out = (await gql.data(ENROLL, token=clinician.token))["enrollTwoFactor"]
    assert out["otpauthUri"].startswith("otpauth://totp/PrescripCare:")
    assert "issuer=PrescripCare" in out["otpauthUri"]
    # Pending until confirmed: the contract's login still works without a code.
    assert (
        first_code(
            (await gql.data(LOGIN, {"email": clinician.email, "password": PASSWORD}))["login"]
        )
        is None
    )
    wrong = (await gql.data(CONFIRM, {"code": "000000"}, token=clinician.token))["confirmTwoFactor"]
    assert wrong["recoveryCodes"] is None and first_code(wrong) == "INVALID_CREDENTIALS"
    totp = pyotp.TOTP(out["secret"])
    confirmed = await gql.data(CONFIRM, {"code": totp.at(clock.now())}, token=clinician.token)
    codes = confirmed["confirmTwoFactor"]["recoveryCodes"]
    assert len(codes) == 10 and len(set(codes)) == 10

    before = await refresh_rows(resources)
    # The contract's login document, unchanged, is told a code is needed.
    plain = (await gql.data(LOGIN, {"email": clinician.email, "password": PASSWORD}))["login"]
    assert plain["accessToken"] is None
    assert plain["errors"] == [
        {
            "code": "TWO_FACTOR_REQUIRED",
            "field": "twoFactorCode",
            "message": "This account uses two-factor authentication: send twoFactorCode.",
        }
    ]
    # A wrong password still says only that, whatever the code.
    bad = await gql.data(LOGIN_2FA, {"email": clinician.email, "password": "x" * 14, "code": "1"})
    assert first_code(bad["login"]) == "INVALID_CREDENTIALS"
    # The code confirming enrolment was used: it does not open a login.
    assert first_code(await login(gql, clinician, totp.at(clock.now()))) == "INVALID_CREDENTIALS"
    assert await refresh_rows(resources) == before  # refusals write nothing

    clock.advance(timedelta(seconds=30))
    ok = await login(gql, clinician, totp.at(clock.now()))
    assert ok["errors"] == [] and ok["accessToken"]
    # The same code again, still inside its 30 seconds: a replay.
    replay = await login(gql, clinician, totp.at(clock.now()))
    assert replay["errors"][0] == {
        "code": "INVALID_CREDENTIALS",
        "field": "twoFactorCode",
        "message": "Wrong or already used two-factor code.",
    }
    assert await refresh_rows(resources) == before + 1


async def test_a_recovery_code_works_once(
    gql: GraphQLClient, clinician: Account, clock: SettableClock
) -> None:
    _, codes = await enrol(gql, clinician, clock)
    assert (await login(gql, clinician, codes[0].upper()))["errors"] == []
    assert first_code(await login(gql, clinician, codes[0])) == "INVALID_CREDENTIALS"
    assert (await login(gql, clinician, codes[1].replace("-", "")))["errors"] == []
    assert first_code(await login(gql, clinician, "aaaa-bbbb-cccc-dddd")) == "INVALID_CREDENTIALS"


async def test_new_recovery_codes_replace_the_old(
    gql: GraphQLClient, clinician: Account, clock: SettableClock
) -> None:
    secret, old = await enrol(gql, clinician, clock)
    clock.advance(timedelta(seconds=30))
    out = await gql.data(
        REGENERATE, {"code": pyotp.TOTP(secret).at(clock.now())}, token=clinician.token
    )
    new = out["regenerateRecoveryCodes"]["recoveryCodes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert first_code(await login(gql, clinician, old[0])) == "INVALID_CREDENTIALS"
    assert (await login(gql, clinician, new[0]))["errors"] == []


async def test_the_secret_is_encrypted_at_rest(
    gql: GraphQLClient, resources: Resources, clinician: Account, clock: SettableClock
) -> None:
    secret, _ = await enrol(gql, clinician, clock)
    async with resources.sessions() as s:
        row = await s.get(TwoFactor, clinician.id)
        stored = await s.scalar(
            text("SELECT secret FROM two_factor WHERE user_id = :u"), {"u": clinician.id}
        )
    assert row is not None and row.confirmed_at == clock.now() and row.secret == secret
    assert isinstance(stored, bytes) and secret.encode() not in stored


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.ADMIN])
async def test_staff_cannot_switch_it_off(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, role: Role
) -> None:
    staff = await account(resources, role)
    secret, _ = await enrol(gql, staff, clock)
    clock.advance(timedelta(seconds=30))
    body = await gql.raw(DISABLE, {"code": pyotp.TOTP(secret).at(clock.now())}, token=staff.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert first_code(await login(gql, staff, None)) == "TWO_FACTOR_REQUIRED"


async def test_a_patient_can_switch_it_off_with_a_code(
    gql: GraphQLClient, resources: Resources, clock: SettableClock
) -> None:
    patient = await account(resources, Role.PATIENT)
    secret, _ = await enrol(gql, patient, clock)
    refused = await gql.data(DISABLE, {"code": "123456"}, token=patient.token)
    assert first_code(refused["disableTwoFactor"]) == "INVALID_CREDENTIALS"
    assert first_code(await login(gql, patient, None)) == "TWO_FACTOR_REQUIRED"
    clock.advance(timedelta(seconds=30))
    out = await gql.data(DISABLE, {"code": pyotp.TOTP(secret).at(clock.now())}, token=patient.token)
    assert out["disableTwoFactor"] == {"ok": True, "errors": []}
    assert (await login(gql, patient, None))["errors"] == []


async def test_an_admin_resets_a_lost_device_and_ends_its_sessions(
    gql: GraphQLClient, resources: Resources, clinician: Account, clock: SettableClock
) -> None:
    admin = await account(resources, Role.ADMIN)
    await enrol(gql, clinician, clock)
    variables = {"userId": str(clinician.id)}
    denied = await gql.raw(RESET_2FA, variables, token=clinician.token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    own = await gql.data(RESET_2FA, {"userId": str(admin.id)}, token=admin.token)
    assert first_code(own["resetTwoFactor"]) == "INVALID"
    missing = await gql.data(RESET_2FA, {"userId": "nope"}, token=admin.token)
    assert first_code(missing["resetTwoFactor"]) == "NOT_FOUND"

    out = await gql.data(RESET_2FA, variables, token=admin.token)
    assert out["resetTwoFactor"] == {"ok": True, "errors": []}
    me = await gql.raw(ME, token=clinician.token)
    assert me["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    refresh = await gql.data(REFRESH, {"refreshToken": clinician.refresh_token})
    assert first_code(refresh["refreshToken"]) == "TOKEN_INVALID"
    assert (await login(gql, clinician, None))["errors"] == []


async def test_enrolling_twice_is_refused_once_on(
    gql: GraphQLClient, clinician: Account, clock: SettableClock
) -> None:
    await enrol(gql, clinician, clock)
    again = (await gql.data(ENROLL, token=clinician.token))["enrollTwoFactor"]
    assert again["secret"] is None and first_code(again) == "INVALID_STATE"
    unauthenticated = await gql.raw(ENROLL)
    assert unauthenticated["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_account_sees_its_two_factor_state(
    gql: GraphQLClient, clinician: Account, clock: SettableClock
) -> None:
    query = "{ twoFactor { enabled pending recoveryCodesLeft } }"
    off = {"enabled": False, "pending": False, "recoveryCodesLeft": 0}
    assert (await gql.data(query, token=clinician.token))["twoFactor"] == off
    await gql.data(ENROLL, token=clinician.token)
    pending = (await gql.data(query, token=clinician.token))["twoFactor"]
    assert pending == {**off, "pending": True}
    await gql.data(ENROLL, token=clinician.token)  # a fresh secret before confirming is fine
    _, codes = await enrol(gql, clinician, clock)
    await login(gql, clinician, codes[0])
    on = (await gql.data(query, token=clinician.token))["twoFactor"]
    assert on == {"enabled": True, "pending": False, "recoveryCodesLeft": 9}


async def test_the_operator_resets_the_last_admins_two_factor(
    gql: GraphQLClient,
    migrated: Settings,
    resources: Resources,
    clock: SettableClock,
    tmp_path: Path,
) -> None:
    admin = await account(resources, Role.ADMIN)
    await enrol(gql, admin, clock)
    assert first_code(await login(gql, admin, None)) == "TWO_FACTOR_REQUIRED"
    done = run(["reset-two-factor", "--email", admin.email.upper()], migrated, tmp_path)
    assert done.returncode == 0, done.stderr
    assert (await login(gql, admin, None))["errors"] == []
    missing = run(["reset-two-factor", "--email", "nobody@x.example"], migrated, tmp_path)
    assert missing.returncode != 0 and "no account" in missing.stderr
