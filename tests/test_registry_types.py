"""The registry of typed applications: type, kind, previous permit, the type's facts, rules across permits.

Records go in through the library API (`registry.register_record`, values as intake gives them,
made here from each field's `example` in the type's data) and through `sikro import`; permits are
issued as the batch numbers them (numbering.issue_documents, no LibreOffice).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from old_workspace import build_old_workspace, old_code
from registers_support import json_value, sql
from test_intake_support import make_workbook, valid_record

from sikro_docs import clock, db, numbering, permit_types, registry
from sikro_docs.cli import cli
from sikro_docs.intake.values import parse_value
from sikro_docs.models import Application, Event
from sikro_docs.workspace import open_workspace

FROZEN = "2026-09-01T10:00:00+07:00"
ISSUED = dt.date(2026, 9, 1)
# Fields every record names itself (not from the examples): who, which type, which kind, which permit.
OWN_CHOICES = {"jenis_izin", "jenis_permohonan", "nomor_izin_sebelumnya", "tanggal_izin_sebelumnya",
               "no_registrasi"}


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(FROZEN):
        yield


def a_type_with_rules(ws) -> permit_types.PermitType:
    """A built-in type whose [rules] name an n-th field, a place field and a maximum (from data alone)."""
    for ptype in permit_types.catalogue(ws).types.values():
        rules = ptype.rules
        if rules.max_places and rules.nth_field and rules.earlier_numbers_field and rules.place_field:
            return ptype
    pytest.skip("no built-in type has every rule")


def record(ws, ptype, **changes) -> dict:
    """A valid record of `ptype` as intake hands it, from its fields' examples; `changes` override."""
    values = {}
    for fld in ptype.fields:
        if fld.group in (permit_types.model.CHECKLIST_GROUP, permit_types.model.LATER) or fld.name in OWN_CHOICES:
            values[fld.name] = None
        else:
            values[fld.name] = parse_value(fld, fld.example)
    values = {k: v for k, v in values.items() if k not in {f.name for f in ptype.checklist_fields}}
    values.update(jenis_izin=ptype.code, berkas={f.name: True for f in ptype.checklist_fields})
    values.update(changes)
    return values


def register(ws, values, **kwargs) -> Application:
    with db.session(ws, write=True) as sess:
        app, _outcome = registry.register_record(sess, ws, values, actor="test", **kwargs)
        return app


def refused(ws, values) -> registry.ApplicationRefused:
    with pytest.raises(registry.ApplicationRefused) as caught:
        register(ws, values)
    return caught.value


def issue(ws, app_id: int, on: dt.date = ISSUED):
    [document] = numbering.issue_documents(ws, kind="permit", requests=[numbering.IssueRequest(app_id)],
                                           on=on, produce=lambda _document: [])
    return document


def run(ws, *args):
    result = CliRunner().invoke(cli, [*map(str, args), "--workspace", str(ws.root)])
    assert "Traceback" not in result.output, result.output
    return result


def events(ws, app_id: int, action: str) -> list[dict]:
    with db.session(ws) as sess:
        return [e.details for e in sess.query(Event).filter_by(application_id=app_id, action=action)]


# --------------------------------------------------------------------------- the type's facts


def test_unknown_or_mistyped_fact_is_a_structured_error_naming_the_field(workspace):
    ptype = a_type_with_rules(workspace)
    err = refused(workspace, record(workspace, ptype, warna_favorit="biru"))
    assert isinstance(err, registry.FactInvalid) and err.code == "fact-invalid"
    assert err.field == "warna_favorit" and ptype.short_name in str(err)
    date_field = next(f for f in ptype.own_fields if f.kind == "date_or_lifetime")
    err = refused(workspace, record(workspace, ptype, **{date_field.name: "besok"}))
    assert isinstance(err, registry.FactInvalid) and err.field == date_field.name
    assert str(err).startswith(date_field.label)
    number_field = ptype.rules.nth_field
    err = refused(workspace, record(workspace, ptype, **{number_field: 99}))
    assert err.field == number_field
    assert sql(workspace, "select count(*) from applications") == [(0,)]


