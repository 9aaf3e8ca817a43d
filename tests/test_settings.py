"""Settings refuse unsafe production configurations with a clear message."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from prescripcare.db import async_url
from prescripcare.settings import DEV_JWT_SECRET, SettingsError, load_settings
from tests.production_config import GOOD


def test_a_complete_production_configuration_loads() -> None:
    settings = load_settings(**GOOD)
    assert settings.is_production
    assert str(async_url(settings.database_url or "")).startswith("postgresql+asyncpg://")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"jwt_secret": None}, "JWT_SECRET is required"),
        ({"jwt_secret": "short"}, "JWT_SECRET is weak"),
        ({"jwt_secret": DEV_JWT_SECRET}, "JWT_SECRET is weak"),
        ({"jwt_secret": "a" * 40}, "JWT_SECRET is weak"),
        ({"encryption_key": None}, "ENCRYPTION_KEY is required"),
        ({"encryption_key": "not base64!"}, "ENCRYPTION_KEY"),
        (
            {"encryption_key": base64.urlsafe_b64encode(b"16 bytes only!!!").decode()},
            "32 random bytes",
        ),
        ({"database_url": None}, "DATABASE_URL is required"),
        ({"database_url": "mysql://x@y/z"}, "plain postgresql://"),
        ({"redis_url": "http://cache"}, "REDIS_URL"),
        ({"argon2_memory_kib": 1024}, "ARGON2_MEMORY_KIB"),
        # Half a provider would switch its channel off without a word.
        ({"twilio_account_sid": "AC0123"}, "set TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER"),
        ({"sendgrid_from_email": "care@example.org"}, "set SENDGRID_API_KEY"),
        ({"fcm_project_id": "prescripcare"}, "set FCM_SERVICE_ACCOUNT_FILE"),
        (
            {"twilio_account_sid": "AC0", "twilio_auth_token": "t", "twilio_from_number": "+1"},
            "PUBLIC_BASE_URL is required with Twilio",
        ),
        ({"build_commit": "not-a-commit"}, "BUILD_COMMIT"),
    ],
)
def test_unsafe_production_settings_refuse_to_start(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(**{**GOOD, **change})


def test_development_needs_no_secrets() -> None:
    settings = load_settings(prescripcare_env="development", jwt_secret=None)
    assert settings.signing_secret == DEV_JWT_SECRET


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("REDIS_PREFIX", "clinic-eu")
    settings = load_settings()
    assert settings.port == 9123 and settings.redis_prefix == "clinic-eu"
    monkeypatch.setenv("PORT", "not-a-port")
    with pytest.raises(SettingsError, match="PORT"):
        load_settings()
