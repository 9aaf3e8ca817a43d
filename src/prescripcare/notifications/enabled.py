"""Which channels this deployment sends through, from the settings: a
provider where its credentials are set; otherwise the console in
development, and nothing in production (never a fake send).

Each provider's module (its SDK, aiohttp) is imported only where that
provider is configured: together they are a third of a second of start-up,
spent for nothing where reminders go to the console."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from prescripcare.notifications.console import ConsoleChannel, ConsoleMailer
from prescripcare.notifications.http import HttpPool
from prescripcare.notifications.message import Channel, Mailer, Message
from prescripcare.patients.models import ReminderChannel
from prescripcare.settings import Settings, SettingsError

if TYPE_CHECKING:
    from prescripcare.notifications.sendgrid import SendGridEmailChannel

log = logging.getLogger("prescripcare.notifications")
ALL_CHANNELS = [channel.value for channel in ReminderChannel]


class PushDevices(Protocol):
    """The device tokens a push goes to, and forgetting one FCM refused."""

    async def tokens_for(self, message: Message) -> list[str]: ...

    async def forget(self, token: str) -> None: ...


def enabled_channels(
    settings: Settings, devices: PushDevices | None = None, pool: HttpPool | None = None
) -> dict[str, Channel]:
    """Every reminder channel that can send here, all on one HTTP pool.
    Push needs `devices`."""
    pool = pool or HttpPool()
    channels: dict[str, Channel] = {}
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number:
        from prescripcare.notifications.twilio import TwilioSmsChannel

        callback = (
            f"{settings.public_base_url}/webhooks/twilio/status"
            if settings.public_base_url
            else None
        )
        channels[ReminderChannel.SMS] = TwilioSmsChannel(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            settings.twilio_from_number,
            settings.twilio_api_url,
            callback,
            pool,
        )
    if (email := _sendgrid(settings, pool)) is not None:
        channels[ReminderChannel.EMAIL] = email
    if settings.fcm_project_id and settings.fcm_service_account_file and devices is not None:
        if not Path(settings.fcm_service_account_file).is_file():
            # Push was asked for: refusing to start beats a worker that drops it.
            raise SettingsError(
                f"FCM_SERVICE_ACCOUNT_FILE: {settings.fcm_service_account_file} is not a file "
                "(FCM_PROJECT_ID is set, so push needs the service account's key file)"
            )
        from prescripcare.notifications.fcm import FcmPushChannel

        channels[ReminderChannel.PUSH] = FcmPushChannel(
            settings.fcm_project_id,
            settings.fcm_service_account_file,
            devices.tokens_for,
            devices.forget,
            settings.fcm_api_url,
            pool,
        )
    for name in ALL_CHANNELS:
        if name in channels:
            continue
        if settings.is_production:
            log.warning(
                "reminder channel %s has no provider configured: reminders patients chose on it "
                "fail and are counted as failed (prescripcare_notifications_total)",
                name,
            )
        else:
            channels[name] = ConsoleChannel(name)
    return channels


def send_rates(settings: Settings) -> dict[str, float]:
    """Each channel's provider rate (sends per second, all workers
    together); 0 sets no limit."""
    return {
        ReminderChannel.SMS: settings.twilio_max_per_second,
        ReminderChannel.EMAIL: settings.sendgrid_max_per_second,
        ReminderChannel.PUSH: settings.fcm_max_per_second,
    }


def account_mailer(settings: Settings, pool: HttpPool | None = None) -> Mailer | None:
    """The service's own e-mail (resets, notices, shared reports): SendGrid
    when configured; the console in development; nothing in production."""
    sendgrid = _sendgrid(settings, pool)
    if sendgrid is not None:
        return sendgrid
    return None if settings.is_production else ConsoleMailer()


def _sendgrid(settings: Settings, pool: HttpPool | None) -> SendGridEmailChannel | None:
    """SendGrid where it is configured."""
    if not (settings.sendgrid_api_key and settings.sendgrid_from_email):
        return None
    from prescripcare.notifications.sendgrid import SendGridEmailChannel

    return SendGridEmailChannel(
        settings.sendgrid_api_key.get_secret_value(),
        settings.sendgrid_from_email,
        settings.sendgrid_api_url,
        pool,
    )
