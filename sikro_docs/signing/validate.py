"""Checking the PAdES signatures of a PDF with pyHanko's validator.

Two separate questions, answered separately:
* intact: are the signed bytes unchanged (and is anything added after the
  signature of a kind a later signature may add)?
* trusted: does the signer's certificate chain up to one of the given roots?

An intact signature from an unknown signer is reported as intact and
untrusted, never as broken. Only the given roots are trusted (no operating
system store), and nothing is fetched from the network: the answer is the
same on the office machine and on an offline verifier.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import SikroError, UnusableInput


@dataclass
class SignatureReport:
    field: str
    intact: bool
    trusted: bool
    signer: str | None
    signed_at: str | None
    reason: str | None
    covers_whole_file: bool
    message: str

    def as_json(self) -> dict:
        return asdict(self)


def validate_signatures(pdf_path: Path, trust_roots: list[Path] | None = None) -> list[SignatureReport]:
    """One report for each signature in the PDF, in signing order; [] when unsigned."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    context = _validation_context(trust_roots or [])
    data = _read(Path(pdf_path))
    try:
        import io

        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception as err:
        raise UnusableInput(f"{Path(pdf_path).name}: cannot read the PDF's signatures: "
                            f"{_one_line(err)}") from None
    return [_report(sig, context) for sig in signatures]


def signature_summary(pdf_path: Path, trust_roots: list[Path] | None = None) -> dict | None:
    """For `sikro verify --json`: the verdict on all signatures, None when there are none."""
    reports = validate_signatures(pdf_path, trust_roots)
    if not reports:
        return None
    last = reports[-1]
    return {
        "intact": all(r.intact for r in reports),
        "trusted": all(r.trusted for r in reports),
        "signer": last.signer,
        "signed_at": last.signed_at,
        "covers_whole_file": last.covers_whole_file,
        "count": len(reports),
        "message": last.message if all(r.intact for r in reports)
        else next(r.message for r in reports if not r.intact),
        "signatures": [r.as_json() for r in reports],
    }


def load_trust_roots(paths: list[Path]):
    """asn1crypto certificates from PEM or DER files (a PEM file may hold several)."""
    from pyhanko.keys import load_certs_from_pemder

    try:
        return list(load_certs_from_pemder([str(p) for p in paths]))
    except (OSError, ValueError) as err:
        raise SikroError(f"cannot read the trust roots {', '.join(map(str, paths))}: "
                         f"{_one_line(err)}") from None


# --------------------------------------------------------------------------- details

def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise UnusableInput(f"cannot read {path}: {err.strerror or err}") from None


def _validation_context(trust_roots: list[Path]):
    from pyhanko_certvalidator import ValidationContext

    # trust_roots=[] (not None): None would silently trust the operating system's store.
    return ValidationContext(trust_roots=load_trust_roots(trust_roots), allow_fetching=False,
                             revocation_mode="soft-fail")


def _key_usage():
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    return KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"},
                               match_all_key_usages=False)


def _report(sig, context) -> SignatureReport:
    from pyhanko.sign.validation import validate_pdf_signature

    field = sig.field_name
    try:
        status = validate_pdf_signature(sig, context, key_usage_settings=_key_usage())
    except Exception as err:  # a mangled signature dictionary or CMS blob: broken, not a crash
        return SignatureReport(field, False, False, None, None, _reason(sig), False,
                               f"signature cannot be checked: {_one_line(err)}")
    return _from_status(field, sig, status)


def _from_status(field: str, sig, status) -> SignatureReport:
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    changes_allowed = status.docmdp_ok or status.modification_level is None
    intact = bool(status.intact and status.valid and changes_allowed)
    signed_at = status.signer_reported_dt
    if status.timestamp_validity is not None:
        signed_at = status.timestamp_validity.timestamp
    return SignatureReport(
        field=field, intact=intact, trusted=bool(intact and status.trusted),
        signer=_common_name(status.signing_cert),
        signed_at=signed_at.isoformat() if signed_at else None,
        reason=_reason(sig),
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        message=_message(status, intact, changes_allowed),
    )


def _message(status, intact: bool, changes_allowed: bool) -> str:
    if not (status.intact and status.valid):
        return "signature broken: the signed content was changed after signing"
    if not changes_allowed:
        return "signature broken: the document was changed after signing in a way the signature forbids"
    if status.revoked:
        return "intact, but the signer's certificate is revoked"
    if not status.trusted:
        problem = status.trust_problem_indic.name if status.trust_problem_indic else "unknown issuer"
        return f"intact, but the signer's certificate is not trusted here ({problem})"
    return "intact and trusted"


def _common_name(cert) -> str | None:
    if cert is None:
        return None
    return cert.subject.native.get("common_name") or cert.subject.human_friendly


def _reason(sig) -> str | None:
    value = sig.sig_object.get("/Reason")
    return str(value) if value is not None else None


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split()) or type(err).__name__
