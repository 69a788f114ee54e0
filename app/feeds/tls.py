"""TLS contexts for the sensor socket, and a self-signed certificate maker for tests,
demos and first installs (``tocsin feed selfsigned``)."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import ssl
import subprocess
from pathlib import Path


def server_context(certfile: str | os.PathLike[str], keyfile: str | os.PathLike[str]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(certfile, keyfile)
    return ctx


def client_context(cafile: str | os.PathLike[str] | None = None) -> ssl.SSLContext:
    """Verifies the server against ``cafile`` (the self-signed cert itself works) or the system store."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=os.fspath(cafile) if cafile else None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def make_self_signed(directory: str | os.PathLike[str], *, common_name: str = "localhost",
                     days: int = 825) -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` (mode 600) for ``localhost`` / 127.0.0.1.

    Uses the ``cryptography`` package when installed, else the ``openssl`` command;
    raises RuntimeError when neither is available."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    cert, key = d / "cert.pem", d / "key.pem"
    try:
        _with_cryptography(cert, key, common_name, days)
    except ImportError:
        if shutil.which("openssl") is None:
            raise RuntimeError("making a certificate needs the 'cryptography' package or the openssl command") from None
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key), "-out", str(cert), "-days", str(days), "-subj", f"/CN={common_name}",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
            check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


def _with_cryptography(cert_path: Path, key_path: Path, cn: str, days: int) -> None:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
