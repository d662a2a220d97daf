"""QR codes of every permit type (wire format 2), DIGANTI and DICABUT by application kind."""

from __future__ import annotations

import base64
import datetime as dt

import cbor2
import pytest
from registers_support import sql, sql_many
from test_verification_support import make_document

from sikro_docs import application_kinds, clock, db, numbering, permit_types
from sikro_docs.cli import cli
from sikro_docs.models import Application, Event
from sikro_docs.verification import DocumentVerification, load_public_keys, qr_info, verify_token
from sikro_docs.verification.qr import MAX_URL_CHARS, MAX_VERSION
from sikro_docs.verification.token import SIGNATURE_SIZE
from sikro_docs.verification.verdict import AlreadyFinal, replace

ON = dt.date(2026, 3, 7)
NOW = "2026-03-10T10:00:00+07:00"


def example_facts(ptype) -> dict:
    """The type's own fields filled from each field's example (data, not code), as stored."""
    def stored(fld):
        if fld.kind in ("date", "date_or_lifetime"):
            try:
                return dt.datetime.strptime(fld.example, "%d-%m-%Y").date().isoformat()
            except ValueError:
                return None  # "Seumur Hidup"
        return int(fld.example) if fld.kind == "number" else fld.example
    return {f.storage_key: stored(f) for f in ptype.own_fields}


def fmt(fld, value) -> str:
    if value is None:
        return ""
    if fld.kind in ("date", "date_or_lifetime"):
        return dt.date.fromisoformat(value).strftime("%d-%m-%Y")
    return str(value)


def payload_of(token: str) -> list:
    data = base64.b32decode(token + "=" * (-len(token) % 8))
    return cbor2.loads(data[:-SIGNATURE_SIZE])


@pytest.fixture(params=[c for c in permit_types.catalogue().codes()])
def ptype(request):
    return permit_types.get(None, request.param)


def test_each_type_signs_its_code_and_its_own_qr_fields(workspace, ptype):
    facts = example_facts(ptype)
    with clock.frozen(NOW):
        issued = make_document(workspace, permit_type=ptype.code, facts=facts, on=ON)
        verdict = verify_token(workspace, issued.token.token)
    fields = payload_of(issued.token.token)
    by_name = ptype.by_name
    expected = [fmt(by_name[name], facts[by_name[name].storage_key]) for name in ptype.qr_fields]
    assert fields[0] == 2 and fields[3] == ptype.code and fields[8] == expected
    assert verdict.status == "valid", verdict
    assert verdict.permit_type == ptype.code and verdict.permit_type_title == ptype.title
    assert verdict.fields == {by_name[n].shown_label: v for n, v in zip(ptype.qr_fields, expected, strict=True)}
    with db.session(workspace) as session:
        record = session.get(DocumentVerification, issued.document_id)
        assert record.permit_type == ptype.code
        assert record.fields == dict(zip(ptype.qr_fields, expected, strict=True))
    assert qr_info(issued.token.url).version <= MAX_VERSION
    offline = verify_token(load_public_keys(workspace), issued.token.token)  # an offline verifier: built-in types
    assert offline.status == "valid" and not offline.checked_online
    assert offline.permit_type_title == ptype.title and offline.fields == verdict.fields


def test_the_longest_field_is_shortened_to_fit(workspace):
    ptype = permit_types.get(workspace, "sipb")
    facts = example_facts(ptype)
    place = ptype.by_name[ptype.qr_fields[1]]
    facts[place.storage_key] = "Praktik Mandiri Bidan " + "Sinar Terang Jaya Abadi " * 6
    with clock.frozen(NOW):
        issued = make_document(workspace, permit_type="sipb", facts=facts, on=ON)
        verdict = verify_token(workspace, issued.token.token)
    assert len(issued.token.url) <= MAX_URL_CHARS and qr_info(issued.token.url).version <= MAX_VERSION
    shown = verdict.fields[place.shown_label]
    assert shown.endswith("…") and facts[place.storage_key].startswith(shown[:-1])
    assert verdict.status == "valid"  # the record holds the same shortened text


@pytest.mark.parametrize("column,value", [("permit_type", "sipa"),
                                          ("fields", '{"no_str": "X", "nama_tempat_praktik": "Y", "sip_ke": "1"}')])
def test_an_edited_type_or_field_is_a_mismatch(workspace, column, value):
    ptype = permit_types.get(workspace, "sipb")
    with clock.frozen(NOW):
        issued = make_document(workspace, permit_type="sipb", facts=example_facts(ptype), on=ON)
        sql(workspace, f"update document_verification set {column} = ? where document_id = ?",
            (value, issued.document_id))
        verdict = verify_token(workspace, issued.token.token)
    assert verdict.status == "invalid" and verdict.reason_code == "registry-mismatch"
    assert column in verdict.reason


# --------------------------------------------------------------------------- application kinds


def issue_permit_of(ws, application_id: int, kind: str = "permit") -> numbering.Document:
    """Issue `kind` for the application the way every command does (numbering.issue_documents)."""
    [document] = numbering.issue_documents(ws, kind=kind, requests=[numbering.IssueRequest(application_id)],
                                           on=ON, produce=lambda document: [])
    assert not isinstance(document, Exception), document
    return document


def application_of(ws, document_id: int) -> int:
    with db.session(ws) as session:
        return session.get(numbering.Document, document_id).application_id


def renewal(ws, previous: int, kind: str = "perpanjangan"):
    ptype = permit_types.get(ws, "sipb")
    return make_document(ws, permit_type="sipb", facts=example_facts(ptype), on=ON, application_kind=kind,
                         previous=previous, kind="rejection", numbered="plain")