def test_facts_are_stored_by_the_type_and_shown_labelled(workspace):
    ptype = a_type_with_rules(workspace)
    app = register(workspace, record(workspace, ptype))
    with db.session(workspace) as sess:
        stored = sess.get(Application, app.id)
        assert stored.permit_type == ptype.code and stored.application_kind == "baru"
        assert set(stored.facts) == {f.storage_key for f in ptype.own_fields}
        assert stored.place_key == " ".join(stored.facts[ptype.rules.place_field].split()).casefold()
    shown = run(workspace, "show", app.registration_number)
    assert shown.exit_code == 0
    assert f"{ptype.code} ({ptype.title})" in shown.output and "Baru" in shown.output
    place = ptype.by_name[ptype.rules.place_field]
    assert f"{place.shown_label}" in shown.output and place.example in shown.output
    as_json = run(workspace, "show", app.registration_number, "--json")
    assert '"permit_type_title"' in as_json.output


def test_list_by_type(workspace, tmp_path):
    ptype = a_type_with_rules(workspace)
    register(workspace, record(workspace, ptype))
    book = make_workbook(tmp_path / "p.xlsx", [valid_record(no_registrasi=None)])
    assert run(workspace, "import", book).exit_code == 0
    default = permit_types.default(workspace)
    everything = run(workspace, "list").output
    assert ptype.short_name in everything and default.short_name in everything
    only = run(workspace, "list", "--type", ptype.code).output.splitlines()
    assert len(only) == 1 and ptype.short_name in only[0]
    unknown = run(workspace, "list", "--type", "tidak-ada").exception  # `sikro` prints it on one line, exit 2
    assert isinstance(unknown, permit_types.UnknownPermitType) and unknown.exit_code == 2


# --------------------------------------------------------------------------- previous permits


def renewal(ws, ptype, number, **changes):
    changes.setdefault("tanggal_permohonan", dt.date(2026, 8, 20))
    return record(ws, ptype, jenis_permohonan="perpanjangan", nomor_izin_sebelumnya=number, **changes)


def test_renewal_links_the_known_permit_and_carries_its_data_over(workspace):
    ptype = a_type_with_rules(workspace)
    first = register(workspace, record(workspace, ptype))
    permit = issue(workspace, first.id)
    blanks = {f.name: None for f in ptype.own_fields if f.name != ptype.rules.nth_field}
    app = register(workspace, renewal(workspace, ptype, permit.number, **blanks))
    with db.session(workspace) as sess:
        stored = sess.get(Application, app.id)
        assert stored.previous_document_id == permit.id and stored.previous_date == permit.date
        assert stored.facts == sess.get(Application, first.id).facts
    [event] = events(workspace, app.id, "previous_permit")
    assert event["number"] == permit.number and set(event["carried_over"]) == {
        n for n in blanks if first.facts.get(ptype.by_name[n].storage_key) is not None}
    shown = run(workspace, "show", app.registration_number).output
    assert "Perpanjangan" in shown and permit.number in shown and "tidak tercatat" not in shown


def test_previous_permit_of_another_type_or_holder_is_a_row_error(workspace):
    ptype = a_type_with_rules(workspace)
    other = next(t for t in permit_types.catalogue(workspace).types.values() if t.code != ptype.code)
    theirs = issue(workspace, register(workspace, record(workspace, other)).id)
    err = refused(workspace, renewal(workspace, ptype, theirs.number))
    assert err.field == "nomor_izin_sebelumnya" and other.short_name in str(err)
    stranger = issue(workspace, register(workspace, record(workspace, ptype, nik="1211014503910010")).id)
    err = refused(workspace, renewal(workspace, ptype, stranger.number))
    assert err.field == "nomor_izin_sebelumnya" and "another holder" in str(err)


