"""Intake's row problems are structured: each check gives a stable code and the values its English
message is made of (the message itself unchanged), the staff console words the code in Bahasa
Indonesia (English with ?lang=en) on the import result page, the single application form and its
correction, and the API's 422 errors carry the code and values beside the English message."""

from __future__ import annotations

import datetime as dt
import os
import string

import pytest
from console_support import NOW, csrf_of, make_user, signed_in
from test_console_intake import run, sipb_book, upload
from test_console_intake_form import _api_record, applications, field_block, form_data, post_new
from test_intake_types import SIPB, book, read, record

from sikro_docs import accounts, clock, holdings, permit_types
from sikro_docs.console import i18n, intake_form
from sikro_docs.intake import Problem, open_input, read_ahead
from sikro_docs.intake import columns as c
from sikro_docs.intake import problems as pr
from sikro_docs.intake.columns import workbook_fields
from sikro_docs.intake.nik import InvalidNik, parse_nik
from sikro_docs.intake.values import InvalidValue, parse_value

FIFTEEN = "121101450391000"
FIELDS = workbook_fields(SIPB)


def field(name: str) -> c.Field:
    return next(f for f in FIELDS if f.name == name)


def refused(fld: c.Field, value) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        parse_value(fld, value)
    return caught.value


# --- the library: codes and values, the English unchanged ------------------------------------


@pytest.mark.parametrize(("value", "code", "values", "message"), [
    (FIFTEEN, "intake.nik.digits", {"value": FIFTEEN, "digits": 15, "expected": 16},
     f'"{FIFTEEN}" has 15 digits; a NIK has 16'),
    ("12110145039100A2", "intake.nik.not-digits", {"value": "12110145039100A2"},
     '"12110145039100A2" contains characters other than digits'),
    ("1211019903910002", "intake.nik.birth-date", {"value": "1211019903910002", "encoded": "990391"},
     '"1211019903910002" encodes birth date 990391, which is not a real date'),
    ("1211014503910000", "intake.nik.serial", {"value": "1211014503910000"},
     '"1211014503910000" has serial 0000; serials start at 0001'),
    (1211014503910000.0, "intake.nik.lost-digits", {"value": "1211014503910000"},
     '"1211014503910000" was stored as a number, which keeps only 15 digits; format the NIK column as text '
     "and type the NIK again"),
    (True, "intake.nik.not-nik", {"value": "True"}, '"True" is not a NIK'),
])
def test_each_nik_check_has_its_code_and_values(value, code, values, message):
    with pytest.raises(InvalidNik) as caught:
        parse_nik(value)
    err = caught.value
    assert (err.code, dict(err.values), str(err)) == (code, values, message)
    assert isinstance(err, InvalidValue) and isinstance(err, ValueError)  # what callers always caught


@pytest.mark.parametrize(("name", "value", "code", "values", "message"), [
    ("tanggal_lahir", "31-02-1991", "intake.date.unreal", {"value": "31-02-1991"}, '"31-02-1991" is not a real date'),
    ("tanggal_lahir", "kemarin", "intake.date.unreadable", {"value": "kemarin"},
     '"kemarin" is not a date; write it as dd-mm-yyyy, e.g. 05-03-1991'),
    ("tanggal_lahir", "5 Marzo 1991", "intake.date.month", {"value": "5 Marzo 1991", "word": "Marzo"},
     '"5 Marzo 1991" is not a date: "Marzo" is not a month name'),
    ("tanggal_lahir", dt.time(10, 30), "intake.date.time", {"value": "10:30:00"}, '"10:30:00" is a time, not a date'),
    ("tanggal_lahir", 9999999, "intake.date.not-date", {"value": "9999999"}, '"9999999" is not a date'),
    ("jenis_kelamin", "X", "intake.gender", {"value": "X"}, '"X" must be L or P'),
    ("jenis_praktik", "Bersama", "intake.choice", {"value": "Bersama", "choices": "Fasilitas, Mandiri"},
     '"Bersama" must be one of: Fasilitas, Mandiri'),
    ("sip_ke", "dua", "intake.number.not-whole", {"value": "dua"}, '"dua" is not a whole number'),
    ("sip_ke", 4, "intake.number.range", {"value": "4", "low": 1, "high": 3}, '"4" must be from 1 to 3'),
    ("no_hp", "12345", "intake.phone.not-phone", {"value": "12345"},
     '"12345" is not an Indonesian phone number (08… or +62…)'),
    ("no_hp", "0812", "intake.phone.digits", {"value": "0812", "digits": 4, "low": 10, "high": 13},
     '"0812" has 4 digits; expected 10 to 13 (with the leading 0)'),
    ("jenis_permohonan", "Pindah", "intake.application-kind", None, '"Pindah" is not one of '),
])
def test_each_value_check_has_its_code_and_values(name, value, code, values, message):
    err = refused(field(name), value)
    assert err.code == code and str(err).startswith(message)
    if values is not None:
        assert dict(err.values) == values
    assert str(err) == err.message.format(**err.values)