def test_a_renewals_permit_makes_the_previous_one_diganti(workspace):
    ptype = permit_types.get(workspace, "sipb")
    with clock.frozen(NOW):
        old = make_document(workspace, permit_type="sipb", facts=example_facts(ptype), on=ON)
        application = application_of(workspace, renewal(workspace, old.document_id).document_id)
        new = issue_permit_of(workspace, application)
        verdict = verify_token(workspace, old.token.token)
    assert verdict.status == "replaced" and verdict.replaced_by == new.number
    assert verdict.replaced_at is not None and verdict.reason == f"diganti dengan izin Nomor {new.number}"
    assert verdict.permit_type_title == ptype.title  # what it was stays shown
    with db.session(workspace) as session:
        record = session.get(DocumentVerification, old.document_id)
        assert record.replaced_by_id == new.id
        events = session.query(Event).filter(Event.action == "document.replaced").all()
        assert [e.details["number"] for e in events] == [old.number]
        assert events[0].details["replaced_by"] == new.number


def test_diganti_is_chained_so_an_edit_is_found(workspace):
    from sikro_docs import chain

    ptype = permit_types.get(workspace, "sipb")
    with clock.frozen(NOW):
        old = make_document(workspace, permit_type="sipb", facts=example_facts(ptype), on=ON)
        application = application_of(workspace, renewal(workspace, old.document_id, "perubahan").document_id)
        issue_permit_of(workspace, application)
    with db.session(workspace) as session:
        state = chain.latest(session, numbering.DOCUMENT_STREAM)[old.uid]
        assert state["status"] == "replaced" and state["replaced_by_id"] is not None
        assert not [p for p in chain.verify(session, workspace) if old.uid in p or old.number in p]
    sql_many(workspace, [
        ("update document_verification set replaced_by_id = null, replaced_at = null where document_id = ?",
         (old.document_id,)),
        ("update documents set status = 'issued' where id = ?", (old.document_id,))])
    with db.session(workspace) as session:
        problems = chain.verify(session, workspace)
    assert any(old.number in p or old.uid in p for p in problems), problems


def test_diganti_is_final(workspace):
    ptype = permit_types.get(workspace, "sipb")
    with clock.frozen(NOW):
        old = make_document(workspace, permit_type="sipb", facts=example_facts(ptype), on=ON)
        first = issue_permit_of(workspace, application_of(workspace, renewal(workspace, old.document_id).document_id))
        second = issue_permit_of(workspace, application_of(workspace, renewal(workspace, old.document_id).document_id))
        with pytest.raises(AlreadyFinal) as refused, db.session(workspace, write=True) as session:
            replace(session, session.get(numbering.Document, old.document_id),
                    session.get(numbering.Document, second.id))
        verdict = verify_token(workspace, old.token.token)
    assert refused.value.code == "permit-final" and refused.value.successor == first.number
    assert verdict.status == "replaced" and verdict.replaced_by == first.number
    with db.session(workspace) as session:
        refusals = session.query(Event).filter(Event.action == "document.effect-refused").all()
    assert [e.details["number"] for e in refusals] == [second.number]


def test_a_revocation_decree_makes_the_previous_permit_dicabut(workspace):
    ptype = permit_types.get(workspace, "sipb")
    reason = "pemegang izin pindah domisili ke luar daerah"
    with clock.frozen(NOW):
        old = make_document(workspace, permit_type="sipb", facts=example_facts(ptype), on=ON)
        request = renewal(workspace, old.document_id, "pencabutan")
        with db.session(workspace, write=True) as session:
            app = session.get(Application, session.get(numbering.Document, request.document_id).application_id)
            app.rejection_reason = reason
            decree = numbering.Document(uid=numbering.new_uid(), application_id=app.id, kind="revocation-decree",
                                        date=ON, status="issued", files=[], number="TEST/SK/0001/2026")
            session.add(decree)
            session.flush()
            application_kinds.on_issued(session, decree)  # what issue_documents calls for it
        verdict = verify_token(workspace, old.token.token)
    assert verdict.status == "revoked" and verdict.reason == reason
    with db.session(workspace) as session:
        [event] = session.query(Event).filter(Event.action == "document.revoked").all()
    assert event.details["decree"] == "TEST/SK/0001/2026"


def test_a_new_application_changes_nothing_else(workspace):
    ptype = permit_types.get(workspace, "sipb")
    with clock.frozen(NOW):
        other = make_document(workspace, permit_type="sipb", facts=example_facts(ptype), on=ON)
        fresh = renewal(workspace, None, "baru")
        issue_permit_of(workspace, application_of(workspace, fresh.document_id))
        assert verify_token(workspace, other.token.token).status == "valid"


def test_the_cli_shows_diganti_with_the_successor(workspace, ws_args):
    from click.testing import CliRunner

    ptype = permit_types.get(workspace, "sipb")
    with clock.frozen(NOW):
        old = make_document(workspace, permit_type="sipb", facts=example_facts(ptype), on=ON)
        new = issue_permit_of(workspace, application_of(workspace, renewal(workspace, old.document_id).document_id))
        result = CliRunner().invoke(cli, ["verify", old.token.url, *map(str, ws_args)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"DIGANTI — {ptype.title} {old.number}")
    assert f"diganti dengan izin Nomor {new.number}" in result.output
    for fld in (ptype.by_name[n] for n in ptype.qr_fields):
        assert fld.shown_label in result.output