def test_unknown_previous_permit_needs_its_date_and_is_recorded(workspace):
    ptype = a_type_with_rules(workspace)
    err = refused(workspace, renewal(workspace, ptype, "503/0099/LAMA/2021"))
    assert err.field == "tanggal_izin_sebelumnya" and err.column == "Tanggal Izin Sebelumnya"
    app = register(workspace, renewal(workspace, ptype, "503/0099/LAMA/2021",
                                      tanggal_izin_sebelumnya=dt.date(2021, 6, 14)))
    assert app.previous_document_id is None and app.previous_date == dt.date(2021, 6, 14)
    assert events(workspace, app.id, "previous_permit_unknown") == [
        {"number": "503/0099/LAMA/2021", "date": "2021-06-14"}]
    assert "tidak tercatat di registri" in run(workspace, "show", app.registration_number).output


def test_revoked_or_replaced_permit_cannot_be_renewed(workspace):
    from sikro_docs.verification.verdict import DocumentVerification

    ptype = a_type_with_rules(workspace)
    first = issue(workspace, register(workspace, record(workspace, ptype)).id)
    sql(workspace, "update documents set status = 'revoked' where id = ?", (first.id,))
    err = refused(workspace, renewal(workspace, ptype, first.number))
    assert err.field == "nomor_izin_sebelumnya" and "DICABUT" in str(err)
    second = issue(workspace, register(workspace, record(workspace, ptype, tanggal_permohonan=dt.date(2026, 8, 6))).id)
    successor = issue(workspace, register(workspace, renewal(workspace, ptype, second.number)).id)
    with db.session(workspace, write=True) as sess:  # as issuing the renewal's permit marks it
        row = sess.get(DocumentVerification, second.id) or DocumentVerification(document_id=second.id)
        row.replaced_by_id = successor.id  # the effect of issuing it (application_kinds) did so already
        sess.add(row)
    err = refused(workspace, renewal(workspace, ptype, second.number, tanggal_permohonan=dt.date(2026, 8, 25)))
    assert err.field == "nomor_izin_sebelumnya" and "DIGANTI" in str(err)


def test_a_permit_is_renewed_once(workspace):
    ptype = a_type_with_rules(workspace)
    permit = issue(workspace, register(workspace, record(workspace, ptype)).id)
    first = register(workspace, renewal(workspace, ptype, permit.number))
    err = refused(workspace, renewal(workspace, ptype, permit.number, tanggal_permohonan=dt.date(2026, 8, 22)))
    assert first.registration_number in str(err)
    register(workspace, renewal(workspace, ptype, permit.number))  # the same application again: an update


# --------------------------------------------------------------------------- rules across permits


def nth(ws, ptype, n, earlier, place, day):
    rules = ptype.rules
    return record(ws, ptype, tanggal_permohonan=dt.date(2026, 8, day),
                  **{rules.nth_field: n, rules.earlier_numbers_field: earlier, rules.place_field: place})


