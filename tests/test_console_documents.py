"""The documents area: a batch of permits made from the form as a real `documents` job (run
in-process as the worker's task does, real LibreOffice), its numbered PDFs and the registers
verifying, a re-run issuing nothing new, the downloads only of files the registry knows, drafts
without a number; the Kepala Dinas's signing queue (the demo certificate, pyHanko validating the
signature, the passphrase never stored); the API; and one look at both pages in real Chromium.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import needs_soffice, needs_tool
from console_support import NOW, PASSWORD, ConsoleServer, csrf_of, make_user, office, signed_in
from sqlalchemy import func, select

from sikro_docs import accounts, clock, db, jobs, numbering
from sikro_docs.jobs import runner
from sikro_docs.models import Application, Event
from sikro_docs.numbering import Document, RegisterEntry
from sikro_docs.signing import enable_demo_signing, validate_signatures, workspace_trust_roots
from sikro_docs.signing.demo_ca import DEMO_DIR, PASSPHRASE_NAME
from sikro_docs.workflow.records import StepRecord
from sikro_docs.workspace import open_workspace

pytestmark = needs_soffice


@pytest.fixture
def desk(workspace):
    """An office with applications at known steps, the demo certificate as [signing], a back office
    clerk (documents.make), the Kepala Dinas (documents.sign) and a front office clerk; clock at NOW."""
    ws, _p12, _added = enable_demo_signing(workspace)
    for username, role in (("budi", "back_office"), ("kadis", "kadis"), ("rina", "front_office")):
        make_user(ws, username, role)
    the_office = office(ws)
    with db.session(ws, write=True) as session:  # what the Tim Teknis's step 8 form records; the permit cites it
        for app in session.scalars(select(Application)):
            app.recommendation_number, app.recommendation_date = "440/0122/DINKES/VIII/2027", dt.date(2027, 8, 2)
    with clock.frozen(NOW):
        yield ws, the_office


def passphrase(ws) -> str:
    return (ws.keys_dir / DEMO_DIR / PASSPHRASE_NAME).read_text("utf-8").rstrip("\r\n")


def make_batch(ws, client, refs, *, kind="permit", draft=False) -> jobs.JobView:
    page = client.get(f"/documents?kind={kind}")
    assert page.status_code == 200, page.text
    data = {"csrf": csrf_of(page.text), "kind": kind, "ref": refs}
    if draft:
        data["draft"] = "yes"
    answer = client.post("/documents", data=data)
    assert answer.status_code == 303, answer.text
    job_id = answer.headers["location"].rsplit("/", 1)[1]
    runner.run_job(str(ws.root), job_id)  # what the worker's task does
    job = jobs.status(ws, job_id)
    assert job.status == jobs.DONE, (job.error, job.result)
    return job


def counts(ws) -> tuple[int, int]:
    with db.session(ws) as session:
        return (session.scalar(select(func.count()).select_from(Document)),
                session.scalar(select(func.count()).select_from(RegisterEntry)))


def verify(ws) -> list[str]:
    with db.session(ws) as session:
        return numbering.verify_registers(session, ws)


# --------------------------------------------------------------------------- a batch


def test_a_batch_from_the_form_makes_numbered_pdfs_and_a_rerun_issues_nothing_new(desk):
    ws, the_office = desk
    budi = signed_in(ws, "budi")
    form = budi.get("/documents?kind=permit")
    for ref in (the_office.at_step18, the_office.at_step20, the_office.at_step22):
        assert ref in form.text  # ready for the permit: past the recommendation, none issued yet
    assert the_office.at_step5 not in form.text and "1211014503910003" not in form.text  # the NIK masked
    assert "121101******0003" in form.text
    job = make_batch(ws, budi, [the_office.at_step20, the_office.at_step22])
    docs = job.result["documents"]
    assert [d["status"] for d in docs] == ["issued", "issued"], [d["message"] for d in docs]
    assert all(d["number"] for d in docs)
    assert all(Path(d["pdf"]).read_bytes().startswith(b"%PDF") for d in docs)
    assert verify(ws) == []
    assert f"/documents/result/{job.id}" in budi.get(f"/jobs/{job.id}").text
    page = budi.get(f"/documents/result/{job.id}")
    assert page.status_code == 200 and all(d["number"] in page.text for d in docs)
    assert "Langkah SOP 21 dicatat untuk 0 permohonan; 2 permohonan belum" in page.text  # the batch's note, worded
    for d in docs:
        pdf = budi.get(f"/documents/result/{job.id}/pdf/{d['document_id']}")
        assert pdf.status_code == 200 and pdf.content == Path(d["pdf"]).read_bytes()
        assert pdf.headers["content-disposition"].startswith("attachment")
    merged = budi.get(f"/documents/result/{job.id}/merged.pdf")
    assert merged.status_code == 200 and merged.content.startswith(b"%PDF")
    book = budi.get(f"/documents/result/{job.id}/results.xlsx")
    assert book.status_code == 200 and book.content.startswith(b"PK")
    assert the_office.at_step20 not in budi.get("/documents?kind=permit").text  # no longer waiting for it

    before = counts(ws)
    again = make_batch(ws, budi, [the_office.at_step20, the_office.at_step22])
    assert [d["status"] for d in again.result["documents"]] == ["existing", "existing"]
    assert [d["number"] for d in again.result["documents"]] == [d["number"] for d in docs]
    runner.run_job(str(ws.root), job.id)  # the first job delivered again: a finished job is not run twice
    assert counts(ws) == before and verify(ws) == []
    english = budi.get(f"/documents/result/{again.id}?lang=en")
    assert english.status_code == 200 and "Already issued" in english.text
    assert "Make the documents" in budi.get("/documents?lang=en").text


def test_a_download_serves_only_the_jobs_own_documents(desk):
    ws, the_office = desk
    budi = signed_in(ws, "budi")
    job = make_batch(ws, budi, [the_office.at_step22])
    with db.session(ws) as session:
        foreign = session.scalar(select(Document.id).where(Document.application_id == the_office.ids["at_step5"]))
    for url in (f"/documents/result/{job.id}/pdf/{foreign}", f"/documents/result/{job.id}/pdf/999999",
                f"/documents/result/{job.id}/pdf/99999999999999999999", f"/documents/result/{job.id}/draft/0",
                "/documents/result/0a1b/merged.pdf", f"/documents/result/{job.id}/pdf/..%2f..%2fsikro.db"):
        assert budi.get(url).status_code == 404, url
    other = signed_in(ws, "rina")  # may make documents, but this is not her job
    assert other.get(f"/documents/result/{job.id}").status_code == 404
    doc_id = job.result["documents"][0]["document_id"]
    assert other.get(f"/documents/result/{job.id}/pdf/{doc_id}").status_code == 404


def test_a_draft_takes_no_number_and_shows_in_the_browser(desk):
    ws, the_office = desk
    budi = signed_in(ws, "budi")
    before = counts(ws)
    job = make_batch(ws, budi, [the_office.at_step18], draft=True)
    [doc] = job.result["documents"]
    assert doc["status"] == "draft" and doc["number"] is None and doc["document_id"] is None
    assert counts(ws) == before
    page = budi.get(f"/documents/result/{job.id}")
    assert f"/documents/result/{job.id}/draft/0" in page.text
    preview = budi.get(f"/documents/result/{job.id}/draft/0")
    assert preview.status_code == 200 and preview.content.startswith(b"%PDF")
    assert preview.headers["content-disposition"].startswith("inline")


def test_the_form_refuses_an_unknown_number_and_an_empty_choice(desk):
    ws, _office = desk
    budi = signed_in(ws, "budi")
    csrf = csrf_of(budi.get("/documents").text)
    unknown = budi.post("/documents", data={"csrf": csrf, "kind": "permit", "typed": "REG/99999/X/2027"})
    assert unknown.status_code == 400 and "Nomor registrasi tidak dikenal: REG/99999/X/2027" in unknown.text
    empty = budi.post("/documents", data={"csrf": csrf, "kind": "permit"})
    assert empty.status_code == 400 and "Pilih atau ketik setidaknya satu permohonan." in empty.text
    assert budi.post("/documents", data={"csrf": csrf, "kind": "registration", "typed": "x"}).status_code == 400
    assert jobs.list_jobs(ws) == []


def test_odd_addresses_and_values_get_an_answer_never_a_500(desk):
    ws, _office = desk
    budi, kadis = signed_in(ws, "budi"), signed_in(ws, "kadis")
    assert budi.get("/documents?kind=" + "x" * 500).status_code == 200  # an unknown kind: the first one
    for url in ("/documents/result/" + "a" * 40, "/documents/result/0a1b/draft/99999999999999999999",
                "/documents/result/0a1b/pdf/0"):
        assert budi.get(url).status_code == 404, url
    assert budi.get("/documents/result/%00/results.xlsx").status_code == 400  # a NUL: no address holds one
    csrf = csrf_of(kadis.get("/documents/sign").text)
    for doc in ("abc", "-1", "9" * 40, ""):
        answer = kadis.post("/documents/sign", data={"csrf": csrf, "doc": doc, "passphrase": "x"})
        assert answer.status_code == 400 and "Pilih setidaknya satu dokumen." in answer.text, doc
    nothing = kadis.post("/documents/sign", data={"csrf": csrf, "doc": "12345", "passphrase": passphrase(ws)})
    assert nothing.status_code == 303 and nothing.headers["location"] == "/documents/sign?signed=0"


# --------------------------------------------------------------------------- the signing queue


def test_the_kepala_dinas_signs_the_queue_with_the_passphrase_never_stored(desk):
    ws, the_office = desk
    job = make_batch(ws, signed_in(ws, "budi"), [the_office.at_step20])
    [made] = job.result["documents"]
    pdf = Path(made["pdf"])
    kadis = signed_in(ws, "kadis")
    queue = kadis.get("/documents/sign")
    assert queue.status_code == 200 and made["number"] in queue.text
    assert f'name="doc" value="{made["document_id"]}" checked' in queue.text
    assert re.search(r'<input type="password" id="sign-passphrase" name="passphrase" autocomplete="off"', queue.text)
    csrf = csrf_of(queue.text)

    wrong = kadis.post("/documents/sign", data={"csrf": csrf, "doc": made["document_id"], "passphrase": "salah"})
    assert wrong.status_code == 400
    assert "Frasa sandi sertifikat salah: tidak ada dokumen yang ditandatangani." in wrong.text
    assert b"/ByteRange" not in pdf.read_bytes()

    right = kadis.post("/documents/sign", data={"csrf": csrf, "doc": made["document_id"],
                                                "passphrase": passphrase(ws)})
    assert right.status_code == 303 and right.headers["location"] == "/documents/sign?signed=1"
    [report] = validate_signatures(pdf, workspace_trust_roots(ws))
    assert report.intact and report.trusted, report
    with db.session(ws) as session:
        events = session.scalars(select(Event).where(Event.action == "document.signed")).all()
        assert [(e.actor, e.details["number"], e.details["recorded"]) for e in events] == \
            [("kadis", made["number"], True)]
        step = session.scalars(select(StepRecord).where(StepRecord.application_id == the_office.ids["at_step20"],
                                                        StepRecord.step == 20)).one()
        assert step.by == "kadis"  # the SOP's signing step, recorded with the signature
    timeline = signed_in(ws, "budi").get(f"/applications/{the_office.ids['at_step20']}").text
    assert "Dokumen ditandatangani secara elektronik" in timeline
    after = kadis.get("/documents/sign?signed=1")
    assert "1 dokumen ditandatangani." in after.text and made["number"] not in after.text
    assert verify(ws) == []
    stored = b"".join(p.read_bytes() for p in ws.root.rglob("*") if p.is_file() and p.suffix != ".passphrase"
                      and "keys" not in p.parts)
    assert passphrase(ws).encode() not in stored  # not in the database, the job queue, a log or a file


def test_the_queue_offers_no_more_boxes_than_its_form_may_post(desk):
    """The console takes [limits.console] form_fields fields a request: 4 here, so the queue offers
    2 boxes (beside csrf and passphrase), the oldest; the third waits for the next submit."""
    ws, the_office = desk
    make_batch(ws, signed_in(ws, "budi"), [the_office.at_step18, the_office.at_step20, the_office.at_step22])
    head, tail = ws.profile_path.read_text("utf-8").split("[limits.console]")
    ws.profile_path.write_text(head + "[limits.console]" + re.sub(r"form_fields = \d+", "form_fields = 4", tail, count=1))
    ws = open_workspace(ws.root)
    kadis = signed_in(ws, "kadis")
    page = kadis.get("/documents/sign").text
    boxes = re.findall(r'name="doc" value="(\d+)" checked', page)
    assert len(boxes) == 2 and "3 dokumen menunggu" in page
    answer = kadis.post("/documents/sign", data={"csrf": csrf_of(page), "doc": boxes, "passphrase": passphrase(ws)})
    assert answer.status_code == 303 and answer.headers["location"] == "/documents/sign?signed=2"
    assert len(re.findall(r'name="doc" value="\d+" checked', kadis.get("/documents/sign").text)) == 1


def test_signing_needs_documents_sign(desk):
    ws, _office = desk
    for username in ("budi", "rina"):
        client = signed_in(ws, username)
        assert client.get("/documents/sign").status_code == 403
        csrf = csrf_of(client.get("/documents").text)
        assert client.post("/documents/sign", data={"csrf": csrf, "doc": "1", "passphrase": "x"}).status_code == 403
    kadis = signed_in(ws, "kadis")
    assert kadis.get("/documents").status_code == 403  # signs, does not make batches
    assert "Tidak ada dokumen yang menunggu tanda tangan." in kadis.get("/documents/sign").text
    assert "No document is waiting for a signature." in kadis.get("/documents/sign?lang=en").text


def test_the_api_makes_a_batch_and_signs_with_the_passphrase_in_the_body(desk):
    ws, the_office = desk
    _view, budis = accounts.create_token(ws, "budi", "x", actor="budi")
    _view, kadis = accounts.create_token(ws, "kadis", "x", actor="kadis")
    client = signed_in(ws, "budi")
    as_budi, as_kadis = ({"authorization": f"Bearer {token}"} for token in (budis, kadis))
    kinds = client.get("/api/v1/documents/kinds", headers=as_budi)
    assert kinds.status_code == 200 and "permit" in {k["kind"] for k in kinds.json()}
    refused = client.post("/api/v1/documents/batches", headers=as_budi, json={"kind": "permit", "refs": ["nope"]})
    assert refused.status_code == 400
    made = client.post("/api/v1/documents/batches", headers=as_budi,
                       json={"kind": "permit", "refs": [the_office.at_step22]})
    assert made.status_code == 200, made.text
    runner.run_job(str(ws.root), made.json()["id"])
    assert client.get("/api/v1/documents/sign", headers=as_budi).status_code == 403
    queue = client.get("/api/v1/documents/sign", headers=as_kadis).json()
    [item] = queue["documents"]
    assert queue["total"] == 1 and "nik" not in item and item["nik_masked"].count("*") == 6
    wrong = client.post("/api/v1/documents/sign", headers=as_kadis,
                        json={"ids": [item["document_id"]], "passphrase": "salah"})
    assert wrong.status_code == 409 and wrong.json()["error"] == "signing.passphrase-wrong"
    right = client.post("/api/v1/documents/sign", headers=as_kadis,
                        json={"ids": [item["document_id"]], "passphrase": passphrase(ws)})
    assert right.status_code == 200 and right.json()["signed"] == 1
    assert client.get("/api/v1/documents/sign", headers=as_kadis).json()["total"] == 0


# --------------------------------------------------------------------------- in real Chromium


def _browser_deps():
    from test_web_browser import CHROMIUM, CHROMIUM_ARGS, sync_playwright

    return CHROMIUM, CHROMIUM_ARGS, sync_playwright


CHROMIUM, CHROMIUM_ARGS, sync_playwright = _browser_deps()


def _signed_in_page(chromium, server, username: str, path: str):
    """A 1366x768 page signed in as `username` at `path`, and the CSP complaints its console gets."""
    page = chromium.new_context(viewport={"width": 1366, "height": 768}).new_page()
    csp: list[str] = []
    page.on("console", lambda m: csp.append(m.text[-200:] + str(m.location)) if "Content Security Policy" in m.text else None)
    page.goto(f"{server.url}{path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return page, csp


@needs_tool(sync_playwright is not None and Path(CHROMIUM).exists(), "chromium and playwright")
def test_the_documents_page_and_the_signing_queue_in_a_real_browser(desk):
    ws, the_office = desk
    job = make_batch(ws, signed_in(ws, "budi"), [the_office.at_step20, the_office.at_step22])
    server = ConsoleServer(ws.root)
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page, csp = _signed_in_page(chromium, server, "budi", "/documents?kind=receipt")
                assert page.inner_text("h1") == "Buat dokumen"
                page.select_option("#docs-kind", "permit")  # htmx swaps the selection in, no reload
                page.locator("#docs-batch h2", has_text="Surat Izin").wait_for()
                assert page.input_value("#docs-batch input[name=kind]") == "permit"
                assert page.locator("table.docs-ready tbody tr").count() == 1  # at step 18 only
                page.check("input[name=ref]")
                page.screenshot(path="/tmp/documents-form.png", full_page=True)
                assert page.evaluate("document.documentElement.scrollWidth") <= 1366 and not csp, csp
                page.goto(f"{server.url}/documents/result/{job.id}")
                assert page.locator("table.docs-result tbody tr").count() == 2
                page.screenshot(path="/tmp/documents-result.png", full_page=True)
                page, csp = _signed_in_page(chromium, server, "kadis", "/documents/sign")
                assert page.inner_text("h1") == "Antrian tanda tangan"
                assert page.locator("table.docs-queue input[name=doc]:checked").count() == 2
                assert page.get_attribute("#sign-passphrase", "type") == "password"
                page.screenshot(path="/tmp/documents-sign.png", full_page=True)
                assert page.evaluate("document.documentElement.scrollWidth") <= 1366 and not csp, csp
            finally:
                chromium.close()
    finally:
        _out, err = server.stop()
        assert "Traceback" not in err, err


def test_a_document_another_desk_is_signing_is_left_to_it(desk):
    """Two desks on one queue: the document one of them is signing is not signed again by the other."""
    from sikro_docs.signing import pending

    ws, the_office = desk
    make_batch(ws, signed_in(ws, "budi"), [the_office.at_step20])
    [first], _total = pending.waiting(ws)
    before = first.pdf.read_bytes()
    credentials = pending.open_credentials(ws, passphrase(ws))
    with pending._signing_alone(ws, first.document_id) as alone:  # the other desk, mid-signature
        assert alone
        [outcome] = pending.sign_documents(ws, [first.document_id], credentials, actor="kadis")
        assert outcome.status == "not-waiting" and first.pdf.read_bytes() == before
    [outcome] = pending.sign_documents(ws, [first.document_id], credentials, actor="kadis")
    assert outcome.status == "signed" and first.pdf.read_bytes() != before
    [again] = pending.sign_documents(ws, [first.document_id], credentials, actor="kadis")
    assert again.status == "not-waiting"  # signed once, never twice


def test_applications_registered_outside_a_job_are_ready_for_their_first_document(workspace, tmp_path):
    """An import by the library (the CLI's) leaves its rows to be scheduled: the form works them out."""
    from test_intake_support import make_workbook, valid_record

    from sikro_docs import registry
    from sikro_docs.console.area_documents import ready_for

    book = make_workbook(tmp_path / "book.xlsx", [valid_record(no_registrasi=None),
                                                  valid_record(no_registrasi=None, nik="1211014503910004")])
    assert registry.import_file(workspace, book).imported == 2
    rows, more = ready_for(workspace, "receipt")
    assert len(rows) == 2 and not more and all(row["step"].startswith("3. ") for row in rows)
