"""`sikro archive ingest`: bad scans land in the right berkas; duplicates, unmatched files, no NIK."""

from __future__ import annotations

import shutil

import pytest
import segno
from archive_support import (
    assert_all_bags_valid,
    assert_index_matches_bags,
    bad_scan,
    bags,
    make_permit,
    paper,
    run,
)


@pytest.fixture
def scans(workspace, tmp_path):
    """Three permits, scanned badly: two as JPEG images, one as a scanner's PDF, in one folder."""
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    permits = [make_permit(workspace, name=n) for n in ("Rina Sitanggang", "Hotman Simanjuntak", "Dewi Lubis")]
    files = []
    for i, permit in enumerate(permits):
        page = paper(tmp_path / f"paper{i}.pdf", permit.url)
        files.append(bad_scan(page, inbox / f"scan{i}.{'pdf' if i == 2 else 'jpg'}", as_pdf=(i == 2)))
    return permits, files, inbox


def test_bad_scans_are_filed_into_their_berkas(workspace, scans, ws_args):
    permits, files, inbox = scans
    result = run("archive", "ingest", inbox, "--no-ocr", "--json", *ws_args)
    assert result.code == 0, result.out + result.err
    outcome = {f["path"]: f for f in result.json()["files"]}
    for permit, scan in zip(permits, files):
        filed = outcome[str(scan)]
        assert filed["status"] == "filed", filed
        assert filed["number"] == permit.number
        assert filed["berkas"] == permit.registration_number.replace("/", "-")
        assert not scan.exists()  # removed: safely filed, no --keep
    [berkas_dir] = [b for b in bags(workspace) if b.name == "REG-00001-SIKRO-2026"]
    assert berkas_dir.relative_to(workspace.archive_dir).parts == ("2026", "500.16.7.2", "REG-00001-SIKRO-2026")
    assert_all_bags_valid(workspace)
    assert_index_matches_bags(workspace)


def test_bag_info_masks_the_nik_and_carries_the_metadata(workspace, scans, ws_args):
    permits, files, inbox = scans
    assert run("archive", "ingest", inbox, "--no-ocr", *ws_args).code == 0
    info = (bags(workspace)[0] / "bag-info.txt").read_text("utf-8")
    assert "1211014503910002" not in info and "121101******0002" in info
    for needed in ("Sikro-Registration-Number: REG/00001/SIKRO/2026", f"Sikro-Document-Number: {permits[0].number}",
                   "Sikro-Classification: 500.16.7.2", "Sikro-Final-Fate: Permanen", "Payload-Oxum:"):
        assert needed in info
    events = (bags(workspace)[0] / "premis-events.jsonl").read_text("utf-8")
    assert '"eventType": "ingestion"' in events
    tagmanifest = (bags(workspace)[0] / "tagmanifest-sha256.txt").read_text()
    assert "premis-events.jsonl" in tagmanifest and "bag-info.txt" in tagmanifest


def test_a_file_dropped_twice_is_a_duplicate_not_stored_twice(workspace, scans, tmp_path, ws_args):
    permits, files, inbox = scans
    copy = tmp_path / "again.jpg"
    shutil.copy(files[0], copy)
    assert run("archive", "ingest", inbox, "--no-ocr", "--keep", *ws_args).code == 0
    again = run("archive", "ingest", copy, "--no-ocr", "--json", *ws_args)
    assert again.code == 0
    [dup] = again.json()["files"]
    assert dup["status"] == "duplicate" and dup["berkas"] == "REG-00001-SIKRO-2026"
    assert "already in the archive" in dup["message"]
    manifest = (bags(workspace)[0] / "manifest-sha256.txt").read_text()
    assert len(manifest.splitlines()) == 1
    assert files[0].exists()  # --keep left the first sources alone


