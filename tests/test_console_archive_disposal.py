"""The console's two-person pemusnahan: an archivist proposes through the page, the proposer's own
approval is refused (409, one Indonesian line), another person approves it and the berkas are
recorded musnah with both names; a rejection; the wrong role (403); the API's equivalents.
And one real Chromium at 1366x768 over the scans' result page and the disposal page.

Berkas are real bags whose retention ended (a note filed into the berkas of a permit of 2019,
under a classification whose final fate is Musnah); the office's clock is frozen in 2026.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from archive_support import make_permit, paper
from conftest import needs_tool
from console_support import PASSWORD, ConsoleServer, csrf_of, make_user, signed_in
from sqlalchemy import select
from starlette.testclient import TestClient
from test_web_browser import CHROMIUM, CHROMIUM_ARGS, sync_playwright

from sikro_docs import accounts, clock, db
from sikro_docs.archive import audit, file_by_ref, proposals
from sikro_docs.archive.tables import ArchiveEvent, Berkas
from sikro_docs.console import create_app
from sikro_docs.models import Event
from sikro_docs.workspace import open_workspace

NOW = "2026-06-15T10:00:00+07:00"
MUSNAH = "000.5.2"


def _musnah(workspace):
    lines = workspace.profile_path.read_text("utf-8").splitlines()
    if "[archive]" not in lines:
        lines += ["", "[archive]"]
    lines.insert(lines.index("[archive]") + 1, f'classification = "{MUSNAH}"')
    workspace.profile_path.write_text("\n".join(lines) + "\n", "utf-8")
    return open_workspace(workspace.root)


def _berkas(ws, tmp_path, name: str, on: dt.date) -> str:
    permit = make_permit(ws, name=name, workplace=f"Optik {name[:5]}", on=on)
    note = tmp_path / f"catatan-{permit.registration_number.replace('/', '-')}.txt"
    note.write_text(f"Catatan berkas {name}\n", "utf-8")
    assert file_by_ref(ws, note, permit.registration_number, kind="catatan").ok
    return permit.registration_number


@pytest.fixture
def archive(workspace, tmp_path):
    """Two berkas due for destruction, one not yet; two archivists, a Kepala Dinas, a front office."""
    ws = _musnah(workspace)
    with clock.frozen(NOW):
        regs = {"a": _berkas(ws, tmp_path, "Dewi Lubis", dt.date(2019, 3, 7)),
                "b": _berkas(ws, tmp_path, "Hotman <b>Simanjuntak</b>", dt.date(2019, 4, 1)),
                "young": _berkas(ws, tmp_path, "Sondang Hutapea", dt.date(2026, 6, 1))}
        make_user(ws, "arsip", "arsiparis", name="Petugas Arsip")
        make_user(ws, "arsip2", "arsiparis", name="Arsiparis Dua")
        make_user(ws, "kadis", "kadis")
        make_user(ws, "rina", "front_office")
        yield ws, regs


def _stage(ws, registration: str) -> str:
    with db.session(ws) as session:
        return session.scalars(select(Berkas.stage).where(Berkas.registration_number == registration)).one()


def _number(ws, registration: str) -> str:
    with db.session(ws) as session:
        return session.scalars(select(Berkas.berkas_number).where(Berkas.registration_number == registration)).one()


def _deaccessions(ws) -> list[ArchiveEvent]:
    with db.session(ws) as session:
        return list(session.scalars(select(ArchiveEvent).where(ArchiveEvent.type == "deaccession")))


def test_the_two_person_disposal_through_the_pages(archive):
    ws, regs = archive
    arsip = signed_in(ws, "arsip")
    page = arsip.get("/archive/disposal")
    assert page.status_code == 200
    assert "Tidak ada usul pemusnahan yang menunggu." in page.text
    assert regs["a"] in page.text and regs["b"] in page.text and regs["young"] not in page.text  # only the due
    assert 'href="/archive/disposal"' in arsip.get("/archive").text
    csrf = csrf_of(page.text)
    nothing = arsip.post("/archive/disposal", data={"csrf": csrf, "reason": "retensi habis"})
    assert nothing.status_code == 400 and "Pilih sedikitnya satu berkas" in nothing.text
    no_reason = arsip.post("/archive/disposal", data={"csrf": csrf, "berkas": _number(ws, regs["a"]), "reason": " "})
    assert no_reason.status_code == 409 and "Isi alasannya." in no_reason.text
    proposed = arsip.post("/archive/disposal", data={"csrf": csrf, "berkas": _number(ws, regs["a"]),
                                                     "reason": "retensi habis sesuai JRA"})
    assert proposed.status_code == 303 and proposed.headers["location"] == "/archive/disposal?proposed=1"
    shown = arsip.get(proposed.headers["location"])
    assert "Usul pemusnahan 1 dicatat." in shown.text
    assert "Anda yang mengusulkan ini: persetujuan harus dari orang lain." in shown.text
    assert 'action="/archive/disposal/1/approve"' not in shown.text  # not offered to the proposer
    # the berkas now proposed is no longer offered for another proposal
    due_part = shown.text.split('id="due-heading"')[1]
    assert regs["a"] not in due_part and regs["b"] in due_part

    # the proposer approving it anyway: refused, one Indonesian line, nothing written
    own = arsip.post("/archive/disposal/1/approve", data={"csrf": csrf, "decision_number": "045/BA-MUS/2026"})
    assert own.status_code == 409
    alerts = [line for line in own.text.splitlines() if 'role="alert"' in line]
    assert len(alerts) == 1 and "pemusnahan harus disetujui orang lain" in alerts[0], alerts
    assert _stage(ws, regs["a"]) == "aktif" and not _deaccessions(ws)

    # the Kepala Dinas approves: offered the form (with the decision number), no propose form
    kadis = signed_in(ws, "kadis")
    seen = kadis.get("/archive/disposal")
    assert seen.status_code == 200 and 'action="/archive/disposal/1/approve"' in seen.text
    assert 'action="/archive/disposal"' not in seen.text  # archive.approve only: no propose form
    assert 'href="/archive/disposal"' in seen.text  # the menu's entry
    kcsrf = csrf_of(seen.text)
    unnumbered = kadis.post("/archive/disposal/1/approve", data={"csrf": kcsrf})
    assert unnumbered.status_code == 409 and "belum bernomor keputusan" in unnumbered.text
    approved = kadis.post("/archive/disposal/1/approve", data={"csrf": kcsrf, "decision_number": "045/BA-MUS/2026"})
    assert approved.status_code == 303 and approved.headers["location"] == "/archive/disposal?approved=1&count=1"
    done = kadis.get(approved.headers["location"])
    assert "Usul pemusnahan 1 disetujui: 1 berkas dicatat musnah." in done.text
    assert "Disetujui" in done.text and "045/BA-MUS/2026" in done.text  # among the decided
    assert _stage(ws, regs["a"]) == "musnah" and _stage(ws, regs["b"]) == "aktif"
    [event] = _deaccessions(ws)
    assert (event.agent, event.detail["proposed_by"], event.detail["approved_by"]) == ("kadis", "arsip", "kadis")
    with db.session(ws) as session:
        logged = {(e.action, e.actor) for e in session.scalars(select(Event).where(Event.action.like("archive.%")))}
    assert logged == {("archive.disposal.proposed", "arsip"), ("archive.disposal.approved", "kadis")}
    assert audit(ws).intact
    again = kadis.post("/archive/disposal/1/reject", data={"csrf": kcsrf, "reason": "terlambat"})
    assert again.status_code == 409 and "sudah diputuskan" in again.text


def test_a_proposal_rejected_by_another_archivist(archive):
    ws, regs = archive
    arsip = signed_in(ws, "arsip")
    csrf = csrf_of(arsip.get("/archive/disposal").text)
    assert arsip.post("/archive/disposal", data={"csrf": csrf, "berkas": [_number(ws, regs["a"]), _number(ws, regs["b"])],
                                                 "reason": "retensi habis", "decision_number": "7/BA",
                                                 "delete_files": "1"}).status_code == 303
    assert proposals.proposal(ws, 1).delete_files
    other = signed_in(ws, "arsip2")
    page = other.get("/archive/disposal")
    assert 'action="/archive/disposal/1/reject"' in page.text and "File elektronik ikut dihapus" in page.text
    assert 'name="decision_number"' not in page.text.split('id="proposal-1"')[1].split("</article>")[0]  # numbered
    blank = other.post("/archive/disposal/1/reject", data={"csrf": csrf_of(page.text), "reason": ""})
    assert blank.status_code == 409 and "Isi alasannya." in blank.text
    rejected = other.post("/archive/disposal/1/reject", data={"csrf": csrf_of(page.text),
                                                              "reason": "masih diperlukan untuk pemeriksaan"})
    assert rejected.status_code == 303 and rejected.headers["location"] == "/archive/disposal?rejected=1"
    shown = other.get(rejected.headers["location"])
    assert "Usul pemusnahan 1 ditolak." in shown.text and "masih diperlukan untuk pemeriksaan" in shown.text
    assert proposals.proposal(ws, 1).status == proposals.REJECTED and proposals.proposal(ws, 1).decided_by == "arsip2"
    assert _stage(ws, regs["a"]) == _stage(ws, regs["b"]) == "aktif"
    assert regs["a"] in shown.text.split('id="due-heading"')[1]  # may be proposed again


def test_the_disposal_pages_need_their_roles_and_the_csrf_token(archive):
    ws, regs = archive
    rina = signed_in(ws, "rina")
    assert rina.get("/archive/disposal").status_code == 403
    token = csrf_of(rina.get("/").text)
    for url in ("/archive/disposal", "/archive/disposal/1/approve", "/archive/disposal/1/reject"):
        assert rina.post(url, data={"csrf": token, "berkas": _number(ws, regs["a"]), "reason": "x"}).status_code == 403
    kadis = signed_in(ws, "kadis")
    refused = kadis.post("/archive/disposal", data={"csrf": csrf_of(kadis.get("/archive/disposal").text),
                                                    "berkas": _number(ws, regs["a"]), "reason": "x"})
    assert refused.status_code == 403  # approving is not proposing
    arsip = signed_in(ws, "arsip")
    assert arsip.post("/archive/disposal", data={"berkas": _number(ws, regs["a"]), "reason": "x"}).status_code == 403
    assert proposals.list_proposals(ws) == []
    pid = proposals.propose(ws, [regs["a"]], "retensi habis", "1/BA", by="arsip")
    assert kadis.post(f"/archive/disposal/{pid}/approve", data={}).status_code == 403  # no CSRF token
    assert _stage(ws, regs["a"]) == "aktif"
    missing = kadis.post("/archive/disposal/99/approve", data={"csrf": csrf_of(kadis.get("/archive/disposal").text)})
    assert missing.status_code == 409 and "Tidak ada usul pemusnahan 99" in missing.text
    huge = kadis.post(f"/archive/disposal/{10**30}/approve", data={"csrf": csrf_of(kadis.get("/archive/disposal").text)})
    assert huge.status_code == 409


def _api(ws, username: str) -> TestClient:
    _view, token = accounts.create_token(ws, username, "tes", actor="tester")
    client = TestClient(create_app(ws), raise_server_exceptions=False, follow_redirects=False)
    client.headers["authorization"] = f"Bearer {token}"
    return client


def test_the_api_proposes_refuses_self_approval_and_approves(archive):
    ws, regs = archive
    arsip, kadis, rina = _api(ws, "arsip"), _api(ws, "kadis"), _api(ws, "rina")
    listed = arsip.get("/api/v1/archive/disposal").json()
    assert listed["open"] == [] and {d["registration_number"] for d in listed["due"]} == {regs["a"], regs["b"]}
    assert arsip.post("/api/v1/archive/disposal", json={"berkas": "x", "reason": "r"}).status_code == 400
    young = arsip.post("/api/v1/archive/disposal", json={"berkas": [regs["young"]], "reason": "retensi habis"})
    assert young.status_code == 409 and young.json()["error"] == "disposal-refused"
    made = arsip.post("/api/v1/archive/disposal", json={"berkas": [regs["b"]], "reason": "retensi habis",
                                                        "delete_files": True})
    assert made.status_code == 200 and made.json()["proposed_by"] == "arsip" and made.json()["status"] == "open"
    assert made.json()["delete_files"] is True
    pid = made.json()["id"]
    twice = arsip.post("/api/v1/archive/disposal", json={"berkas": [regs["b"]], "reason": "lagi"})
    assert twice.status_code == 409 and twice.json()["error"] == "disposal-already-proposed"
    own = arsip.post(f"/api/v1/archive/disposal/{pid}/approve", json={"decision_number": "9/BA"})
    assert own.status_code == 409 and own.json()["error"] == "disposal-self-approval"
    assert rina.post(f"/api/v1/archive/disposal/{pid}/approve", json={"decision_number": "9/BA"}).status_code == 403
    assert rina.get("/api/v1/archive/disposal").status_code == 403
    assert kadis.post("/api/v1/archive/disposal", json={"berkas": [regs["a"]], "reason": "x"}).status_code == 403
    approved = kadis.post(f"/api/v1/archive/disposal/{pid}/approve", json={"decision_number": "9/BA"})
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["proposal"]["status"] == "approved" and body["proposal"]["decided_by"] == "kadis"
    assert [b["status"] for b in body["berkas"]] == ["done"] and _stage(ws, regs["b"]) == "musnah"
    assert body["berkas"][0]["deleted"] and audit(ws).intact  # the electronic copy went, the audit holds
    other = arsip.post("/api/v1/archive/disposal", json={"berkas": [regs["a"]], "reason": "retensi habis"}).json()
    assert kadis.post(f"/api/v1/archive/disposal/{other['id']}/reject", json={}).status_code == 400
    rejected = kadis.post(f"/api/v1/archive/disposal/{other['id']}/reject", json={"reason": "belum"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    described = arsip.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/archive/disposal/{proposal_id}/approve" in described or any(
        p.startswith("/api/v1/archive/disposal/") for p in described)


# --------------------------------------------------------------------------- in a real browser

OFFICE_PC = {"width": 1366, "height": 768}


def _sign_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/login?next=%2Farchive")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


@needs_tool(sync_playwright is not None and Path(CHROMIUM).exists(), "chromium and playwright")
def test_scans_and_the_two_person_disposal_in_chromium(archive, tmp_path):
    """The archivist uploads scans and sees the result; proposes a disposal; the Kepala Dinas approves it."""
    ws, regs = archive
    permit = make_permit(ws, name="Rina Sitanggang", on=dt.date(2026, 3, 7))
    scan = paper(tmp_path / "izin-rina.pdf", permit.url)
    junk = tmp_path / "bukan-pindaian.pdf"
    junk.write_bytes(b"ini bukan PDF")
    server = ConsoleServer(ws.root)
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = chromium.new_page(viewport=OFFICE_PC)
            blocked = []
            page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
            _sign_in(page, server.url, "arsip")
            page.goto(f"{server.url}/archive/scans")
            page.set_input_files("#scans-files", [str(scan), str(junk)])
            page.screenshot(path="/tmp/archive2-scans-form-1366.png", full_page=True)
            with page.expect_navigation():
                page.click("text=Unggah dan arsipkan")
            job_id = page.url.rstrip("/").rsplit("/", 1)[-1]
            page.wait_for_selector("text=Hasil pemindaian", timeout=90_000)  # the worker's job, polled by htmx
            page.screenshot(path="/tmp/archive2-scans-job-1366.png", full_page=True)
            with page.expect_navigation():
                page.click("text=Hasil pemindaian")
            assert page.url.endswith(f"/archive/scans/result/{job_id}")
            assert page.inner_text("h1") == "Hasil pemindaian ke arsip"
            assert page.locator("table.scans-matched tbody tr").count() == 1
            assert page.locator("table.scans-unmatched tbody tr").count() == 1
            assert page.evaluate("document.documentElement.scrollWidth") <= OFFICE_PC["width"]
            page.screenshot(path="/tmp/archive2-scans-result-1366.png", full_page=True)

            page.goto(f"{server.url}/archive/disposal")
            page.check("#due-1")
            page.fill("#propose-reason", "retensi habis sesuai JRA")
            page.screenshot(path="/tmp/archive2-disposal-propose-1366.png", full_page=True)
            with page.expect_navigation():
                page.click("text=Usulkan pemusnahan")
            assert "Usul pemusnahan 1 dicatat" in page.inner_text("p.notice")
            assert page.evaluate("document.documentElement.scrollWidth") <= OFFICE_PC["width"]
            page.screenshot(path="/tmp/archive2-disposal-proposed-1366.png", full_page=True)

            other = chromium.new_page(viewport=OFFICE_PC)
            _sign_in(other, server.url, "kadis")
            other.goto(f"{server.url}/archive/disposal")
            other.fill("#approve-1-number", "045/BA-MUS/2026")
            other.screenshot(path="/tmp/archive2-disposal-approve-1366.png", full_page=True)
            with other.expect_navigation():
                other.click("text=Setujui dan musnahkan")
            assert "disetujui: 1 berkas dicatat musnah" in other.inner_text("p.notice")
            assert other.evaluate("document.documentElement.scrollWidth") <= OFFICE_PC["width"]
            other.screenshot(path="/tmp/archive2-disposal-approved-1366.png", full_page=True)
            chromium.close()
            assert not blocked, blocked
    finally:
        _out, err = server.stop()
        assert "Traceback" not in err, err
    assert sum(_stage(ws, r) == "musnah" for r in (regs["a"], regs["b"])) == 1
    [event] = _deaccessions(ws)
    assert (event.detail["proposed_by"], event.detail["approved_by"]) == ("arsip", "kadis")
