"""Number patterns, allocation, two-phase issue, voiding, listing and the Buku Ekspedisi."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest
from conftest import assert_no_traceback
from registers_support import DOC_DATE, entries, make_applications, sql

from sikro_docs import db, numbering
from sikro_docs.errors import SikroError


def profile_with(workspace, register, pattern):
    profile = {**workspace.profile, "registers": {**workspace.profile["registers"]}}
    base = numbering.register_settings(workspace, register)  # the profile's, else the type's
    profile["registers"][register] = {**base, "pattern": pattern}
    return profile


def write_number_file(ws):
    def produce(document):
        path = ws.out_dir / f"{document.uid}.txt"
        path.write_text(f"Nomor: {document.number}")
        return [path]
    return produce


@pytest.mark.parametrize("register, pattern, seq, on, expected", [
    ("registrasi", None, 7, dt.date(2025, 3, 7), "REG/00007/SIPB/2025"),
    ("surat-keluar", None, 12, dt.date(2025, 11, 30), "500.16.7.2/0012/DPMPTSPK/XI/2025"),
    ("izin", "500.16.7.2/{nomor:04d}/SIKRO/DPMPTSPK/{tahun}", 3, dt.date(2026, 1, 2), "500.16.7.2/0003/SIKRO/DPMPTSPK/2026"),
    ("izin", "503/{nomor:03d}/DPMPTSPK/{bulan_romawi}/{tahun}", 42, dt.date(2024, 8, 1), "503/042/DPMPTSPK/VIII/2024"),
    ("izin", "{klasifikasi}/{nomor}/{unit}/{bulan:02d}.{tahun}", 1250, dt.date(2025, 4, 9), "500.16.7.2/1250/DPMPTSPK/04.2025"),
])
def test_format_number_follows_the_office_pattern(workspace, register, pattern, seq, on, expected):
    profile = profile_with(workspace, register, pattern) if pattern else workspace.profile
    assert numbering.format_number(profile, register, seq, on, izin="SIPB") == expected


@pytest.mark.parametrize("pattern, message", [
    ("503/{nomer:03d}/{tahun}", "register izin: unknown placeholder {nomer}"),
    ("503/{nomor:03q}/{tahun}", "register izin: placeholder {nomor:03q} cannot be formatted"),
    ("503/{nomor:03d/{tahun}", "register izin: number pattern '503/{nomor:03d/{tahun}' is malformed"),
    ("503/{nomor:03d}/DPMPTSPK", "register izin: number pattern '503/{nomor:03d}/DPMPTSPK' lacks {tahun}"),
    ("503/{0}/{tahun}", "register izin: unknown placeholder {0}"),
])
def test_bad_pattern_is_a_clear_error(workspace, pattern, message):
    with pytest.raises(SikroError) as err:
        numbering.format_number(profile_with(workspace, "izin", pattern), "izin", 1, DOC_DATE)
    assert str(err.value).startswith(message)


def test_every_kind_names_a_register_of_the_profile_or_none(workspace):
    kinds = numbering.document_kinds()
    assert set(kinds) == {"registration", "receipt", "checklist-return", "disposition", "recommendation-request",
                          "task-order", "inspection-report", "rejection", "permit", "revocation-decree"}
    registers = set(numbering.all_registers(workspace))
    for spec in kinds.values():
        assert spec.title and spec.subject and (spec.register is None or spec.register in registers)
    assert kinds["recommendation-request"].title == "Surat Permintaan Rekomendasi"
    assert {k for k, s in kinds.items() if s.final} == {"permit", "rejection", "revocation-decree"}


def test_one_file_describes_each_kind_for_numbering_and_templates():
    """data/document_kinds.toml holds, in one table per kind, both its numbering facts
    and its template facts; the two loaders read that one file and agree on the kinds."""
    from importlib import resources

    from sikro_docs.cli.documents import DOCUMENT_KINDS
    from sikro_docs.documents import KINDS, builtin_templates_dir, get_kind

    data_dir = resources.files("sikro_docs.data")
    assert not data_dir.joinpath("document_templates.toml").is_file()
    raw = tomllib.loads(data_dir.joinpath("document_kinds.toml").read_text("utf-8"))["kinds"]
    numbered = numbering.document_kinds()
    assert list(raw) == list(numbered)
    # only the registration is recorded without being rendered
    assert [k for k, spec in raw.items() if "template" not in spec] == ["registration"]
    assert list(KINDS) == [k for k in numbered if k != "registration"] == DOCUMENT_KINDS
    template_keys = {"template", "step", "signer", "letter", "hal", "di", "number", "qr", "variables"}
    for kind, spec in raw.items():
        assert spec["title"] and spec["subject"] and spec["addressee"], kind  # numbering facts
        if kind == "registration":
            continue
        assert template_keys <= set(spec), (kind, template_keys - set(spec))  # template facts
        assert spec["applies"] in ("complete", "incomplete", "approved", "rejected"), kind
        assert (builtin_templates_dir() / spec["template"]).is_file(), kind
        # what each loader makes of the one table
        n, t = numbering.document_kind(kind), get_kind(kind)
        assert t.title == n.title.upper() and t.template == spec["template"] and t.hal == spec["hal"]
        assert t.kepada == spec.get("kepada", n.addressee)
        # a kind numbered from a register must print that number, and only such a kind may
        assert (t.number == "register") == (n.register is not None), kind


def test_running_numbers_restart_each_year_per_register(workspace):
    [app_id] = make_applications(workspace, 1, on=dt.date(2025, 12, 30))
    with db.session(workspace, write=True) as session:
        got = [numbering.allocate(session, workspace, "surat-keluar", on, kind="rejection", application_id=app_id).number
               for on in (dt.date(2025, 12, 30), dt.date(2025, 12, 31), dt.date(2026, 1, 2), dt.date(2026, 1, 5))]
        permit = numbering.allocate(session, workspace, "izin", dt.date(2026, 1, 5), kind="permit", application_id=app_id)
    assert got == ["500.16.7.2/0001/DPMPTSPK/XII/2025", "500.16.7.2/0002/DPMPTSPK/XII/2025",
                   "500.16.7.2/0001/DPMPTSPK/I/2026", "500.16.7.2/0002/DPMPTSPK/I/2026"]
    assert permit.seq == 1


def test_a_kind_draws_only_from_its_own_register(workspace):
    [app_id] = make_applications(workspace, 1)
    with pytest.raises(SikroError, match="takes its number from register izin, not surat-keluar"):
        with db.session(workspace, write=True) as session:
            numbering.allocate(session, workspace, "surat-keluar", DOC_DATE, kind="permit", application_id=app_id)


def test_issue_document_binds_the_number_and_records_events(workspace):
    [app_id] = make_applications(workspace, 1, name="Sri Rahayu")
    document = numbering.issue_document(workspace, kind="recommendation-request", application_id=app_id,
                                        on=DOC_DATE, produce=write_number_file(workspace))
    assert (document.status, document.number) == ("issued", "500.16.7.2/0001/DPMPTSPK/III/2025")
    assert len(document.uid) == 16 and document.uid.isalnum()
    assert (workspace.root / document.files[0]).read_text() == f"Nomor: {document.number}"
    [row] = sql(workspace, "select status, document_id, subject, addressee from register_entries "
                           "where register = 'surat-keluar'")
    assert row == ("used", document.id, "Permintaan rekomendasi teknis permohonan SIKRO a.n. Sri Rahayu",
                   "Kepala Dinas Kesehatan Kabupaten Dairi")
    actions = [a for (a,) in sql(workspace, "select action from events where application_id = ? order by id", (app_id,))]
    assert actions == ["number.allocated", "number.allocated", "document.started", "number.confirmed", "document.issued"]
    with db.session(workspace) as session:
        assert numbering.find_issued(session, app_id, "recommendation-request").uid == document.uid
        assert numbering.find_issued(session, app_id, "permit") is None


def test_kind_without_register_takes_no_number(workspace):
    [app_id] = make_applications(workspace, 1)
    receipt = numbering.issue_document(workspace, kind="receipt", application_id=app_id, on=DOC_DATE,
                                       produce=write_number_file(workspace))
    assert (receipt.status, receipt.number, receipt.register) == ("issued", None, None)
    assert sql(workspace, "select count(*) from register_entries where register != 'registrasi'") == [(0,)]


def test_failed_generation_voids_the_number_and_reraises(workspace, sikro):
    [app_id] = make_applications(workspace, 1)

    def broken(_document):
        raise RuntimeError("template izin.docx not found")

    with pytest.raises(RuntimeError, match="template izin.docx not found"):
        numbering.issue_document(workspace, kind="permit", application_id=app_id, on=DOC_DATE, produce=broken)
    second = numbering.issue_document(workspace, kind="permit", application_id=app_id, on=DOC_DATE,
                                      produce=write_number_file(workspace))
    assert [(r[1], r[3], r[4]) for r in entries(workspace, "izin")] == [
        (1, "void", "generation failed: template izin.docx not found"), (2, "used", None)]
    assert second.seq == 2
    assert sql(workspace, "select status from documents order by id") == [("void",), ("issued",)]
    assert sikro("register", "verify", "--workspace", workspace.root).code == 0


def test_documents_issued_together_void_only_the_one_that_failed(workspace, sikro):
    app_ids = make_applications(workspace, 4)
    write = write_number_file(workspace)
    produced = []

    def produce(document):
        produced.append(document.seq)
        if document.seq == 2:
            raise RuntimeError("foto tidak terbaca")
        return write(document)

    requests = [numbering.IssueRequest(app_id) for app_id in app_ids]
    outcomes = numbering.issue_documents(workspace, kind="permit", requests=requests, on=DOC_DATE, produce=produce)

    assert produced == [1, 2, 3, 4]  # numbers follow the request order
    assert [type(o).__name__ for o in outcomes] == ["Document", "RuntimeError", "Document", "Document"]
    assert [o.application_id for o in outcomes if not isinstance(o, Exception)] == [app_ids[0], *app_ids[2:]]
    assert [(r[1], r[3], r[4]) for r in entries(workspace, "izin")] == [
        (1, "used", None), (2, "void", "generation failed: foto tidak terbaca"), (3, "used", None),
        (4, "used", None)]
    assert sikro("register", "verify", "--workspace", workspace.root).code == 0


def test_ctrl_c_in_the_middle_of_a_chunk_keeps_what_was_made_and_voids_the_rest(workspace, sikro):
    app_ids = make_applications(workspace, 3)
    write = write_number_file(workspace)

    def produce(document):
        if document.seq == 2:
            raise KeyboardInterrupt
        return write(document)

    with pytest.raises(KeyboardInterrupt):
        numbering.issue_documents(workspace, kind="permit", on=DOC_DATE, produce=produce,
                                  requests=[numbering.IssueRequest(app_id) for app_id in app_ids])
    assert [(r[1], r[3]) for r in entries(workspace, "izin")] == [(1, "used"), (2, "void"), (3, "void")]
    assert sql(workspace, "select status from documents order by id") == [("issued",), ("void",), ("void",)]
    assert sikro("register", "verify", "--workspace", workspace.root).code == 0


def test_void_command(workspace, sikro, ws_args):
    [app_id] = make_applications(workspace, 1)
    letter = numbering.issue_document(workspace, kind="rejection", application_id=app_id, on=DOC_DATE,
                                      produce=write_number_file(workspace))
    missing_reason = sikro("register", "void", "surat-keluar", letter.number, *ws_args)
    assert missing_reason.code == 2 and "--reason" in missing_reason.err
    blank = sikro("register", "void", "surat-keluar", letter.number, "--reason", "  ", *ws_args)
    assert blank.code == 1 and "reason is required" in blank.err

    done = sikro("register", "void", "surat-keluar", letter.number, "--reason", "salah alamat", *ws_args)
    assert done.code == 0, done.err
    assert sql(workspace, "select status, reason from documents where id = ?", (letter.id,)) == [("void", "salah alamat")]
    again = sikro("register", "void", "surat-keluar", letter.number, "--reason", "lagi", *ws_args)
    unknown = sikro("register", "void", "surat-keluar", "500.16.7.2/0999/DPMPTSPK/III/2025", "--reason", "x", *ws_args)
    for result, text in ((again, "is already void (salah alamat)."), (unknown, "has no number 500.16.7.2/0999")):
        assert_no_traceback(result)
        assert result.code == 1 and text in result.err and result.err.count("\n") == 1
    with db.session(workspace, write=True) as session:  # a void number is never given again
        nxt = numbering.allocate(session, workspace, "surat-keluar", DOC_DATE, kind="rejection", application_id=app_id)
    assert nxt.seq == 2
    actions = [a for (a,) in sql(workspace, "select action from events where application_id = ?", (app_id,))]
    assert "number.voided" in actions and "document.voided" in actions


def test_list_json_and_table(workspace, sikro, ws_args):
    ids = make_applications(workspace, 2)
    for app_id in ids:
        numbering.issue_document(workspace, kind="task-order", application_id=app_id, on=DOC_DATE,
                                 produce=write_number_file(workspace))
    with db.session(workspace, write=True) as session:
        first = entries(workspace, "surat-keluar")[0][2]
        numbering.void(session, workspace, "surat-keluar", first, "dobel")
    listed = sikro("register", "list", "surat-keluar", "--json", "--year", "2025", *ws_args)
    assert listed.code == 0, listed.err
    rows = listed.json()
    assert [(r["seq"], r["status"], r["reason"], r["date"]) for r in rows] == [
        (1, "void", "dobel", "2025-03-07"), (2, "used", None, "2025-03-07")]
    assert rows[1]["document"] == {"kind": "task-order", "application": "REG/00002/SIKRO/2025"}
    assert rows[1]["number"] == "500.16.7.2/0002/DPMPTSPK/III/2025"
    assert sikro("register", "list", "surat-keluar", "--json", "--year", "2024", *ws_args).json() == []

    table = sikro("register", "list", "surat-keluar", *ws_args).out.splitlines()
    assert len(table) == 4
    status_at = table[0].index("Status")
    assert [line[status_at:status_at + 4] for line in table[2:]] == ["void", "used"]
    unknown = sikro("register", "list", "surat-masuk", *ws_args)
    assert unknown.code == 1 and "unknown register 'surat-masuk'" in unknown.err


def test_dispatch_record(workspace, sikro, ws_args):
    ids = make_applications(workspace, 2)
    numbering.issue_document(workspace, kind="recommendation-request", application_id=ids[0], on=DOC_DATE,
                             produce=write_number_file(workspace))
    permit = numbering.issue_document(workspace, kind="permit", application_id=ids[0], on=DOC_DATE,
                                      produce=write_number_file(workspace))
    by_registration = sikro("dispatch", "record", "REG/00001/SIKRO/2025", "--to", "Pemohon 1",
                            "--received-by", "Pemohon 1", "--at", "10-03-2025 14:30", *ws_args)
    assert by_registration.code == 0, by_registration.err
    assert permit.number in by_registration.out and "10 Maret 2025 14.30 WIB" in by_registration.out
    letter = entries(workspace, "surat-keluar")[0][2]
    by_number = sikro("dispatch", "record", letter, "--to", "Kepala Dinas Kesehatan",
                      "--received-by", "Rina (staf TU)", "--at", "2025-03-11T01:00:00Z", *ws_args)
    assert by_number.code == 0, by_number.err
    next_year = sikro("dispatch", "record", letter, "--to", "Kepala Dinas Kesehatan",
                      "--received-by", "Rina", "--at", "2026-01-02 09:00", *ws_args)
    assert next_year.code == 0
    listed = sikro("register", "list", "ekspedisi", "--json", *ws_args).json()
    assert [(r["year"], r["seq"], r["number"], r["delivered_at"], r["received_by"]) for r in listed] == [
        (2025, 1, permit.number, "2025-03-10T14:30:00+07:00", "Pemohon 1"),
        (2025, 2, letter, "2025-03-11T08:00:00+07:00", "Rina (staf TU)"),
        (2026, 1, letter, "2026-01-02T09:00:00+07:00", "Rina")]
    assert ("document.dispatched",) in sql(workspace, "select action from events where application_id = ?", (ids[0],))

    for ref, text in (("REG/00002/SIKRO/2025", "has no issued"), ("NOPE/1", "no document or application")):
        failed = sikro("dispatch", "record", ref, "--to", "x", "--received-by", "y", *ws_args)
        assert failed.code == 1 and text in failed.err
        assert_no_traceback(failed)
    bad_time = sikro("dispatch", "record", letter, "--to", "x", "--received-by", "y", "--at", "besok", *ws_args)
    assert bad_time.code == 1 and "cannot read the time 'besok'" in bad_time.err
    assert sikro("register", "verify", *ws_args).code == 0


# --------------------------------------------------------------------------- registers of the permit types


def _as_type(ws, app_id: int, code: str) -> None:
    from sikro_docs.models import Application

    with db.session(ws, write=True) as session:
        session.get(Application, app_id).permit_type = code


def _set_profile(ws, old: str, new: str):
    from sikro_docs.workspace import open_workspace

    text = ws.profile_path.read_text(encoding="utf-8")
    assert old in text
    ws.profile_path.write_text(text.replace(old, new), encoding="utf-8")
    return open_workspace(ws.root)


def test_the_registration_pattern_names_each_applications_own_type(workspace):
    """One registration register for every type: {izin} is the application's type, never a fixed one."""
    pattern = numbering.register_settings(workspace, "registrasi")["pattern"]
    assert pattern == "REG/{nomor:05d}/{izin}/{tahun}"
    assert "izin" not in tomllib.loads(workspace.profile_path.read_text())["registers"]