def test_nth_permit_names_the_earlier_ones(workspace):
    from sikro_docs.verification.verdict import DocumentVerification

    ptype = a_type_with_rules(workspace)
    rules = ptype.rules
    first = issue(workspace, register(workspace, nth(workspace, ptype, 1, None, "Tempat Satu", 1)).id)
    err = refused(workspace, nth(workspace, ptype, 2, None, "Tempat Dua", 2))
    assert err.field == rules.earlier_numbers_field
    second = register(workspace, nth(workspace, ptype, 2, first.number, "Tempat Dua", 2))
    assert second.id
    third = register(workspace, nth(workspace, ptype, 3, f"{first.number}, 503/0001/LAMA/2020", "Tempat Tiga", 3))
    assert events(workspace, third.id, "earlier_permits_unknown")[0]["numbers"] == ["503/0001/LAMA/2020"]
    stranger = issue(workspace, register(workspace, record(workspace, ptype, nik="1211014503910010")).id)
    err = refused(workspace, nth(workspace, ptype, 2, stranger.number, "Tempat Empat", 4))
    assert err.field == rules.earlier_numbers_field and "not a" in str(err)
    # the first permit renewed: its old number still names a permit the holder holds; revoked, it does not
    renewed = issue(workspace, register(workspace, renewal(workspace, ptype, first.number, **{
        rules.nth_field: 1, rules.place_field: "Tempat Satu"})).id)
    with db.session(workspace, write=True) as sess:
        row = sess.get(DocumentVerification, first.id) or DocumentVerification(document_id=first.id)
        row.replaced_by_id = renewed.id
        sess.add(row)
    assert register(workspace, nth(workspace, ptype, 2, first.number, "Tempat Lima", 5)).id
    sql(workspace, "update documents set status = 'revoked' where id = ?", (renewed.id,))
    err = refused(workspace, nth(workspace, ptype, 2, first.number, "Tempat Enam", 6))
    assert err.field == rules.earlier_numbers_field and "not valid" in str(err)


def test_at_most_max_places_and_one_permit_per_place(workspace):
    ptype = a_type_with_rules(workspace)
    rules = ptype.rules
    numbers = []
    for n in range(1, rules.max_places + 1):
        app = register(workspace, nth(workspace, ptype, min(n, 1), None, f"Tempat {n}", n))
        numbers.append(issue(workspace, app.id).number)
    err = refused(workspace, nth(workspace, ptype, 1, None, "Tempat Lain", 20))
    assert err.field == "nik" and str(rules.max_places) in str(err)
    sql(workspace, "update documents set status = 'revoked' where number = ?", (numbers[0],))
    err = refused(workspace, nth(workspace, ptype, 1, None, "  tempat   2 ", 21))
    assert err.field == rules.place_field and numbers[1] in str(err)
    assert register(workspace, nth(workspace, ptype, 1, None, "Tempat Lain", 22)).id
    # a renewal replaces its permit: it does not count twice, and keeps its place
    assert register(workspace, renewal(workspace, ptype, numbers[1],
                                       **{rules.place_field: "Tempat 2", rules.nth_field: 1})).id


# --------------------------------------------------------------------------- through the workbook


