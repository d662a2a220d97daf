"""The intake area: a workbook uploaded, checked, imported as a real `import` job (run in-process,
as the worker's task does), its result page with the refused rows, and the errors workbook."""

from __future__ import annotations

import html
import io

from console_support import csrf_of, make_user, signed_in
from openpyxl import load_workbook
from test_intake_support import make_workbook
from test_intake_types import SIPB, record

from sikro_docs import db, jobs, registry
from sikro_docs.intake.columns import workbook_fields
from sikro_docs.jobs import runner
from sikro_docs.workspace import open_workspace


def sipb_book(path, **changes):
    fields = workbook_fields(SIPB)
    values = record(SIPB, **changes)
    return make_workbook(path, headers=[f.header for f in fields], rows=[[values.get(f.name) for f in fields]])


def upload(client, path, permit_type="sipb"):
    csrf = csrf_of(client.get("/intake").text)
    with open(path, "rb") as fh:
        return client.post("/intake", data={"csrf": csrf, "permit_type": permit_type},
                           files={"file": (path.name, fh.read())})


def run(ws, answer):
    assert answer.status_code == 303, answer.text
    job_id = answer.headers["location"].rsplit("/", 1)[1]
    runner.run_job(str(ws.root), job_id)
    return jobs.status(ws, job_id)


def applications(ws):
    with db.session(ws) as sess:
        return [(a.permit_type, a.id) for a in registry.list_applications(sess)]


def test_a_good_sipb_workbook_is_imported_by_a_job(tmp_path, workspace):
    make_user(workspace, "rina", "front_office")
    client = signed_in(workspace, "rina")
    job = run(workspace, upload(client, sipb_book(tmp_path / "bidan.xlsx")))
    assert job.status == jobs.DONE and job.result["imported"] == 1
    assert [kind for kind, _ in applications(workspace)] == ["sipb"]
    page = client.get(f"/jobs/{job.id}")
    assert f"/intake/result/{job.id}" in page.text
    result = client.get(f"/intake/result/{job.id}")
    assert result.status_code == 200 and "1" in result.text
    again = run(workspace, upload(client, sipb_book(tmp_path / "lagi.xlsx")))  # nothing issued twice
    assert again.result["imported"] == 0 and len(applications(workspace)) == 1


def test_a_bad_nik_is_shown_at_its_row_and_the_errors_workbook_downloads(tmp_path, workspace):
    make_user(workspace, "rina", "front_office")
    client = signed_in(workspace, "rina")
    job = run(workspace, upload(client, sipb_book(tmp_path / "salah.xlsx", nik="121101450391000")))
    assert job.result["imported"] == 0 and job.result["invalid"]
    page = client.get(f"/intake/result/{job.id}")
    problem = job.result["invalid"][0]
    assert f'<th scope="row">{problem["row"]}</th>' in page.text and problem["column"] in page.text
    book = client.get(f"/intake/result/{job.id}/errors")
    assert book.status_code == 200
    assert load_workbook(io.BytesIO(book.content)).active.max_row >= 2
    assert applications(workspace) == []


def test_a_corrupt_file_or_a_misspelt_header_is_one_clear_line_and_nothing_is_imported(tmp_path, workspace):
    make_user(workspace, "rina", "front_office")
    client = signed_in(workspace, "rina")
    broken = tmp_path / "rusak.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    answer = upload(client, broken)
    assert answer.status_code == 400 and "rusak.xlsx" in answer.text and "Traceback" not in answer.text
    fields = workbook_fields(SIPB)
    misspelt = make_workbook(tmp_path / "ejaan.xlsx", headers=[("Nomr STR" if f.header == "No STR" else f.header)
                                                                for f in fields],
                             rows=[[record(SIPB).get(f.name) for f in fields]])
    answer = upload(client, misspelt)
    assert answer.status_code == 400 and "ejaan.xlsx" in answer.text and "Nomr STR" in answer.text
    assert "run/uploads" not in answer.text and "Traceback" not in answer.text
    assert applications(workspace) == [] and jobs.list_jobs(workspace) == []


