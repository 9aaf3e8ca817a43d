"""Backups: pg_dump custom-format archives, optionally encrypted, with
retention; restores that re-apply erasures made since the backup."""