def test_workbook_renewal_rows_name_the_column(workspace, tmp_path):
    book = make_workbook(tmp_path / "p.xlsx", [valid_record(no_registrasi=None)])
    assert run(workspace, "import", book).exit_code == 0
    [first] = sql(workspace, "select id from applications")
    permit = issue(workspace, first[0])
    rows = [
        {**valid_record(no_registrasi=None, tanggal_permohonan=dt.date(2026, 8, 20)),
         "jenis_permohonan": "Perpanjangan", "nomor_izin_sebelumnya": permit.number},
        {**valid_record(no_registrasi=None, tanggal_permohonan=dt.date(2026, 8, 21), nik="1211012111880003",
                        nama="Hotman", tanggal_lahir=dt.date(1988, 11, 21), jenis_kelamin="L"),
         "jenis_permohonan": "Perpanjangan", "nomor_izin_sebelumnya": "503/1/LAMA/2020"},
    ]
    book = make_workbook(tmp_path / "r.xlsx", rows)
    result = run(workspace, "import", book, "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["imported"] == 1
    [problem] = report["invalid"]
    assert problem["row"] == 3 and problem["column"] == "Tanggal Izin Sebelumnya"


# --------------------------------------------------------------------------- the chain


def test_editing_type_kind_or_previous_permit_behind_the_tool_is_found(workspace):
    ptype = a_type_with_rules(workspace)
    app = register(workspace, renewal(workspace, ptype, "503/0099/LAMA/2021",
                                      tanggal_izin_sebelumnya=dt.date(2021, 6, 14)))
    assert run(workspace, "register", "verify").exit_code == 0
    for column, value, label in (("application_kind", "baru", "application kind"),
                                 ("previous_number", "503/0100/LAMA/2021", "previous permit number"),
                                 ("permit_type", permit_types.default(workspace).code, "permit type")):
        sql(workspace, f"update applications set {column} = ? where id = ?", (value, app.id))
        result = run(workspace, "register", "verify")
        assert result.exit_code == 1 and label in result.output, result.output
        sql(workspace, f"update applications set {column} = ? where id = ?", (getattr(app, column), app.id))
    assert run(workspace, "register", "verify").exit_code == 0


@pytest.fixture(scope="module")
def old_release(tmp_path_factory):
    return old_code(tmp_path_factory.mktemp("old-code"))


def test_a_workspace_of_the_release_before_permit_types_verifies_after_the_upgrade(old_release, tmp_path):
    root, numbers = build_old_workspace(old_release, tmp_path / "ws", permits=2)
    ws = open_workspace(root)
    result = run(ws, "register", "verify")
    assert result.exit_code == 0, result.output
    actors = {a for (a,) in sql(ws, "select json_extract(content, '$.actor') from chain_log")}
    assert "sikro (migration 0008)" in actors
    restated = sql(ws, "select count(*) from chain_log where json_extract(content, '$.actor') = ?",
                   ("sikro (migration 0008)",))[0][0]
    db._migrated.discard(ws.db_url)
    assert run(ws, "register", "verify").exit_code == 0  # once: opening it again restates nothing
    assert sql(ws, "select count(*) from chain_log where json_extract(content, '$.actor') = ?",
               ("sikro (migration 0008)",))[0][0] == restated
    # and from now on the new keys are chained: an edit of them is found
    sql(ws, "update applications set application_kind = 'pencabutan' where id = 1")
    result = run(ws, "register", "verify")
    assert result.exit_code == 1 and "application kind" in result.output
    sql(ws, "update applications set application_kind = 'baru' where id = 1")
    # a renewal of a permit the old release issued links it
    with db.session(ws) as sess:
        holder = sess.get(Application, sess.get(numbering.Document, 1).application_id)
        nik, code = holder.nik, holder.permit_type
        number = sess.get(numbering.Document, 1).number
    assert number in numbers
    app = register(ws, record(ws, permit_types.get(ws, code), nik=nik, jenis_permohonan="perpanjangan",
                              nomor_izin_sebelumnya=number, tanggal_permohonan=dt.date(2026, 8, 30)))
    assert app.previous_document_id == 1
    assert run(ws, "register", "verify").exit_code == 0


def test_a_workspace_tampered_before_the_upgrade_still_fails(old_release, tmp_path):
    root, _numbers = build_old_workspace(old_release, tmp_path / "ws", permits=1)
    ws_db = root / "sikro.db"
    conn = sqlite3.connect(ws_db)
    conn.execute("update applications set name = 'Orang Lain' where id = 1")
    conn.commit()
    conn.close()
    ws = open_workspace(root)
    result = run(ws, "register", "verify")
    assert result.exit_code == 1
    assert "holder name in database 'Orang Lain'" in result.output


# --------------------------------------------------------------------------- the case file (berkas)


def test_berkas_title_classification_retention_and_place_come_from_the_type(workspace):
    from sikro_docs.archive.berkas import meta_for_application
    from sikro_docs.archive.retention import rule_for

    ptype = a_type_with_rules(workspace)
    app = register(workspace, record(workspace, ptype))
    meta = meta_for_application(workspace, app)
    assert meta.title == f"Permohonan {ptype.short_name} a.n. {app.name}"
    assert meta.classification == ptype.classification
    place = ptype.by_name[ptype.rules.place_field]
    assert meta.workplace.startswith(place.example)
    # an office's own type: classification and retention as its data says
    folder = workspace.root / permit_types.WORKSPACE_FOLDER / "ujix"
    folder.mkdir(parents=True)
    text = (Path(ptype.source) / permit_types.TYPE_FILE).read_text("utf-8")
    text = text.replace(f'code = "{ptype.code}"', 'code = "ujix"').replace(
        f'short_name = "{ptype.short_name}"', 'short_name = "UJIX"').replace(
        f'title = "{ptype.title}"', 'title = "Surat Izin Uji X"').replace(
        f'retention = "{ptype.retention}"', 'retention = "500.16.7"')
    (folder / permit_types.TYPE_FILE).write_text(text, "utf-8")
    own = permit_types.get(workspace, "ujix")
    assert own.retention == "500.16.7"
    mine = register(workspace, record(workspace, own, tanggal_permohonan=dt.date(2026, 8, 9)))
    meta = meta_for_application(workspace, mine)
    assert meta.title.startswith("Permohonan UJIX a.n.") and meta.classification == own.classification
    rule = rule_for("500.16.7")
    assert meta.active_until == dt.date(2026 + rule.active_years, 12, 31) and meta.final_fate == rule.fate
    assert ("Sikro-Retention-Code", "500.16.7") in meta.to_info(workspace.profile, "1")


def test_an_office_s_own_type_is_found_without_passing_the_workspace(workspace):
    """Callers that do not hand the workspace (the workflow, the batch) still reach an office's own type."""
    ptype = a_type_with_rules(workspace)
    folder = workspace.root / permit_types.WORKSPACE_FOLDER / "ujiy"
    folder.mkdir(parents=True)
    text = (Path(ptype.source) / permit_types.TYPE_FILE).read_text("utf-8")
    text = text.replace(f'code = "{ptype.code}"', 'code = "ujiy"').replace(
        f'short_name = "{ptype.short_name}"', 'short_name = "UJIY"').replace(
        f'title = "{ptype.title}"', 'title = "Surat Izin Uji Y"')  # one name never means two types
    (folder / permit_types.TYPE_FILE).write_text(text, "utf-8")
    app = register(workspace, record(workspace, permit_types.get(workspace, "ujiy")))
    with db.session(workspace) as sess:
        stored = sess.get(Application, app.id)
        assert registry.is_complete(stored) and registry.describe(stored)["permit_type"] == "ujiy"


def test_a_workbook_renewal_with_blank_own_cells_carries_the_permit_s_data_over(workspace, tmp_path):
    default = permit_types.default(workspace)
    book = make_workbook(tmp_path / "p.xlsx", [valid_record(no_registrasi=None)])
    assert run(workspace, "import", book).exit_code == 0
    [(first_id, facts)] = sql(workspace, "select id, facts from applications")
    permit = issue(workspace, first_id)
    blank = {f.name: None for f in default.own_fields}
    renewal_row = {**valid_record(no_registrasi=None, tanggal_permohonan=dt.date(2026, 8, 20)), **blank,
                   "jenis_permohonan": "Perpanjangan", "nomor_izin_sebelumnya": permit.number}
    unknown_row = {**renewal_row, "tanggal_permohonan": dt.date(2026, 8, 21), "nomor_izin_sebelumnya": "503/1/LAMA",
                   "tanggal_izin_sebelumnya": dt.date(2020, 1, 6)}
    result = run(workspace, "import", make_workbook(tmp_path / "r.xlsx", [renewal_row, unknown_row]), "--json")
    report = json.loads(result.output)
    assert report["imported"] == 1
    required = next(f for f in default.own_fields if f.required and f.kind != "date_or_lifetime")
    assert [(p["row"], p["column"]) for p in report["invalid"]][0] == (3, required.label)
    [(facts_now,)] = sql(workspace, "select facts from applications where previous_document_id = ?", (permit.id,))
    assert json_value(facts_now) == json_value(facts)
