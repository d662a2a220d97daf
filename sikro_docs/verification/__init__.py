"""Verification of the office's documents: signed QR codes a citizen can check, even offline.

Every numbered outgoing document carries a QR code with the URL
`HTTPS://<verification host>/V/<token>`; the receipt's opens the progress
page `/P/<token>`. The token is signed (Ed25519) and names its key, so an
old paper still verifies after a key rotation. See `token` for the format.

Public API (the web page and the batch use these):

    sign_document(ws, document, application) -> Token (token, url, short_code, kid)
    record_signing(session, document_id, token)  (after sign_document(..., record=False))
    make_qr_png(url, mm=27, dpi=300) -> PNG bytes;  short_code(uid) -> "K7Q2-M9XD-..."
    verify_token(ws_or_keys, token, online=True, session=None) -> Verdict
    verify_input(ws, text_or_path, online=True) -> Verdict   (UnusableInput when unreadable)
    token_from_text(text) -> token;  read_qr_codes(path) -> [text, ...]
    load_public_keys(ws) -> {kid: Ed25519PublicKey};  load_keys_file(path) -> KeySet
    revoke(session, number, reason);  replace(session, document, successor)  (DIGANTI, final)
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import SikroError, UnusableInput
from ..workspace import Workspace
from .qr import iter_qr_codes, make_qr_png, qr_info, read_qr_codes
from .token import KIND_CODES, TokenError, host_of, short_code, token_from_text, uid_from_short_code
from .verdict import (
    INVALID,
    DocumentVerification,
    KeySet,
    Token,
    Verdict,
    active_key_id,
    export_public_keys,
    load_keys_file,
    load_public_keys,
    record_signing,
    replace,
    revoke,
    revoke_document,
    sign_document,
    verify_token,
    verify_uid,
)

__all__ = [
    "KIND_CODES", "DocumentVerification", "KeySet", "Token", "TokenError", "Verdict",
    "active_key_id", "export_public_keys", "load_keys_file", "load_public_keys", "make_qr_png",
    "qr_info", "read_qr_codes", "record_signing", "replace", "revoke", "revoke_document", "short_code", "sign_document",
    "token_from_text", "verify_input", "verify_token", "verify_uid",
]

FILE_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp")
SHOWN_FOREIGN_CHARS = 60


def verify_input(ws: Workspace | None, text_or_path, online: bool = True, *,
                 keys: KeySet | None = None) -> Verdict:
    """Judge what a person hands over: QR text or URL, short code, image or PDF.

    `keys` (an offline verifier's key file) replaces the workspace's keys and
    makes the check offline. Raises UnusableInput when a file cannot be read
    or holds no QR code.
    """
    checker = keys if keys is not None else ws
    if checker is None:
        raise SikroError("verification needs a workspace or a key file (--keys)")
    online = online and keys is None and ws is not None
    host = _expected_host(ws, keys)
    path = _existing_file(text_or_path)
    if path is not None:
        return _verify_file(checker, path, host, online)
    text = str(text_or_path)
    uid = uid_from_short_code(text)
    if uid is not None:
        if not online:
            raise SikroError("a short code can only be checked online, against the office's registry.")
        return verify_uid(ws, uid)
    return _verify_text(checker, text, host, online)


def _expected_host(ws: Workspace | None, keys: KeySet | None) -> str | None:
    if keys is not None:
        return host_of(keys.base_url) if keys.base_url else None
    base = ws.profile.get("verification", {}).get("base_url", "") if ws else ""
    return host_of(base) if base else None


def _existing_file(text_or_path) -> Path | None:
    """The file named by the input, None for text; UnusableInput for a missing file or a folder."""
    if isinstance(text_or_path, os.PathLike):
        path = Path(text_or_path)
    else:
        text = str(text_or_path).strip()
        path = Path(text).expanduser()
        looks_like_file = text.lower().endswith(FILE_SUFFIXES) or text.startswith(("/", "./", "~"))
        if not looks_like_file and not _exists(path):
            return None
    if _exists(path) and path.is_dir():
        raise UnusableInput(f"{path}: is a folder, not an image or PDF")
    if not _exists(path) or not path.is_file():
        raise UnusableInput(f"{path}: no such file")
    return path


def _exists(path: Path) -> bool:
    """Like Path.exists, False for what cannot be a file name at all (a 400-character token)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _verify_text(checker, text: str, host: str | None, online: bool) -> Verdict:
    try:
        token = token_from_text(text, host)
    except TokenError as exc:
        shown = text.strip()[:SHOWN_FOREIGN_CHARS]
        return Verdict(INVALID, reason=f"not a verification code of this office ({exc}): {shown!r}")
    return verify_token(checker, token, online=online)


def _verify_file(checker, path: Path, host: str | None, online: bool) -> Verdict:
    """The verdict of the first QR code in the file that is ours (checked before trusting it)."""
    foreign: list[tuple[str, str]] = []
    from .qr import ScanLimits  # the workspace's [limits.scan]; a key file alone: the defaults

    for text in iter_qr_codes(path, ScanLimits.from_profile(getattr(checker, "profile", None))):
        try:
            token = token_from_text(text, host)
        except TokenError as exc:
            foreign.append((text, str(exc)))
            continue
        return verify_token(checker, token, online=online)
    if not foreign:
        raise UnusableInput(f"{path}: no QR code found")
    text, why = foreign[0]
    return Verdict(INVALID, reason=f"the QR code in {path.name} is not a verification code of this office "
                                   f"({why}): {text[:SHOWN_FOREIGN_CHARS]!r}")