def test_a_bare_sentence_is_still_a_problem_of_code_other():
    assert (InvalidValue("odd").code, str(InvalidValue("odd"))) == ("intake.other", "odd")
    plain = Problem(3, "Nama", "Nama is odd", "nama")
    assert (plain.code, dict(plain.values), str(plain)) == ("intake.other", {}, "row 3, Nama: Nama is odd")
    assert plain.as_json()["code"] == "intake.other"


def codes_of(row) -> list[tuple[str, str | None, dict]]:
    return [(p.code, p.field, dict(p.values)) for p in row.problems]


def test_a_rows_problems_carry_code_values_and_the_label_with_the_english_unchanged(tmp_path):
    rows = [record(SIPB, nik=FIFTEEN, jenis_kelamin="L", tanggal_lahir="kemarin"),
            record(SIPB, nama=None, nik="1211010503910002"),  # a man's NIK; the row says P
            record(SIPB, jenis_praktik="Bersama", nik="1211014503910004", tanggal_lahir="06-03-1991")]
    _, (digits, man, choice) = read(book(tmp_path, rows, FIELDS), permit_type="sipb")
    assert [str(p) for p in digits.problems] == [
        f'row 2, NIK: NIK "{FIFTEEN}" has 15 digits; a NIK has 16',
        'row 2, Tanggal Lahir: Tanggal Lahir "kemarin" is not a date; write it as dd-mm-yyyy, e.g. 05-03-1991']
    assert codes_of(digits) == [
        ("intake.nik.digits", "nik", {"label": "NIK", "value": FIFTEEN, "digits": 15, "expected": 16}),
        ("intake.date.unreadable", "tanggal_lahir", {"label": "Tanggal Lahir", "value": "kemarin"})]
    assert [p.code for p in man.problems] == ["intake.required", "intake.nik.gender-male"]
    assert man.problems[0].message == "Nama is empty; it is required"
    assert dict(man.problems[1].values) == {"label": "NIK", "value": "1211010503910002",
                                            "gender_label": "Jenis Kelamin", "gender": "P"}
    assert man.problems[1].message == 'NIK "1211010503910002" is the NIK of a man but Jenis Kelamin is P'
    assert [p.code for p in choice.problems] == ["intake.choice", "intake.nik.birth-mismatch"]
    assert choice.problems[1].message == ('NIK "1211014503910004" encodes birth date 05-03-91 but Tanggal Lahir '
                                          'is "06-03-1991"')


