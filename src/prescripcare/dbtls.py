"""TLS to PostgreSQL, said once and honoured by every client.

The mode comes from `DATABASE_SSL` (with `DATABASE_SSL_ROOT_CERT`) or from
libpq's own `sslmode`/`sslrootcert` in the URL (`ssl=` too, asyncpg's name).
The app, Alembic, the restore hooks and the readiness probe connect through
asyncpg, which takes neither in the URL (SQLAlchemy's dialect passes them on
as keyword arguments it rejects), so they are removed from the URL and
turned into asyncpg's `ssl` argument; `pg_dump` and `pg_restore` get the
same mode as `PGSSLMODE`/`PGSSLROOTCERT`. Both sides then mean what libpq
means:

- `disable`, `allow`, `prefer` (the default of both drivers): no check.
- `require`: encrypted; the server's certificate is checked against the CA
  file only when one is given (libpq's verify-ca behaviour).
- `verify-ca`: the chain must lead to the CA file.
- `verify-full`: the chain and the host name.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
VERIFYING = ("verify-ca", "verify-full")
# asyncpg's name for the mode, libpq's, and libpq's CA file.
_URL_MODE_KEYS = ("sslmode", "ssl")
_URL_ROOT_KEY = "sslrootcert"


class DatabaseTLSError(ValueError):
    """The TLS settings contradict each other or name a missing file."""


@dataclass(frozen=True)
class DatabaseTLS:
    mode: str = "prefer"
    root_cert: str | None = None

    def asyncpg_ssl(self) -> bool | str | ssl.SSLContext:
        """asyncpg's `ssl` argument for this mode."""
        if self.mode == "disable":
            return False
        if self.mode in ("allow", "prefer"):
            return self.mode
        if self.mode == "require" and self.root_cert is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        context = ssl.create_default_context(cafile=self.root_cert)
        context.check_hostname = self.mode == "verify-full"
        return context

    def libpq_env(self) -> dict[str, str]:
        """The same mode for pg_dump and pg_restore."""
        env = {"PGSSLMODE": self.mode}
        if self.root_cert is not None:
            env["PGSSLROOTCERT"] = self.root_cert
        return env

    def describe(self) -> str:
        cert = f", CA file {self.root_cert}" if self.root_cert else ""
        return f"sslmode {self.mode}{cert}"


def resolve(database_url: str, mode: str | None, root_cert: str | None) -> tuple[URL, DatabaseTLS]:
    """The URL without its TLS parameters (driver `postgresql`), and the TLS
    mode from them or from the settings; both saying different things is an
    error rather than a guess."""
    url = make_url(database_url).set(drivername="postgresql")
    query = dict(url.query)
    url_modes = {str(query.pop(key)) for key in _URL_MODE_KEYS if key in query}
    url_root = query.pop(_URL_ROOT_KEY, None)
    if len(url_modes) > 1:
        raise DatabaseTLSError(f"the database URL names two TLS modes: {sorted(url_modes)}")
    url_mode = url_modes.pop() if url_modes else None
    if url_mode is not None and mode is not None and url_mode != mode:
        raise DatabaseTLSError(
            f"DATABASE_SSL={mode} but the database URL says sslmode={url_mode}; use one of them"
        )
    if url_root is not None and root_cert is not None and str(url_root) != root_cert:
        raise DatabaseTLSError(
            "DATABASE_SSL_ROOT_CERT and the database URL's sslrootcert name different files"
        )
    chosen = mode or url_mode or "prefer"
    if chosen not in SSL_MODES:
        raise DatabaseTLSError(f"sslmode {chosen!r} is not one of {', '.join(SSL_MODES)}")
    cert = root_cert or (str(url_root) if url_root is not None else None)
    if cert is not None:
        if chosen in ("disable", "allow", "prefer"):
            raise DatabaseTLSError(
                f"a CA file is set but sslmode is {chosen}, which never checks it: "
                "use require, verify-ca or verify-full"
            )
        if not Path(cert).is_file():
            raise DatabaseTLSError(f"the database CA file {cert} does not exist")
    elif chosen in VERIFYING:
        raise DatabaseTLSError(
            f"sslmode {chosen} needs DATABASE_SSL_ROOT_CERT (or sslrootcert in the URL): the "
            "CA certificate(s) the server's certificate must lead to"
        )
    return url.set(query=query), DatabaseTLS(chosen, cert)
