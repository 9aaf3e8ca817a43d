"""The words of every reminder, in the patient's language.

No name, no drug, no diagnosis by default: a lock screen can be read by
anyone. A deployment may allow the drug's name (REMINDER_TEXT_DRUG_NAMES).
SMS texts keep to the GSM-7 alphabet where the language allows it, so a
reminder stays one segment (tests/i18n/test_sms_segments.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from prescripcare.i18n.translator import Language
from prescripcare.reminders.models import ReminderKind


@dataclass(frozen=True)
class ReminderText:
    subject: str
    body: str


def reminder_text(
    kind: str,
    due_at: datetime,
    scheduled_at: datetime | None,
    timezone: str,
    lang: Language,
    deep_link: str,
    drug_name: str | None = None,
) -> ReminderText:
    """`scheduled_at` is the dose's own time: a reminder due later than it
    follows a snooze, and names the time the dose was meant for."""
    at = scheduled_at or due_at
    values = {"time": lang.time(at, timezone), "link": deep_link, "drug": drug_name or ""}
    if kind == ReminderKind.REFILL.value:
        return ReminderText(
            lang.gettext("Time to refill a medicine"),
            lang.gettext("PrescripCare: it is time to refill one of your medicines. Open %(link)s")
            % values,
        )
    if kind == ReminderKind.CAREGIVER.value:
        values["date"] = lang.date(at, timezone=timezone)
        return ReminderText(
            lang.gettext("A dose was not recorded"),
            lang.gettext(
                "PrescripCare: a dose due %(date)s at %(time)s for someone you care for was "
                "not recorded. Open %(link)s"
            )
            % values,
        )
    subject = lang.gettext("Time for your medicines")
    follow_up = scheduled_at is not None and due_at > scheduled_at
    if follow_up and drug_name:
        body = lang.gettext(
            "PrescripCare: reminder, your %(time)s %(drug)s is still to take. Open %(link)s"
        )
    elif follow_up:
        body = lang.gettext(
            "PrescripCare: reminder, your %(time)s medicines are still to take. Open %(link)s"
        )
    elif drug_name:
        body = lang.gettext("PrescripCare: it is time for your %(time)s %(drug)s. Open %(link)s")
    else:
        body = lang.gettext("PrescripCare: it is time for your %(time)s medicines. Open %(link)s")
    return ReminderText(subject, body % values)