def test_the_records_own_checks_and_another_types_column(tmp_path):
    young = record(SIPB, tanggal_lahir="05-03-2015", nik="1211014503150002")
    again = record(SIPB)
    rows = [young, {**again, "No STRA": "19700101/STRA-UGM/2020/1"}, record(SIPB)]
    _, (minor, foreign, duplicate) = read(book(tmp_path, rows, FIELDS, extra_headers=["No STRA"]),
                                          permit_type="sipb")
    [age] = minor.problems
    assert age.code == "intake.under-age" and age.values["age"] < 17 and age.values["minimum"] == 17
    assert age.message == age.values["label"] + " " + pr.UnderAge.message.format(**age.values)
    [column] = foreign.problems
    assert (column.code, column.values["header"], column.values["permit_type"]) == \
        ("intake.foreign-column", "No STRA", "SIPB")
    assert column.message == "No STRA is a column of SIPA (Surat Izin Praktik Apoteker), not of SIPB"
    [twice] = duplicate.problems
    assert (twice.code, twice.values["first_row"]) == ("intake.duplicate", 3)


def test_the_codes_travel_from_the_reader_process(tmp_path, monkeypatch):
    """A large file's rows come pickled from a forked reader (read_ahead.py): the codes with them."""
    monkeypatch.setattr(read_ahead, "READ_AHEAD_BYTES", 0)
    forked, real_fork = [], os.fork
    monkeypatch.setattr(os, "fork", lambda: forked.append(1) or real_fork())
    path = book(tmp_path, [record(SIPB, nik=FIFTEEN), record(SIPB, nik="1211014503910003")], FIELDS)
    with open_input(path, permit_type="sipb") as intake, read_ahead.read_ahead(intake, 1) as chunks:
        rows = [row for chunk in chunks for row in chunk]
    assert [codes_of(row) for row in rows] == [
        [("intake.nik.digits", "nik", {"label": "NIK", "value": FIFTEEN, "digits": 15, "expected": 16})], []]
    assert forked  # read by a child indeed


def test_every_code_has_words_in_both_languages():
    codes = pr.codes()
    assert set(i18n.INTAKE_PROBLEMS["en"]) == set(codes) - {pr.OTHER} | set(holdings.ISSUES)
    codes.update(holdings.ISSUES)
    assert set(i18n.INTAKE_PROBLEMS["id"]) == set(i18n.INTAKE_PROBLEMS["en"])
    for code, template in i18n.INTAKE_PROBLEMS["id"].items():  # the Indonesian uses only the English's values
        names = {n for _t, n, _f, _c in string.Formatter().parse(template) if n}
        english = {n for _t, n, _f, _c in string.Formatter().parse(codes[code]) if n}
        assert names <= english, code


def test_problem_words_in_each_language_and_the_fallback():
    problem = Problem.of(2, "NIK", pr.NikDigitCount(value=FIFTEEN, digits=15, expected=16), "nik", label="NIK")
    assert i18n.problem_words(problem, "id") == f'NIK "{FIFTEEN}" terdiri atas 15 digit; NIK harus 16 digit'
    assert i18n.problem_words(problem, "en") == problem.message
    assert i18n.problem_words(problem.as_json(), "id") == i18n.problem_words(problem, "id")
    old = {"row": 2, "column": "NIK", "message": "NIK is odd"}  # a result kept before codes existed
    assert i18n.problem_words(old, "id") == "NIK is odd"
    assert i18n.problem_words(Problem(2, "X", "X is odd"), "id") == "X is odd"


def test_the_registrys_refusal_of_an_unknown_previous_permit_is_coded_and_worded(workspace):
    renewal = next(k for k in permit_types.common().kinds if k.needs_previous)
    sipb = permit_types.get(workspace, "sipb")
    cells = {**record(sipb, jenis_permohonan=renewal.title, nomor_izin_sebelumnya="503/999/SIPB/2020"),
             "no_registrasi": None}
    cells = {f.name: cells.get(f.name) for f in intake_form.form_fields(sipb)}
    with clock.frozen(NOW):
        row = intake_form.check(workspace, sipb, cells)
        assert row.ok, row.problems
        assert intake_form.save(workspace, row, "rina", {"source_file": "test"}) is None
    [problem] = row.problems
    assert (problem.code, problem.values["number"]) == ("registry.previous.unknown", "503/999/SIPB/2020")
    assert problem.message.endswith('is empty; permit "503/999/SIPB/2020" is not in the registry (issued before '
                                    "the office used this toolkit): type its date")
    assert i18n.problem_words(problem, "id").endswith('izin "503/999/SIPB/2020" tidak tercatat di registri '
                                                      "(terbit sebelum kantor memakai aplikasi ini): ketik tanggalnya")


