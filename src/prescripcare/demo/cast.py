"""Who is in the demo clinic and what they take: pure data, no database.

Five patients of the demo clinician in five time zones (daylight saving both
ways, a half-hour offset, the southern hemisphere), each on common chronic
regimens, each with a way of taking them that the history shows:

- Maria Lopez (the demo PATIENT, her son Sam the demo CAREGIVER): mostly on
  time; warfarin with aspirin, a MAJOR interaction the clinician acknowledged;
  an antibiotic every 8 hours with a dose due within the hour of seeding; an
  as-needed painkiller she added herself.
- Arjun Mehta: adherent, nearly every dose within minutes.
- Eleanor Whitfield: slipping, later and fewer doses as the weeks go by, with
  snoozes; weekly methotrexate and folic acid.
- James O'Connor: a refill gap, lisinopril ran out for twelve days in the
  last month before he refilled it, and his SMS failed all yesterday.
- Ruby Nguyen: steady on weekdays, misses weekend evenings; e-mail reminders.

Days are counted on the replay's timeline: day 0 is the first day of the
90-day history, day 90 is today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum

from prescripcare.patients.models import ReminderChannel

HISTORY_DAYS = 90
# Reminders were switched on (and the caregiver linked) this many days ago:
# the recent past shows sends and receipts, the older history doses only.
REMINDER_DAYS = 7
PATIENT_PASSWORD = "demo-patient-passphrase"


class Pattern(StrEnum):
    MOSTLY = "mostly"
    ADHERENT = "adherent"
    SLIPPING = "slipping"
    REFILL_GAP = "refill_gap"
    WEEKDAYS = "weekdays"


@dataclass(frozen=True)
class Regimen:
    key: str
    rxcui: str
    drug: str  # the ingredient's name, for reading this file
    quantity: float
    unit: str
    sig: str
    times: tuple[time, ...] = ()
    days: tuple[int, ...] = ()  # ISO weekdays; empty is every day
    every_hours: int | None = None
    as_needed: bool = False
    # The prescription's start date, in days before today; its first dose in
    # the history is on day `prescribed_on` (when it was entered).
    started_days_ago: int = 400
    prescribed_on: int = 0
    course_days: int | None = None  # a finite course (end date inclusive)
    self_reported: bool = False  # the patient added it; else the clinician
    acknowledge: str | None = None  # why the clinician overrode a MAJOR interaction
    days_supply: int | None = 30
    # Replay days with a pharmacy fill; by default monthly, the next one due
    # within the week (a refill reminder and forecast to see).
    fills: tuple[int, ...] = (5, 35, 65)
    # Set for the regimen whose first dose time is chosen at seeding so that
    # one of its doses falls due within the next hour.
    due_soon: bool = False


@dataclass(frozen=True)
class DemoPatient:
    key: str
    name: str
    email: str
    born: date
    timezone: str
    pattern: Pattern
    channels: tuple[ReminderChannel, ...]
    phone: str | None = None
    regimens: tuple[Regimen, ...] = field(default_factory=tuple)
    # The language the patient reads (BCP 47); None: the deployment default.
    language: str | None = None


def _t(text: str) -> time:
    return time.fromisoformat(text)


MARIA = DemoPatient(
    key="maria",
    name="Maria Lopez",
    email="maria.lopez@demo.prescripcare.example",
    born=date(1952, 3, 9),
    timezone="America/Chicago",
    pattern=Pattern.MOSTLY,
    phone="+13125550182",
    # Her reminders come in Spanish (docs/languages.md).
    language="es",
    channels=(ReminderChannel.SMS, ReminderChannel.EMAIL),
    regimens=(
        Regimen(
            "maria-metformin",
            "6809",
            "metformin",
            500,
            "mg tablet",
            "Take one tablet twice a day with breakfast and dinner.",
            times=(_t("08:00"), _t("20:00")),
        ),
        Regimen(
            "maria-warfarin",
            "11289",
            "warfarin",
            5,
            "mg tablet",
            "Take one tablet every evening; INR check every four weeks.",
            times=(_t("18:00"),),
            fills=(0, 28, 56, 84),
            days_supply=28,
        ),
        Regimen(
            "maria-aspirin",
            "1191",
            "aspirin",
            81,
            "mg tablet",
            "Take one tablet every morning.",
            times=(_t("08:00"),),
            started_days_ago=70,
            prescribed_on=20,
            fills=(20, 50, 80),
            acknowledge="Mechanical mitral valve: low-dose aspirin with warfarin per "
            "cardiology; INR monitored every four weeks.",
        ),
        Regimen(
            "maria-amoxicillin",
            "723",
            "amoxicillin",
            500,
            "mg capsule",
            "Take one capsule every 8 hours until the course is finished.",
            every_hours=8,
            started_days_ago=2,
            prescribed_on=HISTORY_DAYS - 2,
            course_days=7,
            days_supply=7,
            fills=(HISTORY_DAYS - 2,),
            due_soon=True,
        ),
        Regimen(
            "maria-acetaminophen",
            "161",
            "acetaminophen",
            500,
            "mg tablet",
            "One or two tablets when needed for knee pain, at most 6 a day.",
            as_needed=True,
            self_reported=True,
            days_supply=None,
            fills=(),
        ),
    ),
)

CLINIC = (
    MARIA,
    DemoPatient(
        key="arjun",
        name="Arjun Mehta",
        email="arjun.mehta@demo.prescripcare.example",
        born=date(1958, 4, 2),
        timezone="Asia/Kolkata",
        pattern=Pattern.ADHERENT,
        phone="+919812345678",
        channels=(ReminderChannel.SMS,),
        regimens=(
            Regimen(
                "arjun-amlodipine",
                "17767",
                "amlodipine",
                5,
                "mg tablet",
                "Take one tablet every morning.",
                times=(_t("08:00"),),
                days_supply=90,
                fills=(0, 84),
            ),
            Regimen(
                "arjun-atorvastatin",
                "83367",
                "atorvastatin",
                20,
                "mg tablet",
                "Take one tablet at bedtime.",
                times=(_t("21:30"),),
                days_supply=90,
                fills=(0, 84),
            ),
            Regimen(
                "arjun-glargine",
                "274783",
                "insulin glargine",
                18,
                "units",
                "Inject 18 units under the skin at 22:00.",
                times=(_t("22:00"),),
            ),
        ),
    ),
    DemoPatient(
        key="eleanor",
        name="Eleanor Whitfield",
        email="eleanor.whitfield@demo.prescripcare.example",
        born=date(1946, 11, 23),
        timezone="Europe/London",
        pattern=Pattern.SLIPPING,
        phone="+442079460123",
        channels=(ReminderChannel.SMS,),
        regimens=(
            Regimen(
                "eleanor-levothyroxine",
                "10582",
                "levothyroxine",
                75,
                "mcg tablet",
                "Take one tablet on waking, 30 minutes before breakfast.",
                times=(_t("06:30"),),
            ),
            Regimen(
                "eleanor-sertraline",
                "36437",
                "sertraline",
                50,
                "mg tablet",
                "Take one tablet every morning.",
                times=(_t("09:00"),),
            ),
            Regimen(
                "eleanor-methotrexate",
                "6851",
                "methotrexate",
                15,
                "mg (6 tablets)",
                "Take six 2.5 mg tablets once a week, on Fridays.",
                times=(_t("09:00"),),
                days=(5,),
                days_supply=28,
                fills=(0, 28, 56, 84),
            ),
            Regimen(
                "eleanor-folic-acid",
                "4511",
                "folic acid",
                5,
                "mg tablet",
                "Take one tablet once a week, on Saturdays (never on methotrexate day).",
                times=(_t("09:00"),),
                days=(6,),
                days_supply=84,
                fills=(0, 84),
            ),
        ),
    ),
    DemoPatient(
        key="james",
        name="James O'Connor",
        email="james.oconnor@demo.prescripcare.example",
        born=date(1971, 6, 14),
        timezone="America/New_York",
        pattern=Pattern.REFILL_GAP,
        phone="+12025550143",
        channels=(ReminderChannel.SMS,),
        regimens=(
            Regimen(
                "james-lisinopril",
                "29046",
                "lisinopril",
                10,
                "mg tablet",
                "Take one tablet every morning.",
                times=(_t("07:30"),),
                # Five days late for the first refill; then out from day 65
                # to day 77, twelve days inside the dashboard's 30-day window.
                fills=(0, 35, 77),
            ),
            Regimen(
                "james-metformin",
                "6809",
                "metformin",
                1000,
                "mg tablet",
                "Take one tablet twice a day with meals.",
                times=(_t("07:30"), _t("19:30")),
            ),
            Regimen(
                "james-albuterol",
                "435",
                "albuterol",
                2,
                "puffs",
                "Two puffs when short of breath; see the clinic if needed more than twice a week.",
                as_needed=True,
                days_supply=None,
                fills=(10,),
            ),
        ),
    ),
    DemoPatient(
        key="ruby",
        name="Ruby Nguyen",
        email="ruby.nguyen@demo.prescripcare.example",
        born=date(1989, 1, 30),
        timezone="Australia/Lord_Howe",
        pattern=Pattern.WEEKDAYS,
        channels=(ReminderChannel.EMAIL,),
        regimens=(
            Regimen(
                "ruby-fluticasone",
                "41126",
                "fluticasone",
                2,
                "puffs",
                "Two puffs twice a day; rinse your mouth afterwards.",
                times=(_t("07:00"), _t("19:00")),
                days_supply=60,
                fills=(0, 58),
            ),
            Regimen(
                "ruby-sertraline",
                "36437",
                "sertraline",
                100,
                "mg tablet",
                "Take one tablet every morning.",
                times=(_t("08:30"),),
            ),
        ),
    ),
)
