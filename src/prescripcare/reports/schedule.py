"""A prescription's schedule in words, in the reader's language."""

from __future__ import annotations

from prescripcare.i18n.translator import Language
from prescripcare.prescriptions.models import Prescription


def describe_schedule(rx: Prescription, lang: Language) -> str:
    amount = f"{lang.number(rx.dose_quantity)} {rx.dose_unit}"
    times = ", ".join(lang.clock(t) for t in sorted(rx.times_of_day))
    if rx.as_needed:
        when = lang.gettext("as needed")
    elif rx.every_hours:
        when = lang.ngettext("every %(num)s hour", "every %(num)s hours", rx.every_hours) % {
            "num": rx.every_hours
        }
    elif rx.every_days and rx.every_days > 1:
        when = lang.ngettext(
            "every %(num)s day at %(times)s", "every %(num)s days at %(times)s", rx.every_days
        ) % {"num": rx.every_days, "times": times}
    elif rx.days_of_week and len(rx.days_of_week) < 7:
        names = lang.locale.days["format"]["abbreviated"]
        days = ", ".join(names[d - 1] for d in sorted(rx.days_of_week))
        when = lang.gettext("%(days)s at %(times)s") % {"days": days, "times": times}
    else:
        when = lang.gettext("daily at %(times)s") % {"times": times}
    return f"{amount}, {when}"