def test_each_type_numbers_its_permits_from_its_own_register(workspace):
    sipb, sikro_app = make_applications(workspace, 2)
    _as_type(workspace, sipb, "sipb")
    first = numbering.issue_document(workspace, kind="permit", application_id=sipb, on=DOC_DATE,
                                     produce=write_number_file(workspace))
    other = numbering.issue_document(workspace, kind="permit", application_id=sikro_app, on=DOC_DATE,
                                     produce=write_number_file(workspace))
    assert (first.register, first.number) == ("izin-sipb", "503/0001/SIPB/DPMPTSPK/2025")
    assert (other.register, other.number) == ("izin", "500.16.7.2/0001/SIKRO/DPMPTSPK/2025")  # the type's pattern
    settings = numbering.register_settings(workspace, "izin-sipb")
    assert settings["title"] == "Buku Agenda Penomoran Surat Izin Praktik Bidan"
    assert settings["classification"] == "503"
    with pytest.raises(SikroError, match="takes its number from register izin-sipb, not izin"):
        with db.session(workspace, write=True) as session:
            numbering.allocate(session, workspace, "izin", DOC_DATE, kind="permit", application_id=sipb)


def test_an_existing_profile_keeps_its_own_permit_pattern(workspace):
    ws = _set_profile(workspace, "[working_time]", '[registers.izin]\ntitle = "Buku Agenda Penomoran Izin"\n'
                      'classification = "500.16.7.2"\npattern = "{klasifikasi}/{nomor:04d}/IZIN-LAMA/{tahun}"\n\n'
                      '[working_time]')
    [app_id] = make_applications(ws, 1)
    permit = numbering.issue_document(ws, kind="permit", application_id=app_id, on=DOC_DATE,
                                      produce=write_number_file(ws))
    assert permit.number == "500.16.7.2/0001/IZIN-LAMA/2025"


