"""pg_restore's clean phase drops a partitioned table's keys before its
partitions' (backup/toc.py)."""

from __future__ import annotations

from prescripcare.backup.toc import partition_keys_first

LISTING = """;
; Archive created at 2026-12-02 11:50:00 UTC
;
215; 1259 16390 TABLE public doses postgres
216; 1259 16400 TABLE public doses_y2026m12 postgres
3400; 0 0 TABLE ATTACH public doses_y2026m12 postgres
3500; 0 16390 TABLE DATA public doses postgres
3301; 2606 16410 CONSTRAINT public dose_records pk_dose_records postgres
3302; 2606 16420 CONSTRAINT public doses pk_doses postgres
3303; 2606 16430 CONSTRAINT public doses_y2026m12 doses_y2026m12_pkey postgres
3304; 2606 16440 CONSTRAINT public patients pk_patients postgres
3600; 0 0 INDEX ATTACH public doses_y2026m12_pkey postgres
3700; 2606 16450 FK CONSTRAINT public reminders fk_reminders_dose_id_doses postgres
"""


def test_partition_keys_move_before_the_first_key() -> None:
    lines = partition_keys_first(LISTING).splitlines()
    keys = [line.split()[-2] for line in lines if " CONSTRAINT public " in line]
    assert keys == [
        "doses_y2026m12_pkey",
        "pk_dose_records",
        "pk_doses",
        "pk_patients",
        "fk_reminders_dose_id_doses",
    ]
    # Nothing else moves or goes missing.
    assert sorted(lines) == sorted(LISTING.splitlines())
    assert [line for line in lines if "CONSTRAINT" not in line] == [
        line for line in LISTING.splitlines() if "CONSTRAINT" not in line
    ]


def test_an_archive_without_partitions_is_left_as_it_is() -> None:
    plain = "\n".join(line for line in LISTING.splitlines() if "doses_y2026m12" not in line)
    assert partition_keys_first(plain) == plain
