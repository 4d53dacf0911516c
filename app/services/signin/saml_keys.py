"""The SAML service provider's key pair: from ``ACHIEVEMENTS_SAML_SP_KEY_FILE`` /
``_CERT_FILE`` when set, else made once and kept in ``saml_sp_keys`` so every process
and host publishes the same metadata (two processes racing both insert; the oldest row
wins for everyone). pysaml2 reads files: the kept pair is written to a private temp
file per process."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from app.extensions import db
from app.models import SamlSpKey

CERT_YEARS = 10  # SAML metadata certificates carry keys; their dates are not enforced


def key_files(key_file: str | None, cert_file: str | None, common_name: str) -> tuple[str, str]:
    """Paths of the SP's private key and certificate (PEM)."""
    if key_file and cert_file:
        return key_file, cert_file
    if key_file or cert_file:
        raise ValueError("set both ACHIEVEMENTS_SAML_SP_KEY_FILE and _CERT_FILE, or neither")
    kept = _kept_pair(common_name)
    return _private_file(kept.key_pem, "key"), _private_file(kept.cert_pem, "cert")


def _kept_pair(common_name: str) -> SamlSpKey:
    first = select(SamlSpKey).order_by(SamlSpKey.id).limit(1)
    kept = db.session.scalar(first)
    if kept is None:
        key_pem, cert_pem = _self_signed(common_name)
        db.session.add(SamlSpKey(key_pem=key_pem, cert_pem=cert_pem))
        db.session.commit()
        kept = db.session.scalar(first)
    assert kept is not None
    return kept


def _self_signed(common_name: str) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365 * CERT_YEARS))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def _private_file(pem: str, kind: str) -> str:
    handle, path = tempfile.mkstemp(prefix=f"achievements-saml-{kind}-", suffix=".pem")
    with os.fdopen(handle, "w") as file:  # mkstemp: mode 0600, readable by this user only
        file.write(pem)
    return path
