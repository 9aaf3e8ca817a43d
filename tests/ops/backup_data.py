"""What the backup tests compare: every table's rows before and after, and
the archive key."""

from __future__ import annotations

import base64
import os

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from prescripcare.db import async_url

KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()

FINGERPRINT = """
SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')
FROM public."{table}" t
"""


async def fingerprints(url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and a checksum of its ordered rows."""
    engine = create_async_engine(async_url(url), poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            tables = await conn.scalars(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                )
            )
            found = {}
            for table in tables.all():
                row = (await conn.execute(text(FINGERPRINT.format(table=table)))).one()
                found[table] = (int(row[0]), str(row[1]))
            return found
    finally:
        await engine.dispose()
