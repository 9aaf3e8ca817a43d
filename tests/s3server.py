"""A local S3 server (moto's, as a process on a loopback port, over TLS with
a CA made here) that answers as S3 does, for the off-site backup tests:
boto3 in `prescripcare backup` and pgBackRest talk to it as to a real store.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx

from tests.processes import free_port
from tests.tlscerts import server_certificate

ACCESS_KEY = "prescripcare-test-access"
SECRET_KEY = "prescripcare-test-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    host: str
    port: int
    ca: Path

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            verify=str(self.ca),
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def env(self, bucket: str, prefix: str = "dumps/") -> dict[str, str]:
        """What a deployment sets for `prescripcare backup` to use the store."""
        return {
            "BACKUP_S3_BUCKET": bucket,
            "BACKUP_S3_PREFIX": prefix,
            "BACKUP_S3_ENDPOINT_URL": self.endpoint,
            "BACKUP_S3_REGION": REGION,
            "BACKUP_S3_CA_BUNDLE": str(self.ca),
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }


def moto_server() -> str | None:
    found = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    return found if os.access(found, os.X_OK) else None


@contextmanager
def running(directory: Path) -> Iterator[S3Server]:
    assert moto_server(), "moto_server is not installed (the test extra's moto[server])"
    certs = server_certificate(directory, hosts=("localhost", "127.0.0.1"))
    # pgBackRest runs as the PostgreSQL cluster's owner and must read the CA.
    directory.chmod(0o755)
    certs.ca.chmod(0o644)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.s3app",
            "127.0.0.1",
            str(port),
            str(certs.cert),
            str(certs.key),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = S3Server(f"https://localhost:{port}", "localhost", port, certs.ca)
    trusted = ssl.create_default_context(cafile=str(certs.ca))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(server.endpoint, verify=trusted, timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, "moto_server exited"
                assert time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=10)
