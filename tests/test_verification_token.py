"""The signed token: size, contents (never the NIK), and resistance to tampering."""

from __future__ import annotations

import base64
import random

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_verification_support import LONG_NAME, LONG_WORKPLACE, NIK, make_document

from sikro_docs import permit_types
from sikro_docs.verification import (
    KIND_CODES,
    load_public_keys,
    qr_info,
    short_code,
    token_from_text,
    verify_token,
)
from sikro_docs.verification.qr import MAX_URL_CHARS, MAX_VERSION
from sikro_docs.verification.token import BASE32_CHARS, SIGNATURE_SIZE, TokenError

NEVER_VALID = {"invalid", "unknown-key"}


@pytest.fixture
def permit(workspace):
    return make_document(workspace)


def payload_of(token: str) -> list:
    data = base64.b32decode(token + "=" * (-len(token) % 8))
    return cbor2.loads(data[:-SIGNATURE_SIZE])


def test_realistic_permit_fits_qr_version_13_in_alphanumeric_mode(permit):
    info = qr_info(permit.token.url)
    report = (f"URL {len(permit.token.url)} chars, token {len(permit.token.token)} chars, "
              f"QR version {info.version}-{info.error} {info.mode}")
    print(report)
    assert len(permit.number) == 35, permit.number
    assert info.mode == "alphanumeric", report
    assert info.error == "M", report
    assert info.version <= MAX_VERSION, report
    assert permit.token.url == permit.token.url.upper()
    assert permit.token.url.startswith("HTTPS://VERIFIKASI.DPMPTSP.DAIRIKAB.GO.ID/V/")


def test_payload_carries_the_document_and_never_the_nik(workspace, permit):
    fields = payload_of(permit.token.token)
    ptype = permit_types.default(workspace)
    assert fields[0] == 2 and fields[2] == KIND_CODES["permit"] and fields[3] == ptype.code
    # The type code costs a few bytes: the longest text (this holder) loses its last characters.
    assert fields[4] == permit.number and LONG_NAME.startswith(fields[7].rstrip("…"))
    assert len(fields[7]) >= len(LONG_NAME) - 8
    assert dict(zip(ptype.qr_fields, fields[8], strict=True))["nama_tempat_kerja"] == LONG_WORKPLACE
    assert base64.b32encode(fields[9]).decode() == permit.uid
    everything = repr(fields) + permit.token.url + permit.token.token
    for nik_like in (NIK, NIK[:12], NIK[-10:]):
        assert nik_like not in everything
    raw = base64.b32decode(permit.token.token + "=" * (-len(permit.token.token) % 8))
    assert NIK.encode() not in raw and int(NIK).to_bytes(8, "big") not in raw


def test_receipt_opens_the_progress_page_without_nik(workspace):
    receipt = make_document(workspace, kind="receipt", numbered="none")
    assert "/P/" in receipt.token.url and qr_info(receipt.token.url).mode == "alphanumeric"
    fields = payload_of(receipt.token.token)
    assert fields[4].startswith("REG/") and fields[8] == [] and NIK not in repr(fields)
    verdict = verify_token(workspace, receipt.token.token)
    assert verdict.status == "valid" and verdict.kind == "receipt"


def test_overlong_names_are_shortened_to_stay_within_version_13(workspace):
    long = make_document(workspace, name="Prof. Dr. " + "Sitanggang " * 12 + "S.K.M.",
                         workplace="Optik " + "Sinar Terang Jaya " * 8)
    assert len(long.token.url) <= MAX_URL_CHARS
    assert qr_info(long.token.url).version <= MAX_VERSION
    verdict = verify_token(workspace, long.token.token)
    assert verdict.status == "valid" and verdict.holder.startswith("Prof. Dr. Sitanggang")


