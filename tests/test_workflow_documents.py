"""Steps make their documents: receipt, letters, drafts, the numbered permit, the dispatch book line."""

import datetime as dt

from workflow_support import make_application, sikro_wf, wib

from sikro_docs import db, numbering
from sikro_docs.workflow import record_step

STEPS = [3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 20, 21, 22, 23]


def test_approved_path_makes_every_document_and_the_permit_verifies(workspace, ws_args):
    ref = make_application(workspace)
    at, made = wib(2027, 8, 2, 8, 30), {}
    for number in STEPS:
        extra = {"decision": "approve", "recommendation": "440/0123/DINKES/VIII/2027"} if number == 8 else {}
        result = record_step(workspace, ref, number, by="tester", at=at, **extra)
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
