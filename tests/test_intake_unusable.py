"""Files that cannot be used at all: one UnusableInput line naming the file, never a traceback."""

import zipfile

import pytest
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook
from test_intake_support import make_workbook, valid_record

from sikro_docs.errors import UnusableInput
from sikro_docs.intake import open_input


def assert_unusable(path, *fragments):
    with pytest.raises(UnusableInput) as caught:
        with open_input(path) as intake:
            for _ in intake.rows():
                pass
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    assert caught.value.exit_code == 2
    return message


def test_empty_file(tmp_path):
    (tmp_path / "a.xlsx").write_bytes(b"")
    assert_unusable(tmp_path / "a.xlsx", "empty")


def test_missing_file(tmp_path):
    assert_unusable(tmp_path / "nope.xlsx", "no such file")


def test_directory(tmp_path):
    assert_unusable(tmp_path, "directory")


def test_csv_is_refused_with_advice(tmp_path):
    path = tmp_path / "daftar.csv"
    path.write_text("Nama,NIK,Tanggal Lahir\nRina,1211014503910002,05-03-1991\n")
    assert_unusable(path, "CSV", "save it as .xlsx")


def test_csv_renamed_to_xlsx_is_still_a_csv(tmp_path):
    path = tmp_path / "daftar.xlsx"
    path.write_text("Nama;NIK;Tanggal Lahir\nRina;1211014503910002;05-03-1991\n")
    assert_unusable(path, "CSV")


def test_random_bytes_are_not_a_workbook(tmp_path):
    path = tmp_path / "foto.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert_unusable(path, "not an Excel workbook (.xlsx) or JSON file")


def test_legacy_xls_signature(tmp_path):
    # An OLE container without an EncryptionInfo stream; a real .xls from LibreOffice is tested too.
    path = tmp_path / "lama.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 2000)
    assert_unusable(path, "legacy Excel 97-2003 (.xls)")


def test_password_protected_workbook(tmp_path):
    plain = make_workbook(tmp_path / "plain.xlsx", records=[valid_record()])
    encrypted = tmp_path / "rahasia.xlsx"
    with plain.open("rb") as source, encrypted.open("wb") as target:
        OOXMLFile(source).encrypt("dairi123", target)
    assert encrypted.read_bytes()[:4] == bytes.fromhex("D0CF11E0")
    assert_unusable(encrypted, "password-protected")


def test_truncated_workbook(tmp_path):
    whole = make_workbook(tmp_path / "whole.xlsx", records=[valid_record()] * 20).read_bytes()
    path = tmp_path / "potong.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    assert_unusable(path, "corrupt or truncated")


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "surat.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert_unusable(path, "a Word document, not an Excel workbook")


def test_workbook_with_broken_xml_parts(tmp_path):
    path = tmp_path / "rusak.xlsx"
    source = make_workbook(tmp_path / "ok.xlsx", records=[valid_record()])
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            new.writestr(item, b"<workbook><sheets>" if item.filename == "xl/workbook.xml" else data)
    assert_unusable(path, "cannot be read")


def damaged_deep_inside(tmp_path, rows=3000):
    """A workbook whose zip directory is intact but whose sheet data is damaged near its end:
    opening works, the damage shows only while streaming the rows."""
    source = make_workbook(tmp_path / "big.xlsx", records=[valid_record(no_registrasi=f"R{i}")
                                                            for i in range(rows)])
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    header_len = 30 + len(info.filename.encode()) + len(info.extra)
    start = info.header_offset + header_len
    damage_at = start + int(info.compress_size * 0.9)
    data[damage_at:damage_at + 64] = bytes(64)
    path = tmp_path / "rusak-dalam.xlsx"
    path.write_bytes(bytes(data))
    return path


def test_damage_found_while_streaming_becomes_unusable_input(tmp_path):
    path = damaged_deep_inside(tmp_path)
    intake = open_input(path)  # the header is readable
    seen = 0
    with pytest.raises(UnusableInput, match=r"rusak-dalam.xlsx: the workbook is damaged near row \d+"):
        with intake:
            for _ in intake.rows():
                seen += 1
    assert seen > 100  # rows before the damage were streamed


# --- JSON -------------------------------------------------------------------

@pytest.mark.parametrize("text, fragment", [
    ('[{"nama": "Rina",}]', "invalid JSON at line 1 column 18"),
    ('[\n  {"nama": "Rina"\n  "nik": "1"}\n]', "invalid JSON at line 3 column 3"),
    ('{"nama": "Rina"}', "must be a list of objects (one per applicant), not an object"),
    ('"hello"', "not a string"),
    ('[{"nama": "Rina"}, 5]', "item 2 is a number"),
    ("", "empty"),
])
def test_bad_json(tmp_path, text, fragment):
    path = tmp_path / "permohonan.json"
    path.write_text(text)
    assert_unusable(path, fragment)


def test_json_that_is_not_utf8(tmp_path):
    path = tmp_path / "permohonan.json"
    path.write_bytes('[{"nama": "Rina"}]'.encode("utf-16"))
    assert_unusable(path)


def test_unusable_input_does_not_leak_open_workbooks(tmp_path):
    headers_only = Workbook()
    headers_only.active.append(["Barang"])
    path = tmp_path / "x.xlsx"
    headers_only.save(path)
    with pytest.raises(UnusableInput):
        open_input(path)