def test_seeded_one_character_mutations_never_verify(workspace, permit):
    token, keys = permit.token.token, load_public_keys(workspace)
    rng = random.Random(20260307)
    alphabet = BASE32_CHARS + "01890a-"
    for _ in range(3000):
        at = rng.randrange(len(token))
        choice = rng.choice([c for c in alphabet if c.upper() != token[at]])
        mutated = token[:at] + choice + token[at + 1:]
        verdict = verify_token(keys, mutated)
        assert verdict.status in NEVER_VALID, (at, choice, verdict)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_one_character_change_never_verifies(workspace, permit, data):
    token = permit.token.token
    at = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.characters(codec="utf-8").filter(lambda c: c.upper() != token[at]))
    edit = data.draw(st.sampled_from(["replace", "insert", "delete"]))
    mutated = {"replace": token[:at] + replacement + token[at + 1:],
               "insert": token[:at] + replacement + token[at:],
               "delete": token[:at] + token[at + 1:]}[edit]
    if "".join(mutated.split()).upper() == token:
        return  # whitespace or case: the same token, as a person may type it
    assert verify_token(workspace, mutated).status in NEVER_VALID


def test_token_signed_by_another_workspace_is_unknown_key(tmp_path, workspace, permit):
    from sikro_docs.workspace import init_workspace

    other, _ = init_workspace(tmp_path / "other")
    foreign = make_document(other)
    verdict = verify_token(workspace, foreign.token.token)
    assert verdict.status == "unknown-key" and foreign.token.kid in verdict.reason
    assert verify_token(other, foreign.token.token).status == "valid"


def test_token_from_text_accepts_how_people_hand_it_over(permit):
    url, token = permit.token.url, permit.token.token
    host = "VERIFIKASI.DPMPTSP.DAIRIKAB.GO.ID"
    for text in (url, url.lower(), url.split("://")[1], f"  {url}\n", token, token.lower()):
        assert token_from_text(text, host) == token
    for text in (url.replace("DAIRIKAB", "DAIRIKAB-GO"), url.replace("/V/", "/X/"),
                 url + "?X=1", "https://example.org/", "not a code at all"):
        with pytest.raises(TokenError):
            token_from_text(text, host)


def test_short_code_groups_the_uid(permit):
    code = short_code(permit.uid)
    assert code.replace("-", "") == permit.uid and len(permit.uid) <= 16
    assert all(len(group) == 4 for group in code.split("-"))


def test_kind_codes_are_unique_and_cover_every_document_kind():
    from sikro_docs.numbering import document_kinds

    assert len(set(KIND_CODES.values())) == len(KIND_CODES)
    assert set(document_kinds()) <= set(KIND_CODES), "a new kind needs a new code at the end of KIND_CODES"
    for kind in ("permit", "rejection", "recommendation-request", "task-order", "receipt"):
        assert kind in KIND_CODES


def test_document_ids_are_random_and_unguessable(workspace):
    uids = {make_document(workspace, numbered="none", kind="receipt").uid for _ in range(3)}
    assert len(uids) == 3
    assert all(len(base64.b32decode(u)) == 10 for u in uids)  # 80 random bits each


# --------------------------------------------------------------------------- the same work for every bad code


def counting_verifications(monkeypatch) -> list:
    """Count calls of the one Ed25519 verification primitive (the real check still runs)."""
    from sikro_docs.verification import token as tk

    calls = []
    real = tk.verify_signature

    def counted(public, signature, payload):
        calls.append(len(payload))
        return real(public, signature, payload)

    monkeypatch.setattr(tk, "verify_signature", counted)
    return calls


def bad_codes(tmp_path, permit) -> dict[str, str]:
    from test_web_support import tamper

    from sikro_docs.workspace import init_workspace

    other, _ = init_workspace(tmp_path / "other")
    return {"malformed": "THISISNOTATOKEN", "not base32": permit.token.token[:-3] + "1!?",
            "too long": "A" * 5000, "unknown key": make_document(other).token.token,
            "bad signature": tamper(permit.token.token)}


def test_every_bad_code_costs_exactly_one_signature_check(tmp_path, workspace, permit, monkeypatch):
    codes = bad_codes(tmp_path, permit)
    calls = counting_verifications(monkeypatch)
    for why, code in codes.items():
        calls.clear()
        assert verify_token(workspace, code).status in NEVER_VALID, why
        assert len(calls) == 1, (why, calls)


def test_a_genuine_code_is_checked_once_then_remembered(workspace, permit, monkeypatch):
    from sikro_docs.verification import verdict

    verdict._VERIFIED.clear()
    calls = counting_verifications(monkeypatch)
    assert verify_token(workspace, permit.token.token).status == "valid"
    assert verify_token(workspace, permit.token.token).status == "valid"
    assert len(calls) == 1
