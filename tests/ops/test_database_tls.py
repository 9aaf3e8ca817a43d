"""TLS to PostgreSQL, honoured alike by the app, migrate, backup and
restore, against a throwaway cluster with ssl=on that refuses plain
connections and presents a certificate from a CA made here."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from prescripcare.backup.dump import Libpq, _dump
from prescripcare.backup.tools import find_tool
from prescripcare.db import Database, create_engine
from prescripcare.settings import Settings, SettingsError, load_settings
from tests import pgcluster
from tests.pgcluster import PG_BIN, Cluster, as_owner, give_to_owner
from tests.tlscerts import other_ca, server_certificate

KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
SSL_IN_USE = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


@dataclass(frozen=True)
class TlsServer:
    cluster: Cluster
    ca: Path
    wrong_ca: Path


@pytest.fixture(scope="module")
def tls_server() -> Iterator[TlsServer]:
    if reason := pgcluster.unavailable():
        pytest.skip(reason)
    with pgcluster.workspace() as home:
        certs = server_certificate(home / "tls")
        wrong = other_ca(home / "wrong")
        give_to_owner(home / "tls")
        settings = {
            "ssl": "on",
            "ssl_cert_file": f"'{certs.cert}'",
            "ssl_key_file": f"'{certs.key}'",
            "log_connections": "on",
        }
        # TLS or nothing: a client that does not encrypt is turned away.
        hba = ["hostssl all all 127.0.0.1/32 trust", "hostnossl all all 127.0.0.1/32 reject"]
        with pgcluster.running(home, settings, hba) as cluster:
            for name in ("app", "restored"):
                as_owner(
                    [
                        str(PG_BIN / "createdb"),
                        "-h",
                        "127.0.0.1",
                        "-p",
                        str(cluster.port),
                        "-U",
                        "postgres",
                        name,
                    ],
                    env={**os.environ, "PGSSLMODE": "require"},
                )
            yield TlsServer(cluster, certs.ca, wrong)


def _settings(url: str, **tls: str) -> Settings:
    return load_settings(database_url=url, **tls)


async def _ssl_in_use(settings: Settings) -> bool:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            return bool(await conn.scalar(text(SSL_IN_USE)))
    finally:
        await engine.dispose()


async def test_require_encrypts_and_disable_is_refused_by_a_tls_only_server(
    tls_server: TlsServer,
) -> None:
    url = tls_server.cluster.url("app")
    assert await _ssl_in_use(_settings(url, database_ssl="require"))
    assert await _ssl_in_use(_settings(url + "?sslmode=require"))
    # sslmode in the URL reaches asyncpg as its ssl argument (it used to crash
    # with "unexpected keyword argument 'sslmode'"); disable means plain.
    with pytest.raises(Exception, match="no encryption"):
        await _ssl_in_use(_settings(url + "?sslmode=disable"))


async def test_verify_full_with_the_right_ca_connects(tls_server: TlsServer) -> None:
    for host in ("localhost", "127.0.0.1"):
        url = tls_server.cluster.url("app", host=host)
        assert await _ssl_in_use(
            _settings(url, database_ssl="verify-full", database_ssl_root_cert=str(tls_server.ca))
        )
        assert await _ssl_in_use(
            _settings(f"{url}?sslmode=verify-full&sslrootcert={tls_server.ca}")
        )


def _cli(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PGSSL"))}
    return subprocess.run(
        [sys.executable, "-m", "prescripcare.cli", *args],
        env={**base, "BACKUP_ENCRYPTION_KEY": KEY, "LOG_FORMAT": "text", **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def test_verify_full_with_a_wrong_ca_fails_clearly_for_every_client(
    tls_server: TlsServer, tmp_path: Path
) -> None:
    wrong = {
        "DATABASE_URL": tls_server.cluster.url("app", host="localhost"),
        "DATABASE_SSL": "verify-full",
        "DATABASE_SSL_ROOT_CERT": str(tls_server.wrong_ca),
    }
    for command in (["migrate"], ["backup", "--dir", str(tmp_path)]):
        done = await asyncio.to_thread(_cli, command, **wrong)
        assert done.returncode == 1, done.stderr
        assert "TLS to PostgreSQL failed" in done.stderr
        assert "certificate verify failed" in done.stderr
        assert "Traceback" not in done.stderr
    # pg_dump itself (libpq) is held to the same CA.
    database = Database.of(
        wrong["DATABASE_URL"],
        _settings(
            wrong["DATABASE_URL"],
            database_ssl="verify-full",
            database_ssl_root_cert=str(tls_server.wrong_ca),
        ),
    )
    with pytest.raises(RuntimeError, match="certificate verify failed"):
        _dump(find_tool("pg_dump", 15), Libpq.of(database), io.BytesIO(), None)


async def test_migrate_backup_and_restore_run_over_verified_tls(
    tls_server: TlsServer, tmp_path: Path
) -> None:
    verified = {
        "DATABASE_SSL": "verify-full",
        "DATABASE_SSL_ROOT_CERT": str(tls_server.ca),
    }
    source = tls_server.cluster.url("app", host="localhost")
    migrated = await asyncio.to_thread(_cli, ["migrate"], DATABASE_URL=source, **verified)
    assert migrated.returncode == 0, migrated.stderr
    made = await asyncio.to_thread(
        _cli, ["backup", "--dir", str(tmp_path)], DATABASE_URL=source, **verified
    )
    assert made.returncode == 0, made.stderr
    [archive] = [p for p in os.scandir(tmp_path) if p.name.endswith(".dump.enc")]
    # The URL form of the same settings, for the restore.
    target = (
        tls_server.cluster.url("restored", host="localhost")
        + f"?sslmode=verify-full&sslrootcert={tls_server.ca}"
    )
    done = await asyncio.to_thread(_cli, ["restore", archive.path, "--yes"], DATABASE_URL=target)
    assert done.returncode == 0, done.stderr

    engine = create_engine(_settings(target))
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text(SSL_IN_USE))
            head = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()
    assert head is not None
    # pg_dump and pg_restore came in over TLS too (the server refuses
    # anything else, and says how each connection was made).
    log = tls_server.cluster.log()
    for tool in ("pg_dump", "pg_restore"):
        lines = [line for line in log.splitlines() if f"application_name={tool}" in line]
        assert lines and all("SSL enabled" in line for line in lines), tool


@pytest.mark.parametrize(
    ("tls", "message"),
    [
        ({"database_ssl": "verify-full"}, "needs DATABASE_SSL_ROOT_CERT"),
        ({"database_ssl": "require", "database_url_query": "?sslmode=disable"}, "use one of them"),
        ({"database_url_query": "?sslmode=sometimes"}, "is not one of"),
        ({"database_ssl": "prefer", "database_ssl_root_cert": __file__}, "never checks it"),
        (
            {"database_ssl": "verify-ca", "database_ssl_root_cert": "/nonexistent/ca.pem"},
            "does not exist",
        ),
    ],
)
def test_contradictory_or_incomplete_tls_settings_are_refused(
    tls: dict[str, str], message: str
) -> None:
    query = tls.pop("database_url_query", "")
    with pytest.raises(SettingsError, match=message):
        load_settings(database_url=f"postgresql://u@db.example:5432/app{query}", **tls)
