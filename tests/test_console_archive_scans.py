"""The console's scan upload: several files in one form, filed by an `ingest` job into the berkas their
QR codes name; the result page shows the matched (berkas and application linked) and the unmatched
(with the reason); a hostile file is one line, the others are filed all the same.

Scans are real: an A4 page rendered with the permit's signed QR code (as tests/archive_support.py makes
them), read back by the ingest library's decoder. The job runs in this process (runner.run_job), as
the worker runs it.
"""

from __future__ import annotations

import io
import os

import pytest
from archive_support import assert_all_bags_valid, bad_scan, make_permit, paper
from console_support import csrf_of, make_user, signed_in
from PIL import Image
from sqlalchemy import select

from sikro_docs import accounts, db, jobs
from sikro_docs.archive.tables import ArchiveFile, Berkas
from sikro_docs.jobs import runner
from sikro_docs.workspace import open_workspace

MAX_MB = 1.0  # [limits.scan] max_file_mb of these tests: a 1.5 MB file is beyond it


@pytest.fixture
def office(workspace, tmp_path):
    """Two permits (scans of their papers: a PDF and a bad JPEG), an archivist and a Kepala Dinas."""
    lines = workspace.profile_path.read_text("utf-8").splitlines()
    lines = [line for line in lines if not line.startswith("max_file_mb")]
    lines.insert(lines.index("[limits.scan]") + 1, f"max_file_mb = {MAX_MB}")
    workspace.profile_path.write_text("\n".join(lines) + "\n", "utf-8")
    ws = open_workspace(workspace.root)
    permits = [make_permit(ws, name=n) for n in ("Rina Sitanggang", "Hotman Simanjuntak")]
    pdf = paper(tmp_path / "izin-rina.pdf", permits[0].url)
    jpeg = bad_scan(paper(tmp_path / "p2.pdf", permits[1].url), tmp_path / "izin-hotman.jpg")
    make_user(ws, "arsip", "arsiparis", name="Petugas Arsip")
    make_user(ws, "kadis", "kadis")
    return ws, permits, pdf, jpeg


def _blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (800, 1100), 255).save(buffer, "PNG")
    return buffer.getvalue()


def _upload(client, files: list[tuple[str, bytes, str]]):
    csrf = csrf_of(client.get("/archive/scans").text)
    return client.post("/archive/scans", data={"csrf": csrf},
                       files=[("scans", (name, body, mime)) for name, body, mime in files])


def _run(ws, answer) -> jobs.JobView:
    assert answer.status_code == 303, answer.text
    job_id = answer.headers["location"].rsplit("/", 1)[-1]
    runner.run_job(str(ws.root), job_id)
    return jobs.status(ws, job_id)


def _berkas(ws, registration: str) -> tuple[int, int, list[str]]:
    with db.session(ws) as session:
        row = session.scalars(select(Berkas).where(Berkas.registration_number == registration)).one()
        origins = list(session.scalars(select(ArchiveFile.origin).where(ArchiveFile.berkas_id == row.id)))
        return row.id, row.application_id, origins


def test_scans_uploaded_are_filed_and_the_result_shows_matched_and_unmatched(office):
    ws, permits, pdf, jpeg = office
    client = signed_in(ws, "arsip")
    form = client.get("/archive/scans")
    assert form.status_code == 200 and 'type="file"' in form.text and "multiple" in form.text
    assert "Paling banyak 50 berkas sekali unggah, setiap berkas paling besar 1 MB." in form.text
    assert 'href="/archive/scans"' in client.get("/archive").text
    answer = _upload(client, [("izin-rina.pdf", pdf.read_bytes(), "application/pdf"),
                              ("izin-hotman.jpg", jpeg.read_bytes(), "image/jpeg"),
                              ("kosong.png", _blank_png(), "image/png")])
    job = _run(ws, answer)
    assert job.status == jobs.DONE, job.error
    assert job.done == 3 and job.total == 3 and job.created_by == "arsip"
    assert {f["name"]: f["status"] for f in job.result["files"]} == {
        "izin-rina.pdf": "filed", "izin-hotman.jpg": "filed", "kosong.png": "unmatched"}
    assert str(ws.root) not in str(job.result)  # the person's names, never the server's paths

    for permit in permits:  # really filed: a scan in each berkas, its PREMIS agent the user
        _id, _app, origins = _berkas(ws, permit.registration_number)
        assert "scan" in origins
    assert_all_bags_valid(ws)

    page = client.get(f"/jobs/{job.id}")
    assert f'href="/archive/scans/result/{job.id}"' in page.text and "Hasil pemindaian" in page.text
    result = client.get(f"/archive/scans/result/{job.id}")
    assert result.status_code == 200
    assert "2 pindaian diarsipkan, 1 tidak." in result.text
    for permit in permits:
        berkas_id, app_id, _origins = _berkas(ws, permit.registration_number)
        assert f'href="/archive/berkas/{berkas_id}"' in result.text
        assert f'href="/applications/{app_id}"' in result.text and permit.number in result.text
    assert "kosong.png" in result.text and "tidak ditemukan kode QR" in result.text
    english = client.get(f"/archive/scans/result/{job.id}", params={"lang": "en"})
    assert "2 scan(s) filed, 1 not." in english.text and "no QR code found" in english.text

    # the same scans again: already in the archive, nothing filed twice
    again = _run(ws, _upload(client, [("izin-rina.pdf", pdf.read_bytes(), "application/pdf")]))
    assert [f["status"] for f in again.result["files"]] == ["duplicate"]
    assert "Sudah ada di arsip" in client.get(f"/archive/scans/result/{again.id}", params={"lang": "id"}).text


