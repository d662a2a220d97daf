"""The signed verification token: what a document's QR code carries.

A token is Base32 (RFC 4648 alphabet, upper case, no padding) of

    payload || Ed25519 signature (64 bytes over payload)

where the payload is a CBOR array. Format version 2 (permit types):

    [2, key id (5 raw bytes), kind code, permit type code, number, issued
     (days since 2000-01-01), valid until (days, or null), holder,
     [the values of the type's `qr_fields`, in the type's order],
     document uid (10 raw bytes)]

Format version 1 (codes printed before permit types existed) is still read:

    [1, key id, kind code, number, issued, valid until, holder, value,
     value, document uid]

its two values are the fields of the type whose data names them as
`legacy_wire` (the verifier gives them their names: `Payload.version`
says which format, `Payload.values` holds the values by position).

Never the NIK: the NIK is protected personal data and a QR code is
public. Dates are day counts and the key id and uid raw bytes because
every byte grows the QR code; the whole URL must stay at QR version 13
or below at error correction M (27 mm printed).

The version and key id sit at fixed offsets at the start of the payload,
so a verifier finds the key and checks the signature *before* decoding
any CBOR: bytes nobody signed are never parsed.

`open_token` does the same work for every code it is given (malformed,
signed by a key that is not ours, altered, genuine): one Base32 decode
into a buffer of fixed size, one Ed25519 verification (against a dummy
key when the code names no key of ours), constant-time comparisons; only
then does it say what was wrong. So the time of an answer does not tell
a forger which of the three he got wrong.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

FORMAT_VERSION = 2  # what sign_document writes
LEGACY_VERSION = 1  # read only: codes printed before permit types
SIGNATURE_SIZE = 64
KEY_ID_SIZE = 5  # keys.key_id() is 8 Base32 characters = 40 bits = 5 bytes
UID_SIZE = 10  # numbering.new_uid() is 16 Base32 characters = 80 bits
EPOCH = dt.date(2000, 1, 1)
FIELD_COUNT = 10

# CBOR: array(10), unsigned 2 (the version), byte string of length 5 (the key id).
HEADER = bytes([0x80 | FIELD_COUNT, FORMAT_VERSION, 0x40 | KEY_ID_SIZE])
LEGACY_HEADER = bytes([0x80 | FIELD_COUNT, LEGACY_VERSION, 0x40 | KEY_ID_SIZE])
KEY_ID_AT = slice(len(HEADER), len(HEADER) + KEY_ID_SIZE)

# Document kind <-> the small integer in the token. A code, once printed
# on a paper, means that kind forever: add new kinds at the end, never
# renumber or reuse a code.
KIND_CODES: dict[str, int] = {
    "permit": 1,
    "rejection": 2,
    "recommendation-request": 3,
    "task-order": 4,
    "receipt": 5,
    "registration": 6,
    "checklist-return": 7,
    "disposition": 8,
    "inspection-report": 9,
    "revocation-decree": 10,  # Surat Keputusan Pencabutan (issue 14)
}
KINDS_BY_CODE = {code: kind for kind, code in KIND_CODES.items()}

# The receipt's QR opens the application's progress page; every other
# document's opens its verification page.
PROGRESS_KINDS = frozenset({"receipt"})
VERIFY_PATH, PROGRESS_PATH = "V", "P"

BASE32_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_BASE32 = re.compile(r"^[A-Z2-7]+$")
# The shortest token possible: header, uid and signature around empty fields.
MIN_TOKEN_BYTES = len(HEADER) + KEY_ID_SIZE + UID_SIZE + SIGNATURE_SIZE
MIN_TOKEN_CHARS = -(-MIN_TOKEN_BYTES * 8 // 5)
# Longer than any token we sign (QR version 13 holds < 400 characters). A multiple of 8, so that
# every code decodes into the same buffer of MAX_TOKEN_CHARS * 5 // 8 bytes.
MAX_TOKEN_CHARS = 1000
_NOT_BASE32 = re.compile(r"[^A-Z2-7]")
# Verifies nothing (nobody has its private half): the check a code naming no key of ours gets.
_DUMMY_KEY = Ed25519PrivateKey.generate().public_key()

REMEMBERED_MAX = 10_000  # genuine codes open_token remembers (see its `remembered`)
# What is wrong with a code, in the order open_token reports it.
MALFORMED, UNKNOWN_KEY, BAD_SIGNATURE, UNREADABLE = "malformed", "unknown-key", "bad-signature", "unreadable"


class TokenError(ValueError):
    """The text is not a well-formed token of this format (the message says why)."""


@dataclass(frozen=True)
class Payload:
    kind: str
    number: str
    issued: dt.date
    valid_until: dt.date | None
    holder: str
    uid: str  # the Document.uid, 16 Base32 characters
    permit_type: str | None = None  # the type's code (None in version 1: the type with `legacy_wire`)
    values: tuple[str, ...] = ()  # the type's `qr_fields` (version 1: its `legacy_wire`), by position
    version: int = FORMAT_VERSION

    def named(self, names: tuple[str, ...]) -> dict[str, str]:
        """The values by field name (`names`: the type's qr_fields or legacy_wire, in order)."""
        return dict(zip(names, self.values, strict=False))


# --------------------------------------------------------------------------- Base32


def b32encode(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def b32decode(text: str) -> bytes:
    """Strict: upper-case alphabet, and the one canonical spelling of the bytes.

    Without the canonical check, changing the unused low bits of the last
    character would give another token string that decodes to the same
    signed bytes.
    """
    if not _BASE32.match(text):
        raise TokenError("not Base32 (only A-Z and 2-7 allowed)")
    try:
        data = base64.b32decode(text + "=" * (-len(text) % 8))
    except binascii.Error:
        raise TokenError("Base32 of an impossible length") from None
    if b32encode(data) != text:
        raise TokenError("not the canonical Base32 spelling")
    return data


def kid_to_bytes(kid: str) -> bytes:
    raw = b32decode(kid)
    if len(raw) != KEY_ID_SIZE:
        raise TokenError(f"key id {kid!r} is not {KEY_ID_SIZE} bytes")
    return raw


def uid_to_bytes(uid: str) -> bytes:
    raw = b32decode(uid)
    if len(raw) != UID_SIZE:
        raise TokenError(f"document uid {uid!r} is not {UID_SIZE} bytes")
    return raw


# --------------------------------------------------------------------------- dates


def to_days(day: dt.date | None) -> int | None:
    return None if day is None else (day - EPOCH).days


def from_days(days: int | None) -> dt.date | None:
    return None if days is None else EPOCH + dt.timedelta(days=days)


# --------------------------------------------------------------------------- making


def encode_payload(kid: str, payload: Payload) -> bytes:
    """The CBOR of `payload` in its format version (2; version 1 only to make test codes like old ones)."""
    if payload.kind not in KIND_CODES:
        raise TokenError(f"document kind {payload.kind!r} has no token code (add it to KIND_CODES)")
    head = [payload.version, kid_to_bytes(kid), KIND_CODES[payload.kind]]
    dates = [to_days(payload.issued), to_days(payload.valid_until), payload.holder]
    if payload.version == LEGACY_VERSION:
        first, second = (list(payload.values) + ["", ""])[:2]
        fields = [*head, payload.number, *dates, first, second, uid_to_bytes(payload.uid)]
    else:
        fields = [*head, payload.permit_type or "", payload.number, *dates, list(payload.values),
                  uid_to_bytes(payload.uid)]
    data = cbor2.dumps(fields)
    assert data.startswith((HEADER, LEGACY_HEADER)), "the fixed header is what verifiers rely on"
    return data


def token_chars(kid: str, payload: Payload) -> int:
    """Length of the token of `payload` (Base32 of payload and signature)."""
    return -(-(len(encode_payload(kid, payload)) + SIGNATURE_SIZE) * 8 // 5)


def fit_payload(kid: str, payload: Payload, max_chars: int) -> Payload:
    """`payload`, its longest text (holder or a field value) shortened, ending in "…", until the
    token fits.

    Only exceptionally long names do not fit QR version 13; the token then
    carries the start of the name, and the record of what was signed holds
    the same shortened text.
    """
    while token_chars(kid, payload) > max_chars:
        texts = [payload.holder, *payload.values]
        longest = max(range(len(texts)), key=lambda i: len(texts[i]))
        value = texts[longest].rstrip("…")
        if len(value) <= 8:
            raise ValueError(f"the token of {payload.number} cannot fit {max_chars} characters")
        texts[longest] = value[:-1].rstrip() + "…"
        payload = replace(payload, holder=texts[0], values=tuple(texts[1:]))
    return payload


def make_token(private_key, kid: str, payload: Payload) -> str:
    """Sign `payload` with `private_key` (an Ed25519PrivateKey whose id is `kid`)."""
    data = encode_payload(kid, payload)
    return b32encode(data + private_key.sign(data))


def token_path(kind: str) -> str:
    return PROGRESS_PATH if kind in PROGRESS_KINDS else VERIFY_PATH


def token_url(base_url: str, kind: str, token: str) -> str:
    """`HTTPS://HOST/V/TOKEN`, all upper case so the QR stays in alphanumeric mode."""
    return f"{base_url.rstrip('/')}/{token_path(kind)}/{token}".upper()


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class OpenedToken:
    """What open_token found: the payload of a genuine code, else `problem` and `detail`."""

    kid: str | None  # the key the code names (None when malformed)
    payload: Payload | None = None
    problem: str | None = None  # MALFORMED, UNKNOWN_KEY, BAD_SIGNATURE, UNREADABLE; None when genuine
    detail: str = ""


def verify_signature(public: Ed25519PublicKey, signature: bytes, payload: bytes) -> bool:
    """The one Ed25519 check every opened code gets (tests count its calls)."""
    try:
        public.verify(signature, payload)
        return True
    except InvalidSignature:
        return False


def open_token(text: str, keys: Mapping[str, Ed25519PublicKey],
               remembered: MutableMapping[tuple[str, bytes, bytes], Payload] | None = None) -> OpenedToken:
    """Check `text` (a bare token, any case) against `keys` (kid -> public key) with the same work
    whatever is wrong with it (see the module docstring). `remembered` holds codes whose signature
    already verified: (kid, payload, signature) -> Payload; a genuine code found there is not checked
    again, and a genuine code checked now is added."""
    chars = text.strip()[:MAX_TOKEN_CHARS + 1].upper()
    too_long = len(chars) > MAX_TOKEN_CHARS
    chars = chars[:MAX_TOKEN_CHARS]
    length_ok = (len(chars) >= MIN_TOKEN_CHARS) & (not too_long)
    clean = _NOT_BASE32.sub("A", chars)
    buffer = base64.b32decode(clean.ljust(MAX_TOKEN_CHARS, "A"))
    data = buffer[:max(len(clean) * 5 // 8, MIN_TOKEN_BYTES)]
    # The canonical spelling of `data` equals the text only for well-formed Base32 of a possible
    # length whose unused low bits are zero: one comparison instead of three early exits.
    canonical = hmac.compare_digest(b32encode(data).encode("ascii"), chars.encode("utf-8", "surrogatepass"))
    payload, signature = data[:-SIGNATURE_SIZE], data[-SIGNATURE_SIZE:]
    header_ok = (hmac.compare_digest(payload[:len(HEADER)], HEADER)
                 | hmac.compare_digest(payload[:len(LEGACY_HEADER)], LEGACY_HEADER))
    kid = b32encode(payload[KEY_ID_AT])
    public = keys.get(kid)
    cached = (remembered or {}).get((kid, payload, signature))
    well_formed = length_ok & canonical & header_ok
    if cached is not None and well_formed and public is not None:
        return OpenedToken(kid, cached)
    signed = verify_signature(public if public is not None else _DUMMY_KEY, signature, payload)
    diagnosis = _malformed_detail(chars, too_long)  # for every code, so that only a malformed one needs it
    if not well_formed:
        return OpenedToken(None, problem=MALFORMED, detail=diagnosis)
    if public is None:
        return OpenedToken(kid, problem=UNKNOWN_KEY, detail=f"signed with key {kid}, which is not a key of this office")
    if not signed:
        return OpenedToken(kid, problem=BAD_SIGNATURE,
                           detail="the signature does not match: the code was altered or forged")
    try:
        decoded = decode_payload(payload)
    except TokenError as exc:
        return OpenedToken(kid, problem=UNREADABLE, detail=str(exc))
    if remembered is not None:
        if len(remembered) >= REMEMBERED_MAX:
            remembered.clear()  # a simple bound; refilling costs one check per code
        remembered[(kid, payload, signature)] = decoded
    return OpenedToken(kid, decoded)


def _malformed_detail(chars: str, too_long: bool) -> str:
    """Why a code is malformed, for a person (the CLI); the work is already done."""
    if too_long:
        return "too long to be a signed token"
    try:
        data = b32decode(chars)
    except TokenError as exc:
        return str(exc)
    if len(data) < MIN_TOKEN_BYTES:
        return "too short to be a signed token"
    return "unknown token format or version"


def decode_payload(payload: bytes) -> Payload:
    """Decode a payload whose signature has been checked (we wrote these bytes)."""
    try:
        fields = cbor2.loads(payload)
        if fields[0] == LEGACY_VERSION:
            (_version, _kid, code, number, issued, valid_until, holder, first, second, uid) = fields
            permit_type, values = None, (first, second)
        else:
            (_version, _kid, code, permit_type, number, issued, valid_until, holder, values, uid) = fields
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise TypeError("field values are not texts")
        return Payload(
            kind=KINDS_BY_CODE[code], number=number, issued=from_days(issued),
            valid_until=from_days(valid_until), holder=holder, uid=b32encode(uid),
            permit_type=permit_type or None, values=tuple(values), version=fields[0],
        )
    except Exception as exc:  # signed by our key yet unreadable: a format we do not know
        raise TokenError(f"signed payload cannot be read ({type(exc).__name__})") from None


# --------------------------------------------------------------------------- text people type or scan


_URL_PATH = re.compile(r"^/([VP])/([A-Z2-7]+)/?$")


def host_of(base_url: str) -> str:
    return (urlsplit(base_url if "://" in base_url else f"https://{base_url}").hostname or "").upper()


def token_from_text(text: str, host: str | None = None) -> str:
    """The token in a scanned QR text, a URL (any case, scheme optional) or a bare token.

    With `host`, a URL must point at that host: a look-alike domain is not
    ours even when it carries a genuine token. TokenError says why not.
    """
    cleaned = "".join(text.split()).upper()
    if _BASE32.match(cleaned):
        if len(cleaned) < MIN_TOKEN_CHARS:
            raise TokenError("too short to be a verification code")
        return cleaned
    url = cleaned if "://" in cleaned else f"HTTPS://{cleaned}"
    try:
        parts = urlsplit(url)
        found_host = (parts.hostname or "").upper()
    except ValueError:
        raise TokenError("not a verification URL") from None
    match = _URL_PATH.match(parts.path)
    if parts.scheme.upper() not in ("HTTPS", "HTTP") or not found_host or not match or parts.query:
        raise TokenError("not a verification URL of this office")
    if host and found_host != host.upper():
        raise TokenError(f"the URL points at {found_host.lower()}, not at {host.lower()}")
    return match.group(2)


# --------------------------------------------------------------------------- short codes


def short_code(document_uid: str) -> str:
    """The uid in groups of four for typing by hand: `K7Q2-M9XD-ABCD-EFGH`."""
    uid = document_uid.upper()
    return "-".join(uid[i:i + 4] for i in range(0, len(uid), 4))


def uid_from_short_code(text: str) -> str | None:
    """The uid a typed short code names (case, dashes and spaces ignored), else None."""
    cleaned = re.sub(r"[\s\-]", "", text).upper()
    if len(cleaned) != 16 or not _BASE32.match(cleaned):
        return None
    return cleaned