# --- the console ------------------------------------------------------------------------------


def test_the_import_result_words_each_problem_in_indonesian_and_english(tmp_path, workspace):
    make_user(workspace, "rina", "front_office")
    client = signed_in(workspace, "rina")
    job = run(workspace, upload(client, sipb_book(tmp_path / "salah.xlsx", nik=FIFTEEN, jenis_kelamin="X")))
    kept = job.result["invalid"]
    assert [(p["code"], p["values"].get("value")) for p in kept] == [("intake.nik.digits", FIFTEEN),
                                                                     ("intake.gender", "X")]
    page = client.get(f"/intake/result/{job.id}").text
    assert f"NIK &#34;{FIFTEEN}&#34; terdiri atas 15 digit; NIK harus 16 digit" in page
    assert "Jenis Kelamin &#34;X&#34; harus L atau P" in page
    assert "a NIK has 16" not in page
    english = client.get(f"/intake/result/{job.id}?lang=en").text
    assert f"NIK &#34;{FIFTEEN}&#34; has 15 digits; a NIK has 16" in english and "terdiri atas" not in english


def test_the_form_and_its_correction_say_the_problems_in_indonesian(workspace):
    sipb = permit_types.get(workspace, "sipb")
    with clock.frozen(NOW):  # the session made at NOW too (one of another time would have expired)
        make_user(workspace, "rina", "front_office")
        client = signed_in(workspace, "rina")
        answer = post_new(client, "sipb", form_data(sipb, nik=FIFTEEN, tanggal_lahir="31-02-1991"))
        assert answer.status_code == 400 and applications(workspace) == []
        nik = field_block(answer.text, "nik")
        assert "terdiri atas 15 digit; NIK harus 16 digit" in nik and "a NIK has" not in nik
        assert "bukan tanggal yang ada" in field_block(answer.text, "tanggal_lahir")
        page = client.get("/intake/new/sipb?lang=en")
        english = client.post("/intake/new/sipb", data={"csrf": csrf_of(page.text),
                                                        **form_data(sipb, nik=FIFTEEN)})
        assert "has 15 digits; a NIK has 16" in field_block(english.text, "nik")
        client.get("/intake/new/sipb?lang=id")
        made = post_new(client, "sipb", form_data(sipb))
        assert made.status_code == 303, made.text
        [app] = applications(workspace)
        edit = client.get(f"/applications/{app.id}/edit")
        data = {**form_data(sipb), "nik": "", "jenis_kelamin": "X"}
        refused = client.post(f"/applications/{app.id}/edit", data={"csrf": csrf_of(edit.text), **data})
        assert refused.status_code == 400
        assert "&#34;X&#34; harus L atau P" in field_block(refused.text, "jenis_kelamin")


def test_the_api_errors_carry_code_and_values_beside_the_english(workspace):
    make_user(workspace, "rina", "front_office")
    _view, token = accounts.create_token(workspace, "rina", "portal", actor="tester")
    client = signed_in(workspace, "rina")
    sipa = permit_types.get(workspace, "sipa")
    with clock.frozen(NOW):
        bad = client.post("/api/v1/applications", json=_api_record(sipa, nik=FIFTEEN),
                          headers={"authorization": f"Bearer {token}"})
    assert bad.status_code == 422
    [error] = bad.json()["errors"]
    assert error["code"] == "intake.nik.digits" and error["field"] == "nik"
    assert error["values"] == {"label": "nik", "value": FIFTEEN, "digits": 15, "expected": 16}
    assert error["message"] == f'nik "{FIFTEEN}" has 15 digits; a NIK has 16'
