"""Electronic signatures (PAdES) on finished permits.

Sign last: the number and QR code are in the DOCX before LibreOffice makes
the PDF/A; the signature is an incremental update on that PDF, and nothing
stamps a signed file afterwards.

    sign_pdf(pdf_in, pdf_out, load_credentials(p12, passphrase), SignRequest(...))
    sign_workspace_pdf(ws, pdf_in, pdf_out, reason=..., location=...)
    validate_signatures(pdf, trust_roots) -> [SignatureReport]
    signature_summary(pdf, trust_roots) -> dict | None
    make_demo_certificate(ws) -> Path   (+ demo_signing_settings() for sikro.toml)
"""

import logging

# pyHanko logs path-building failures with full tracebacks (an untrusted signer is
# a normal answer here, reported in SignatureReport): keep them off the terminal.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())
    logging.getLogger(_name).propagate = False

# These imports come after quieting pyHanko's loggers on purpose (hence noqa: E402).
from .credentials import PASSPHRASE_ENV, Credentials, load_credentials, resolve_passphrase  # noqa: E402
from .demo_ca import demo_signing_settings, enable_demo_signing, make_demo_certificate  # noqa: E402
from .sign import SignRequest, request_from_profile, sign_pdf, sign_workspace_pdf, signing_settings  # noqa: E402
from .validate import SignatureReport, signature_summary, validate_signatures  # noqa: E402


def workspace_trust_roots(ws) -> list:
    """The [signing] trust_roots of the profile, as paths under the workspace."""
    return [ws.root / p for p in signing_settings(ws.profile).get("trust_roots", [])]


__all__ = [
    "PASSPHRASE_ENV", "Credentials", "SignRequest", "SignatureReport", "demo_signing_settings",
    "enable_demo_signing",
    "load_credentials", "make_demo_certificate", "request_from_profile", "resolve_passphrase",
    "sign_pdf", "sign_workspace_pdf", "signature_summary", "signing_settings", "validate_signatures",
    "workspace_trust_roots",
]