def test_shared_registers_need_the_profiles_izin_register(workspace):
    ws = _set_profile(workspace, 'registers = "per-type"', 'registers = "shared"')
    [app_id] = make_applications(ws, 1)
    _as_type(ws, app_id, "sipa")
    with pytest.raises(SikroError, match=r"unknown register 'izin'.*registers = \"shared\""):
        numbering.issue_document(ws, kind="permit", application_id=app_id, on=DOC_DATE,
                                 produce=write_number_file(ws))
    ws = _set_profile(ws, "[working_time]", '[registers.izin]\ntitle = "Buku Agenda Penomoran Izin"\n'
                      'classification = "503"\npattern = "{klasifikasi}/{nomor:04d}/IZIN/{unit}/{tahun}"\n\n'
                      '[working_time]')
    permit = numbering.issue_document(ws, kind="permit", application_id=app_id, on=DOC_DATE,
                                      produce=write_number_file(ws))
    assert (permit.register, permit.number) == ("izin", "503/0001/IZIN/DPMPTSPK/2025")  # the refusal took none
    assert "izin-sipa" not in numbering.all_registers(ws)


def test_a_register_the_tool_added_later_is_there_for_an_old_profile(workspace):
    text = workspace.profile_path.read_text(encoding="utf-8")
    start = text.index("[registers.keputusan]")
    ws = _set_profile(workspace, text[start:text.index("\n\n", start) + 2], "")
    assert "keputusan" not in tomllib.loads(ws.profile_path.read_text())["registers"]
    assert numbering.register_settings(ws, "keputusan")["pattern"] == "{klasifikasi}/{nomor:04d}/KEP/{unit}/{tahun}"


