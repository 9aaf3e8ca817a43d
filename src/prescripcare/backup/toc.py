"""The order pg_restore works through an archive's table of contents.

`pg_restore --clean` drops every object in the reverse of the archive's
order before creating it again. pg_dump lists a partitioned table's primary
and unique keys before the same keys of its partitions (which are attached
to them), so the clean phase would drop a partition's key first, and
PostgreSQL refuses to drop a key a partition inherits. Listing the
partitions' keys before the first key of any table makes the clean phase
drop the partitioned table's key first, which takes its partitions' keys
with it (their drops then skip, IF EXISTS); creating a partition's key before
its parent's is what pg_dump's ATTACH steps expect anyway.
"""

from __future__ import annotations


def _fields(line: str) -> list[str]:
    # "4123; 2606 16789 CONSTRAINT public doses_y2026m12 doses_y2026m12_pkey owner"
    head, _, rest = line.partition(";")
    return rest.split() if head.strip().isdigit() else []


def partition_keys_first(listing: str) -> str:
    """The `pg_restore -l` listing with partitions' key constraints moved
    before the first key constraint; every other entry keeps its place."""
    lines = listing.splitlines()
    partitions = set()
    for line in lines:
        fields = _fields(line)
        if fields[2:4] == ["TABLE", "ATTACH"] and len(fields) > 5:
            partitions.add((fields[4], fields[5]))
    keys = [
        i
        for i, line in enumerate(lines)
        if (fields := _fields(line))[2:3] == ["CONSTRAINT"] and len(fields) > 4
    ]
    moved = [i for i in keys if tuple(_fields(lines[i])[3:5]) in partitions]
    if not moved:
        return listing
    # Nothing before the first key moves, so it keeps its index.
    first = keys[0]
    kept = [line for i, line in enumerate(lines) if i not in set(moved)]
    ordered = kept[:first] + [lines[i] for i in moved] + kept[first:]
    return "\n".join(ordered) + "\n"