def test_a_hostile_file_is_one_line_and_the_others_are_filed(office):
    ws, permits, pdf, _jpeg = office
    client = signed_in(ws, "arsip")
    huge = b"%PDF-1.4\n" + os.urandom(int(1.5 * 1024 * 1024))
    job = _run(ws, _upload(client, [("bukan-pdf.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
                                    ("program.exe", b"MZ\x90\x00" * 200, "application/octet-stream"),
                                    ("besar.pdf", huge, "application/pdf"),
                                    ("izin-rina.pdf", pdf.read_bytes(), "application/pdf")]))
    assert job.status == jobs.DONE, job.error
    statuses = {f["name"]: f["status"] for f in job.result["files"]}
    assert statuses["izin-rina.pdf"] == "filed"
    assert statuses["besar.pdf"] == "quarantined"
    assert statuses["bukan-pdf.pdf"] in ("unmatched", "quarantined") and statuses["program.exe"] == "unmatched"
    result = client.get(f"/archive/scans/result/{job.id}")
    assert "1 pindaian diarsipkan, 3 tidak." in result.text
    rows = result.text.split('class="list scans-unmatched"')[1].split("</table>")[0]
    assert rows.count("<tr>") == 4  # the header and one line per hostile file
    assert "bukan PDF atau gambar" in rows and "dikarantina" in rows
    assert "<script>alert(1)" not in result.text
    assert "scan" in _berkas(ws, permits[0].registration_number)[2]


def test_scans_need_the_archivists_role_a_file_and_the_csrf_token(office):
    ws, _permits, pdf, _jpeg = office
    kadis = signed_in(ws, "kadis")
    assert kadis.get("/archive/scans").status_code == 403
    token = csrf_of(kadis.get("/").text) if kadis.get("/").status_code == 200 else ""
    refused = kadis.post("/archive/scans", data={"csrf": token},
                         files=[("scans", ("a.pdf", pdf.read_bytes(), "application/pdf"))])
    assert refused.status_code == 403
    arsip = signed_in(ws, "arsip")
    no_csrf = arsip.post("/archive/scans", files=[("scans", ("a.pdf", pdf.read_bytes(), "application/pdf"))])
    assert no_csrf.status_code == 403
    csrf = csrf_of(arsip.get("/archive/scans").text)
    empty = arsip.post("/archive/scans", data={"csrf": csrf}, files=[("scans", ("", b"", "application/pdf"))])
    assert empty.status_code == 400 and "Pilih sedikitnya satu berkas pindaian" in empty.text
    assert jobs.list_jobs(ws) == []
    # another user's result is not shown; nor to the API without the role
    job = _run(ws, _upload(arsip, [("izin-rina.pdf", pdf.read_bytes(), "application/pdf")]))
    assert kadis.get(f"/archive/scans/result/{job.id}").status_code == 403
    _view, token = accounts.create_token(ws, "arsip", "tes", actor="tester")
    api = arsip.get(f"/api/v1/archive/scans/{job.id}", headers={"authorization": f"Bearer {token}"})
    assert api.status_code == 200 and [f["name"] for f in api.json()["matched"]] == ["izin-rina.pdf"]
    assert api.json()["matched"][0]["berkas_id"] is not None


def test_the_job_runs_in_a_daemonic_worker_process_as_the_queue_runs_it(office):
    """The queue's workers are daemonic processes; ingest still reads each file in a process of its own."""
    import multiprocessing

    ws, permits, pdf, _jpeg = office
    client = signed_in(ws, "arsip")
    answer = _upload(client, [("izin-rina.pdf", pdf.read_bytes(), "application/pdf")])
    job_id = answer.headers["location"].rsplit("/", 1)[-1]
    worker = multiprocessing.get_context("fork").Process(target=runner.run_job, args=(str(ws.root), job_id),
                                                         daemon=True)
    worker.start()
    worker.join(120)
    job = jobs.status(ws, job_id)
    assert job.status == jobs.DONE, job.error
    assert [f["status"] for f in job.result["files"]] == ["filed"]
    assert "scan" in _berkas(ws, permits[0].registration_number)[2]
