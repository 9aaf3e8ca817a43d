"""infra/nginx/prescripcare.conf loads in a real nginx: `nginx -t` on the file
as shipped, included from an http {} block as its header says, with only the
certificate and log paths pointed at a temporary directory. `.ci/run`
installs Debian's nginx; without one the test is skipped."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "infra" / "nginx" / "prescripcare.conf"
CERTS, LOGS = "/etc/ssl/prescripcare/", "/var/log/nginx/"


def _nginx() -> str:
    # Debian installs it in /usr/sbin, which is not on every user's PATH.
    found = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    if found is None:
        pytest.skip("nginx is not installed (.ci/run installs Debian's: apt-get install nginx)")
    return found


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _self_signed(directory: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "api.prescripcare.example")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (directory / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def test_the_config_declares_the_nginx_it_needs_and_the_installed_one_is_new_enough() -> None:
    declared = re.search(r"^# Requires nginx (\d+\.\d+) or newer", CONF.read_text(), re.M)
    assert declared, "the file names the nginx version it needs"
    done = subprocess.run([_nginx(), "-v"], capture_output=True, text=True, check=True)
    installed = re.search(r"nginx/(\d+\.\d+\.\d+)", done.stderr)
    assert installed, done.stderr
    assert _version(installed.group(1)) >= _version(declared.group(1))


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    nginx = _nginx()
    certs, logs = tmp_path / "certs", tmp_path / "logs"
    certs.mkdir()
    logs.mkdir()
    _self_signed(certs)
    text = CONF.read_text()
    assert CERTS in text and LOGS in text, "the paths this test relocates are still there"
    site = tmp_path / "prescripcare.conf"
    site.write_text(text.replace(CERTS, f"{certs}/").replace(LOGS, f"{logs}/"))
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {logs}/error.log;\n"
        "events {}\n"
        f"http {{\n    include {site};\n}}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-e", f"{logs}/error.log", "-c", str(main)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # `-q` leaves only problems on stderr: no warnings either.
    assert "[warn]" not in done.stderr and "[emerg]" not in done.stderr, done.stderr
