"""E-mails leave over TLS only to the server they were meant for: with STARTTLS or
``smtps://``, the SMTP server's certificate and name are checked, as a browser would."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from ssl import PROTOCOL_TLS_SERVER, SSLCertVerificationError, SSLContext
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from aspe.settings import Environment, Settings
from aspe.workers.delivery import send_email
from tests.workers.conftest import free_port


@dataclass
class Received:
    messages: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no authority signed, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.pem", folder / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class TlsSmtp:
    port: int
    certificate: Path
    received: Received


@pytest.fixture
def starttls_server(tmp_path: Path) -> Iterator[TlsSmtp]:
    cert_path, key_path = _self_signed(tmp_path)
    context = SSLContext(PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    received, port = Received(), free_port()
    controller = Controller(
        received, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    try:
        yield TlsSmtp(port, cert_path, received)
    finally:
        controller.stop()


def _email() -> EmailMessage:
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = "aspe@example.org", "a@example.org", "Test"
    email.set_content("Bonjour")
    return email


def _settings(tmp_path: Path, server: TlsSmtp) -> Settings:
    return Settings(
        env=Environment.TEST,
        data_dir=tmp_path,
        smtp_url=f"smtp://127.0.0.1:{server.port}",
        smtp_starttls=True,
    )


def test_an_smtp_server_whose_certificate_is_not_trusted_gets_no_email(
    tmp_path: Path, starttls_server: TlsSmtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an SMTP server answering STARTTLS with a certificate no trusted authority signed
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    settings = _settings(tmp_path, starttls_server)

    # When an e-mail is sent to it, then the certificate is refused and nothing is sent
    with pytest.raises(SSLCertVerificationError):
        send_email(settings, _email())
    assert starttls_server.received.messages == []


def test_an_smtp_server_whose_certificate_is_trusted_gets_the_email(
    tmp_path: Path, starttls_server: TlsSmtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the same server, its certificate trusted by the system (as an operator installs
    # a private authority's certificate)
    monkeypatch.setenv("SSL_CERT_FILE", str(starttls_server.certificate))
    settings = _settings(tmp_path, starttls_server)

    # When an e-mail is sent to it, then it arrives
    send_email(settings, _email())
    assert len(starttls_server.received.messages) == 1
