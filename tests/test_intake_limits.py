"""Every file a person hands in has limits (issue 12): a hostile workbook or JSON file is refused
with one line naming the file and the limit, exit 2, nothing saved, in bounded memory.

Each hostile file is built here (openpyxl plus raw zip edits) and imported by the real CLI in a
child process whose peak RSS is measured (os.wait4) and whose address space is capped at 1 GB.
"""

from __future__ import annotations

import json
import zipfile

import pytest
from openpyxl import Workbook
from test_intake_support import (
    MB,
    STYLES_PART,
    crowded_row_workbook,
    far_row_workbook,
    huge_cell_workbook,
    json_containers,
    json_deep,
    json_long_number,
    make_workbook,
    many_cells_workbook,
    patch_declared_size,
    run_child,
    shared_strings_bomb,
    styles_bomb,
    valid_record,
    wide_rows_workbook,
)

from sikro_docs import db, registry
from sikro_docs.cli import main
from sikro_docs.errors import UnusableInput
from sikro_docs.intake import errors_path_for, open_input
from sikro_docs.limits import LimitReached, LimitSettingInvalid, limits

PEAK_RSS_MB = 300


def registered(ws) -> list:
    with db.session(ws) as sess:
        return list(registry.list_applications(sess))


def assert_refused(ws, path, *fragments, key: str, section: str = "workbook"):
    """Import `path` in a child: exit 2, one line naming the file and the limit, nothing saved, < 300 MB."""
    run = run_child(["import", path, "--workspace", ws.root])
    lines = run.err.strip().splitlines()
    assert run.code == 2, (run.code, run.err[-2000:])
    assert len(lines) == 1, run.err
    assert lines[0].startswith(f"sikro: error: {path}: "), lines[0]
    assert lines[0].endswith(f"(limit [limits.{section}] {key})"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert run.out == ""
    assert registered(ws) == []
    assert not errors_path_for(path).exists()  # the invalid row before the limit is not reported
    assert run.peak_rss_mb < PEAK_RSS_MB, f"peak RSS {run.peak_rss_mb:.0f} MB"
    return lines[0]


# --- workbooks ------------------------------------------------------------------------------

def test_shared_strings_bomb_is_refused_from_the_central_directory(tmp_path, workspace):
    path = shared_strings_bomb(tmp_path / "permohonan.xlsx", inflated=400 * MB)
    assert path.stat().st_size < 2 * MB
    assert_refused(workspace, path, "xl/sharedStrings.xml unpacks to", key="member_size")


def test_a_lying_central_directory_does_not_inflate_the_part(tmp_path, workspace):
    # styles.xml is read whole; it claims 4 KB and inflates to 400 MB.
    path = patch_declared_size(styles_bomb(tmp_path / "permohonan.xlsx", styles=400 * MB // 62), STYLES_PART, 4096)
    run = run_child(["import", path, "--workspace", workspace.root])
    assert run.code == 2, run.err
    assert run.err.startswith(f"sikro: error: {path}: the workbook cannot be read"), run.err
    assert len(run.err.strip().splitlines()) == 1
    assert registered(workspace) == []
    assert run.peak_rss_mb < PEAK_RSS_MB, f"peak RSS {run.peak_rss_mb:.0f} MB"


def test_too_many_shared_strings(tmp_path, workspace):
    path = shared_strings_bomb(tmp_path / "permohonan.xlsx", inflated=310_000 * 17)
    assert_refused(workspace, path, "more than 300,000 shared strings", key="shared_strings")


def test_too_many_cell_formats(tmp_path, workspace):
    path = styles_bomb(tmp_path / "permohonan.xlsx", styles=25_000)
    assert_refused(workspace, path, "more than 20,000 cell formats", key="styles")


def test_a_stray_cell_on_the_last_row_stops_at_the_row_limit(tmp_path, workspace):
    path = far_row_workbook(tmp_path / "permohonan.xlsx")
    assert path.stat().st_size < 8 * 1024
    line = assert_refused(workspace, path, key="rows")
    assert line.endswith("sheet 'Permohonan' has more than 20,000 rows (limit [limits.workbook] rows)")


def test_rows_in_the_last_column(tmp_path, workspace):
    path = wide_rows_workbook(tmp_path / "permohonan.xlsx")
    assert_refused(workspace, path, "sheet 'Permohonan' row 4 has more than 1,024 columns", key="columns")


def test_a_row_of_millions_of_cells(tmp_path, workspace):
    path = crowded_row_workbook(tmp_path / "permohonan.xlsx")
    assert_refused(workspace, path, "xl/worksheets/sheet1.xml has a row of more than", key="columns")


def test_millions_of_cells_in_rows_within_the_limits(tmp_path, workspace):
    path = many_cells_workbook(tmp_path / "permohonan.xlsx")
    assert_refused(workspace, path, "xl/worksheets/sheet1.xml has more than 1,000,000 cells", key="cells")


def test_a_cell_of_sixty_megabytes(tmp_path, workspace):
    path = huge_cell_workbook(tmp_path / "permohonan.xlsx")
    assert_refused(workspace, path, "has a row larger than 3.0 MB", key="part_size")


def test_a_cell_longer_than_excel_allows(tmp_path):
    path = huge_cell_workbook(tmp_path / "permohonan.xlsx", size=40 * 1024)  # openpyxl itself writes 32,767 at most
    with pytest.raises(LimitReached) as caught:
        with open_input(path) as intake:
            list(intake.rows())
    assert str(caught.value) == (f"{path}: sheet 'Permohonan' row 4, column 3 holds more than 32,767 characters "
                                 "(limit [limits.workbook] cell_length)")
    assert caught.value.exit_code == 2 and caught.value.key == "cell_length"


def test_a_part_declaring_entities(tmp_path):
    path = make_workbook(tmp_path / "permohonan.xlsx", [valid_record()])
    with zipfile.ZipFile(path) as z:
        names = {n: z.read(n) for n in z.namelist()}
    sheet = names["xl/worksheets/sheet1.xml"]
    names["xl/worksheets/sheet1.xml"] = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + sheet
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in names.items():
            z.writestr(name, data)
    with pytest.raises(UnusableInput, match="declares XML entities"):
        with open_input(path) as intake:
            list(intake.rows())


# --- JSON -----------------------------------------------------------------------------------

def test_a_number_of_4300_digits_is_exit_2(tmp_path, workspace):
    path = json_long_number(tmp_path / "permohonan.json")
    assert_refused(workspace, path, "a number has more than 50 digits", key="number_length", section="json")


def test_a_number_beyond_python_int_limit_is_exit_2(tmp_path, workspace):
    path = json_long_number(tmp_path / "permohonan.json", digits=4_301)
    assert_refused(workspace, path, "a number has more than 50 digits", key="number_length", section="json")


def test_deep_json(tmp_path, workspace):
    path = json_deep(tmp_path / "permohonan.json")
    assert_refused(workspace, path, "nest more than 10 deep", key="depth", section="json")


def test_json_nested_just_beyond_the_depth(tmp_path):
    path = tmp_path / "permohonan.json"
    path.write_text(json.dumps([{"nama": [[[[[[[[[["x"]]]]]]]]]]}]))
    with pytest.raises(LimitReached, match=r"nest more than 10 deep \(limit \[limits.json\] depth\)"):
        open_input(path)


def test_json_of_empty_objects(tmp_path, workspace):
    path = json_containers(tmp_path / "permohonan.json")
    assert_refused(workspace, path, "objects and lists, for at most 20,000 records", key="records", section="json")


def test_json_file_size_from_the_profile(tmp_path):
    path = tmp_path / "permohonan.json"
    path.write_text(json.dumps([{"nama": "Rina"}] * 100))
    with pytest.raises(LimitReached, match=r"larger than 1,000 bytes \(limit \[limits.json\] file_size\)"):
        open_input(path, {"limits": {"json": {"file_size": 1000}}})


# --- the settings ---------------------------------------------------------------------------

def test_defaults_and_overrides():
    assert limits({}, "workbook")["rows"] == 20_000
    assert limits(None, "json")["number_length"] == 50
    merged = limits({"limits": {"workbook": {"rows": 5}}}, "workbook")
    assert merged["rows"] == 5 and merged["columns"] == 1_024


@pytest.mark.parametrize("value", ["many", 0, -1, 1.5, True])
def test_a_limit_must_be_a_positive_whole_number(value):
    with pytest.raises(LimitSettingInvalid, match=r"\[limits.workbook\] rows: must be a positive whole number"):
        limits({"limits": {"workbook": {"rows": value}}}, "workbook")


def test_an_unknown_limit_is_named():
    with pytest.raises(LimitSettingInvalid, match=r"\[limits.workbook\] rowz: unknown limit"):
        limits({"limits": {"workbook": {"rowz": 5}}}, "workbook")


def test_the_workspace_profile_overrides_the_default(tmp_path, workspace, capsys):
    text = workspace.profile_path.read_text()
    workspace.profile_path.write_text(text.replace("rows = 20_000", "rows = 3"))
    path = make_workbook(tmp_path / "permohonan.xlsx",
                         [valid_record(no_registrasi=None, nik=f"12110145039100{n:02d}") for n in range(1, 5)])
    with pytest.raises(SystemExit) as exited:
        main(["import", str(path), "--workspace", str(workspace.root)])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (f"sikro: error: {path}: sheet 'Permohonan' has more than 3 rows "
                                       "(limit [limits.workbook] rows)\n")
    assert registered(workspace) == []


def test_a_wrong_limit_in_the_profile_is_one_line(tmp_path, workspace, capsys):
    text = workspace.profile_path.read_text()
    workspace.profile_path.write_text(text.replace("rows = 20_000", 'rows = "banyak"'))
    path = make_workbook(tmp_path / "permohonan.xlsx", [valid_record()])
    with pytest.raises(SystemExit) as exited:
        main(["import", str(path), "--workspace", str(workspace.root)])
    assert exited.value.code == 2
    assert capsys.readouterr().err == ("sikro: error: sikro.toml: [limits.workbook] rows: must be a positive whole "
                                       "number, not 'banyak'\n")


def test_batch_goes_through_the_limits(tmp_path, workspace):
    path = far_row_workbook(tmp_path / "permohonan.xlsx")
    run = run_child(["batch", path, "--doc", "receipt", "--workspace", workspace.root])
    assert run.code == 2, run.err
    assert run.err.strip().endswith("sheet 'Permohonan' has more than 20,000 rows (limit [limits.workbook] rows)")
    assert registered(workspace) == []
    assert not errors_path_for(path).exists()


def test_a_directory_of_too_many_members(tmp_path):
    path = tmp_path / "permohonan.xlsx"
    make_workbook(path, [valid_record()])
    with zipfile.ZipFile(path, "a") as z:
        for n in range(10_001):
            z.writestr(f"xl/media/x{n}.bin", b"")
    with pytest.raises(LimitReached, match=r"holds more than 10,000 files \(limit \[limits.workbook\] members\)"):
        open_input(path)


def test_too_many_sheets(tmp_path):
    workbook = Workbook()
    for n in range(101):
        workbook.create_sheet(f"Lembar {n}")
    path = tmp_path / "permohonan.xlsx"
    workbook.save(path)
    with pytest.raises(LimitReached, match=r"more than 100 sheets \(limit \[limits.workbook\] sheets\)"):
        open_input(path)


def test_a_row_redeclaring_the_namespace(tmp_path):
    # A row in another namespace would not be cleared by the parser: it would stay in memory.
    path = make_workbook(tmp_path / "permohonan.xlsx", [valid_record()])
    with zipfile.ZipFile(path) as z:
        names = {n: z.read(n) for n in z.namelist()}
    names["xl/worksheets/sheet1.xml"] = names["xl/worksheets/sheet1.xml"].replace(
        b'<row r="2">', b'<row r="2" xmlns="urn:other">')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in names.items():
            z.writestr(name, data)
    with pytest.raises(UnusableInput, match="has a row declaring an XML namespace"):
        with open_input(path) as intake:
            list(intake.rows())