def test_a_refused_file_is_told_in_the_clerks_language_with_the_librarys_english_on_request(tmp_path, workspace):
    make_user(workspace, "rina", "front_office")
    client = signed_in(workspace, "rina")
    broken = tmp_path / "rusak.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    fields = workbook_fields(SIPB)
    misspelt = make_workbook(tmp_path / "ejaan.xlsx", headers=[("Nomr STR" if f.header == "No STR" else f.header)
                                                                for f in fields],
                             rows=[[record(SIPB).get(f.name) for f in fields]])
    listing = tmp_path / "daftar.json"
    listing.write_text('{"nama": "Rina"}', encoding="utf-8")
    said = {name: " ".join(html.unescape(upload(client, path).text).split())
            for name, path in (("broken", broken), ("misspelt", misspelt), ("json", listing))}
    assert "rusak.xlsx: buku kerja rusak atau terpotong" in said["broken"]
    assert 'tidak memuat kolom wajib: "No STR" (maksud Anda "Nomr STR"?)' in said["misspelt"]
    assert "daftar.json: JSON harus berupa daftar objek (satu per pemohon), bukan object" in said["json"]
    client.get("/intake?lang=en")
    english = " ".join(html.unescape(upload(client, misspelt).text).split())
    assert 'lacks required column(s): "No STR" (did you mean "Nomr STR"?)' in english


def test_a_file_beyond_a_limit_names_the_limit_in_indonesian(tmp_path, workspace):
    profile = workspace.root / "sikro.toml"
    text = profile.read_text(encoding="utf-8")
    assert text.count("\nrecords = 20_000 ") == 1  # [limits.json] records
    profile.write_text(text.replace("\nrecords = 20_000 ", "\nrecords = 1 "), encoding="utf-8")
    office = open_workspace(workspace.root)  # the profile as the console reads it at its start
    make_user(office, "rina", "front_office")
    client = signed_in(office, "rina")
    listing = tmp_path / "dua.json"
    listing.write_text('[{"nama": "A"}, {"nama": "B"}]', encoding="utf-8")
    said = " ".join(html.unescape(upload(client, listing).text).split())
    assert ("dua.json: melampaui batas jumlah permohonan dalam satu berkas (batas [limits.json] records di "
            "sikro.toml)") in said
    assert jobs.list_jobs(workspace) == []


def test_a_wrong_role_is_refused_and_a_post_without_csrf_too(tmp_path, workspace):
    make_user(workspace, "arsip", "arsiparis")
    assert signed_in(workspace, "arsip").get("/intake").status_code == 403
    make_user(workspace, "rina", "front_office")
    client = signed_in(workspace, "rina")
    answer = client.post("/intake", files={"file": ("a.xlsx", b"x")})
    assert answer.status_code == 403 and jobs.list_jobs(workspace) == []


def test_the_sweep_removes_only_the_uploads_nothing_needs(tmp_path, workspace):
    """A job's files stay while its result page needs them; an orphan folder goes after an hour."""
    import datetime as dt
    import os

    from sikro_docs import db, jobs
    from sikro_docs.console import uploads

    root = uploads.uploads_root(workspace)
    running, finished, orphan, fresh = (root / name for name in ("a1", "b2", "c3", "d4"))
    for folder in (running, finished, orphan, fresh):
        folder.mkdir(parents=True)
        (folder / "00-book.xlsx").write_bytes(b"x")
    hours_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).timestamp()
    for folder in (running, finished, orphan):
        os.utime(folder, (hours_ago, hours_ago))
    submitted = [jobs.submit(workspace, "import", {"path": str(running / "00-book.xlsx")}, actor="rina"),
                 jobs.submit(workspace, "ingest", {"files": [{"path": str(finished / "00-book.xlsx")}]}, actor="arsip")]
    with db.session(workspace, write=True) as session:
        job = session.get(jobs.Job, submitted[1].id)
        job.status, job.finished_at = jobs.DONE, dt.datetime.now(dt.UTC) - dt.timedelta(days=uploads.KEEP_DAYS + 1)
    assert sorted(p.name for p in uploads.sweep(workspace)) == ["b2", "c3"]
    assert running.is_dir() and fresh.is_dir() and not finished.exists() and not orphan.exists()
