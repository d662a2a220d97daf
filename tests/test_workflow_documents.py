"""Steps make their documents: receipt, letters, drafts, the numbered permit, the dispatch book line."""

import datetime as dt

import pytest
from workflow_support import make_application, sikro_wf, wib

from sikro_docs import db, numbering
from sikro_docs.models import Application
from sikro_docs.procedure import perform_step
from sikro_docs.workflow import record_step

STEPS = [3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 20, 21, 22, 23]


def test_approved_path_makes_every_document_and_the_permit_verifies(workspace, ws_args):
    ref = make_application(workspace)
    at, made = wib(2027, 8, 2, 8, 30), {}
    for number in STEPS:
        extra = {"decision": "approve", "recommendation": "440/0123/DINKES/VIII/2027"} if number == 8 else {}
        result = perform_step(workspace, ref, number, by="tester", at=at, **extra)
        made[number] = result
        at += dt.timedelta(minutes=40)
    kinds = {n: [(d.kind, d.status) for d in r.documents] for n, r in made.items() if r.documents}
    assert kinds == {3: [("receipt", "issued")], 4: [("disposition", "issued")],
                     6: [("recommendation-request", "issued")],
                     7: [("task-order", "issued"), ("inspection-report", "issued")],
                     17: [("permit", "draft")], 21: [("permit", "issued")]}
    assert made[17].documents[0].number is None
    permit = made[21].documents[0]
    assert permit.number and permit.pdf and permit.pdf.endswith(".pdf")
    assert made[22].dispatch == "1/2027" and made[23].outcome == "issued"
    with db.session(workspace) as session:
        lines = numbering.list_dispatches(session)
    assert [(line["number"], line["addressee"]) for line in lines] == [(permit.number, "Rina Sitanggang")]
    r = sikro_wf("verify", permit.pdf, *ws_args)
    assert r.code == 0, r.out + r.err


def _walk_to_the_permit_draft(workspace, ref):
    """Steps 3-16 recorded without their documents, then step 17 with its (draft) documents."""
    at = wib(2027, 8, 2, 8, 30)
    for number in [n for n in STEPS if n < 17]:
        extra = {"decision": "approve", "recommendation": "440/0123/DINKES/VIII/2027"} if number == 8 else {}
        record_step(workspace, ref, number, by="tester", at=at, **extra)
        at += dt.timedelta(minutes=40)
    return perform_step(workspace, ref, 17, by="tester", at=at)


def _app_id(workspace, ref):
    with db.session(workspace) as session:
        return session.query(Application).filter_by(registration_number=ref).one().id


def _number_file(workspace):
    def produce(document):
        path = workspace.out_dir / f"{document.uid}.txt"
        path.write_text(document.number or "")
        return [path]
    return produce


def test_an_approved_pencabutan_gets_its_revocation_decree_and_no_permit(workspace):
    ref = make_application(workspace, permit_type="sipb", application_kind="pencabutan",
                           previous_number="503/0012/SIPB/DPMPTSPK/2021", previous_date=dt.date(2021, 6, 14))
    drafted = _walk_to_the_permit_draft(workspace, ref)
    assert [(d.kind, d.status) for d in drafted.documents] == [("revocation-decree", "draft")]
    app_id = _app_id(workspace, ref)
    with pytest.raises(numbering.KindNotForApplication):
        numbering.issue_document(workspace, kind="permit", application_id=app_id, on=dt.date(2027, 8, 3),
                                 produce=_number_file(workspace))
    decree = numbering.issue_document(workspace, kind="revocation-decree", application_id=app_id,
                                      on=dt.date(2027, 8, 3), produce=_number_file(workspace))
    assert (decree.register, decree.number) == ("keputusan", "500.16.7.2/0001/KEP/DPMPTSPK/2027")


def test_a_renewal_gets_a_new_permit_numbered_from_its_types_register(workspace):
    ref = make_application(workspace, permit_type="sipb", application_kind="perpanjangan",
                           previous_number="503/0012/SIPB/DPMPTSPK/2021", previous_date=dt.date(2021, 6, 14))
    drafted = _walk_to_the_permit_draft(workspace, ref)
    assert [(d.kind, d.status) for d in drafted.documents] == [("permit", "draft")]
    permit = numbering.issue_document(workspace, kind="permit", application_id=_app_id(workspace, ref),
                                      on=dt.date(2027, 8, 3), produce=_number_file(workspace))
    assert (permit.register, permit.number) == ("izin-sipb", "503/0001/SIPB/DPMPTSPK/2027")
    with db.session(workspace) as session:
        [entry] = numbering.list_entries(session, workspace, "izin-sipb")
    assert entry["subject"] == "SIPB a.n. Rina Sitanggang" and entry["permit_type"] == "SIPB"
    assert entry["tempat"] == "Puskesmas Sidikalang, Jl. Pahlawan No. 5, Sidikalang"