def test_unusable_files_are_unmatched_and_stay_where_they_were(workspace, tmp_path, ws_args):
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    (inbox / "notes.txt").write_text("not a scan")
    (inbox / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n")
    (inbox / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0garbage" * 10)
    segno.make("https://example.org/menu", error="m").save(inbox / "foreign.png", scale=6)
    from PIL import Image

    Image.new("L", (800, 1000), 255).save(inbox / "blank.png")
    result = run("archive", "ingest", inbox, "--json", *ws_args)
    assert result.code == 1
    files = {f["path"].rsplit("/", 1)[-1]: f for f in result.json()["files"]}
    assert {f["status"] for f in files.values()} == {"unmatched"}
    assert "not a PDF or image" in files["notes.txt"]["message"]
    assert "corrupt" in files["corrupt.pdf"]["message"]
    assert "not a verification code" in files["foreign.png"]["message"]
    assert "no QR code" in files["blank.png"]["message"]
    assert sorted(p.name for p in inbox.iterdir()) == sorted(files)  # nothing lost or moved
    text = run("archive", "ingest", inbox / "broken.jpg", *ws_args)
    assert text.code == 1 and "unmatched" in text.out


def test_add_by_reference_and_unknown_reference(workspace, tmp_path, ws_args):
    permit = make_permit(workspace)
    attachment = tmp_path / "ktp copy.png"
    from PIL import Image

    Image.new("L", (300, 200), 200).save(attachment)
    result = run("archive", "add", attachment, "--ref", permit.number, "--kind", "lampiran", "--json", *ws_args)
    assert result.code == 0, result.err
    [filed] = result.json()["files"]
    assert filed["status"] == "filed" and filed["berkas"] == "REG-00001-SIKRO-2026"
    assert attachment.exists()  # `add` copies; it never removes the original
    missing = run("archive", "add", attachment, "--ref", "REG/09999/SIKRO/2026", *ws_args)
    assert missing.code == 1 and "no application, document or berkas" in missing.err
    assert_all_bags_valid(workspace)


def test_generated_pdf_is_filed_with_its_text(workspace, tmp_path):
    from reportlab.pdfgen import canvas

    from sikro_docs import db
    from sikro_docs.archive import file_document, search

    permit = make_permit(workspace, workplace="Optik Cahaya Mata")
    pdf = tmp_path / "izin.pdf"
    page = canvas.Canvas(str(pdf))
    page.drawString(72, 720, "SURAT IZIN KERJA REFRAKSIONIS OPTISIEN kacamata istimewa")
    page.save()
    result = file_document(workspace, permit.document_id, [pdf])
    assert result.ok and result.files[0].status == "filed"
    assert pdf.exists()
    with db.session(workspace) as session:
        [hit] = search(session, "istimewa")
    assert hit.registration_number == permit.registration_number
    again = file_document(workspace, permit.document_id, [pdf])
    assert again.files[0].status == "duplicate"


def _with_active_content(source, out, what: str):
    """`source` (a PDF) with JavaScript, a launch action or an embedded file added by pypdf."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=str(source))
    if what == "js":
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
            NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hai');")})
    elif what == "launch":
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
            NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")})
    else:
        writer.add_attachment("payload.exe", b"MZ not really")
    with open(out, "wb") as fh:
        writer.write(fh)
    return out


def test_active_content_is_filed_with_a_warning_shown_by_search_and_show(workspace, tmp_path, ws_args):
    from archive_support import run_here

    from sikro_docs.archive.active_content import active_content

    permit = make_permit(workspace, name="Rina Sitanggang")
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    _with_active_content(paper(tmp_path / "p.pdf", permit.url), inbox / "izin.pdf", "js")
    launch = _with_active_content(paper(tmp_path / "q.pdf", permit.url), tmp_path / "lampiran.pdf", "launch")
    attached = _with_active_content(paper(tmp_path / "r.pdf", permit.url), tmp_path / "lampiran2.pdf", "attach")
    assert active_content(paper(tmp_path / "plain.pdf", permit.url)) == []
    escaped = tmp_path / "escaped.pdf"  # a name spelled with #xx escapes is the same name
    escaped.write_bytes(b"%PDF-1.7\n1 0 obj << /OpenAction << /S /J#61va#53cript >> >> endobj\n")
    assert active_content(escaped) == ["JavaScript"]
    assert run_here("archive", "ingest", inbox, "--no-ocr", *ws_args).code == 0
    for extra in (launch, attached):
        assert run_here("archive", "add", extra, "--ref", permit.registration_number, "--kind", "lampiran",
                        *ws_args).code == 0
    hits = run_here("archive", "search", "Rina", "--json", *ws_args).json()["hits"]
    [hit] = hits
    warned = " | ".join(hit["warnings"])
    for finding in ("JavaScript", "a launch action", "an embedded file"):
        assert finding in warned, warned
    text = run_here("archive", "search", "Rina", *ws_args).out
    assert "warning:" in text and "JavaScript" in text
    shown = run_here("archive", "show", permit.registration_number, *ws_args)
    assert shown.code == 0, shown.err
    assert "JavaScript" in shown.out and "a launch action" in shown.out and "an embedded file" in shown.out
    assert permit.number in shown.out


def test_search_names_the_documents_that_matched(workspace, tmp_path, ws_args):
    from archive_support import run_here

    permit = make_permit(workspace, name="Rina Sitanggang")
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    paper(inbox / "izin.pdf", permit.url)
    assert run_here("archive", "ingest", inbox, "--no-ocr", *ws_args).code == 0
    [hit] = run_here("archive", "search", permit.number, "--json", *ws_args).json()["hits"]
    assert hit["documents"] == [{"kind": "permit", "number": permit.number}]
    text = run_here("archive", "search", permit.number, *ws_args).out
    assert f"permit {permit.number}" in text
    [by_name] = run_here("archive", "search", "Rina", "--json", *ws_args).json()["hits"]
    assert by_name["documents"] == []  # the name matched, no document number did


def test_an_over_long_search_query_is_refused(workspace, ws_args):
    from archive_support import run_here

    result = run_here("archive", "search", "x" * 5000, *ws_args)
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert "limits.search.query_chars" in line
