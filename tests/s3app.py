"""moto's S3 server behind TLS that closes connections as TLS should.

`moto_server` (werkzeug's development server) drops a TLS connection
without close_notify; OpenSSL 3 clients such as pgBackRest then fail with
"unexpected eof while reading". This runs the same moto application with a
request handler that ends TLS cleanly. Run: python -m tests.s3app HOST PORT CERT KEY
"""

from __future__ import annotations

import contextlib
import ssl
import sys

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


class CleanTlsHandler(MotoRequestHandler):
    def finish(self) -> None:
        super().finish()
        connection = self.connection
        if isinstance(connection, ssl.SSLSocket):
            with contextlib.suppress(OSError, ValueError):
                connection.unwrap()  # sends close_notify


def main(host: str, port: str, cert: str, key: str) -> None:
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        host,
        int(port),
        app,
        threaded=True,
        request_handler=CleanTlsHandler,
        ssl_context=(cert, key),
    )
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:5])