def test_register_list_names_every_register(workspace, sikro, ws_args):
    listed = sikro("register", "list", "--json", *ws_args)
    assert listed.code == 0, listed.err
    rows = {r["register"]: r for r in listed.json()}
    assert {"registrasi", "surat-keluar", "keputusan", "izin", "izin-sipb", "izin-sipa"} <= set(rows)
    assert rows["izin-sipa"]["pattern"] == "503/{nomor:04d}/SIPA/DPMPTSPK/{tahun}"
    assert rows["izin-sipa"]["permit_type"] == "sipa"
    table = sikro("register", "list", *ws_args)
    assert "Buku Agenda Penomoran Surat Izin Praktik Bidan" in table.out


def test_a_types_register_prints_as_a_book(workspace, sikro, ws_args, tmp_path):
    import openpyxl

    [app_id] = make_applications(workspace, 1, name="Sri Rahayu")
    _as_type(workspace, app_id, "sipb")
    numbering.issue_document(workspace, kind="permit", application_id=app_id, on=DOC_DATE,
                             produce=write_number_file(workspace))
    out = tmp_path / "buku-sipb.xlsx"
    result = sikro("register", "export", "izin-sipb", "-o", out, *ws_args)
    assert result.code == 0, result.err
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(out)["2025"].iter_rows()]
    assert rows[0][0] == "BUKU AGENDA PENOMORAN SURAT IZIN PRAKTIK BIDAN"
    assert rows[4][:7] == ["No urut", "Nomor Izin", "Tanggal", "Nama pemegang izin", "Jenis izin", "Nomor STR",
                           "Tempat praktik"]  # the type's first QR fields, labelled by the type
    assert rows[5][:5] == [1, "503/0001/SIPB/DPMPTSPK/2025", "7 Maret 2025", "Sri Rahayu", "SIPB"]
