"""The signer's PKCS#12 file: passphrase, loading, and the checks made before signing.

Every check happens before a byte is written, so a refused certificate
leaves no output behind. Messages are one line, naming the file.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from .. import clock
from ..errors import CodedError, SikroError, UnusableInput

PASSPHRASE_ENV = "SIKRO_P12_PASSPHRASE"


class PassphraseWrong(SikroError):
    """The PKCS#12 file is well formed but does not open with the passphrase given."""

    code = "signing.passphrase-wrong"


class PassphraseNeeded(SikroError):
    code = "signing.passphrase-needed"


class CertificateNotYetValid(CodedError):
    code = "signing.certificate-not-yet-valid"
    message = "the certificate of {who} is not valid before {date}; nothing was signed"


class CertificateExpired(CodedError):
    code = "signing.certificate-expired"
    message = "the certificate of {who} expired on {date}; nothing was signed"


class CertificateNotForSigning(CodedError):
    code = "signing.certificate-not-for-signing"
    message = ("the certificate of {who} is not for signing (its key usage has neither digitalSignature nor "
               "nonRepudiation); nothing was signed")


@dataclass(frozen=True)
class Credentials:
    """What a PKCS#12 file holds: the raw bytes and passphrase (for pyHanko) and the parsed certificate."""

    p12_path: Path
    p12_data: bytes
    passphrase: bytes | None
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def common_name(self) -> str:
        return common_name(self.certificate)

    def pyhanko_signer(self):
        from pyhanko.sign.signers import SimpleSigner

        return SimpleSigner.load_pkcs12_data(self.p12_data, [], passphrase=self.passphrase)


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


# --------------------------------------------------------------------------- passphrase

def resolve_passphrase(passphrase_file: Path | None,
                       prompt: Callable[[], str] | None = None) -> bytes | None:
    """--passphrase-file, else $SIKRO_P12_PASSPHRASE, else `prompt` on a terminal, else none.

    Never a command-line argument: those show up in `ps` and shell history.
    """
    if passphrase_file is not None:
        return read_passphrase_file(Path(passphrase_file))
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env is not None:
        return from_env.encode("utf-8")
    if prompt is not None and sys.stdin.isatty():
        return prompt().encode("utf-8")
    return None


def read_passphrase_file(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise SikroError(f"cannot read the passphrase file {path}: {err.strerror or err}") from None
    # An editor adds a final newline; the passphrase itself never ends in one.
    return data.rstrip(b"\r\n")


# --------------------------------------------------------------------------- loading and checking

def load_credentials(p12_path: Path, passphrase: bytes | None,
                     now: dt.datetime | None = None) -> Credentials:
    """Open a PKCS#12 file and check that its certificate may sign now."""
    p12_path = Path(p12_path)
    data = _read_p12(p12_path)
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, passphrase)
    except (ValueError, TypeError):
        raise _open_error(p12_path, data, passphrase) from None
    if key is None or cert is None:
        raise SikroError(f"{p12_path.name}: holds no private key and certificate to sign with")
    check_can_sign(cert, now or clock.utcnow())
    return Credentials(p12_path, data, passphrase, cert, tuple(others or ()))


def _read_p12(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise UnusableInput(f"cannot read {path}: {err.strerror or err}") from None


def _open_error(path: Path, data: bytes, passphrase: bytes | None) -> SikroError:
    """A well-formed PKCS#12 that does not open means the passphrase is wrong."""
    from asn1crypto import pkcs12 as asn1_pkcs12

    try:
        _ = asn1_pkcs12.Pfx.load(data).native  # parses the outer structure only: no passphrase needed
    except Exception:
        return UnusableInput(f"{path.name} is not a PKCS#12 (.p12/.pfx) file")
    if not passphrase:
        return PassphraseNeeded(f"{path.name}: a passphrase is needed (use --passphrase-file or ${PASSPHRASE_ENV})")
    return PassphraseWrong(f"{path.name}: wrong passphrase")


def check_can_sign(cert: x509.Certificate, now: dt.datetime) -> None:
    """Refuse a certificate outside its validity or without a signing key usage."""
    who = common_name(cert)
    if now < cert.not_valid_before_utc:
        raise CertificateNotYetValid(who=who, date=f"{cert.not_valid_before_utc:%Y-%m-%d}")
    if now > cert.not_valid_after_utc:
        raise CertificateExpired(who=who, date=f"{cert.not_valid_after_utc:%Y-%m-%d}")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return  # RFC 5280: no KeyUsage extension means no restriction
    if not (usage.digital_signature or usage.content_commitment):
        raise CertificateNotForSigning(who=who)
