"""The official blank input workbook (`sikro workbook -o FILE.xlsx`).

Sheet "Permohonan": two title rows, the header on row 3, data from row 4.
The first PREPARED_ROWS data rows get drop-down lists, date checks and text
format for number-like columns, so Excel does not turn a NIK into 1.21E+15.
Sheet "Petunjuk" explains every column in Bahasa Indonesia.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..excel_safe import write_row
from . import columns as c

TITLE = "DAFTAR PERMOHONAN SURAT IZIN KERJA REFRAKSIONIS OPTISIEN (SIKRO)"
SUBTITLE = ("Satu baris untuk satu pemohon, mulai baris 4. Tanggal ditulis dd-mm-yyyy. "
            "Baca sheet Petunjuk sebelum mengisi.")
HEADER_ROW = 3
FIRST_DATA_ROW = HEADER_ROW + 1
PREPARED_ROWS = 1000
DATE_FORMAT = "dd-mm-yyyy"
TEXT_FORMAT = "@"

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
CHECKLIST_FILL = PatternFill("solid", fgColor="375623")
LATER_FILL = PatternFill("solid", fgColor="7F6000")
THIN = Side(style="thin", color="808080")
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center", horizontal="center")

_LISTS = {c.GENDER: '"L,P"', c.YES_NO: '"Y,T"', c.DECISION: '"Disetujui,Ditolak"'}
_LIST_PROMPTS = {c.GENDER: "Pilih L atau P.", c.YES_NO: "Y = ada, T = tidak ada.",
                 c.DECISION: "Disetujui atau Ditolak; kosongkan bila belum diputuskan."}


def write_blank_workbook(dest: Path) -> Path:
    dest = Path(dest)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Permohonan"
    _write_titles(sheet)
    _write_header(sheet)
    _prepare_data_rows(sheet)
    _write_instructions(workbook.create_sheet("Petunjuk"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(dest)
    return dest


def _write_titles(sheet) -> None:
    write_row(sheet, [TITLE], font=Font(bold=True, size=14))
    write_row(sheet, [SUBTITLE], font=Font(italic=True))


def _header_fill(fld: c.Field) -> PatternFill:
    return {c.CHECKLIST_GROUP: CHECKLIST_FILL, c.LATER: LATER_FILL}.get(fld.group, HEADER_FILL)


def _write_header(sheet) -> None:
    write_row(sheet, [f.header for f in c.FIELDS], font=HEADER_FONT, border=HEADER_BORDER,
              alignment=HEADER_ALIGNMENT)
    for index, fld in enumerate(c.FIELDS, start=1):
        sheet.cell(HEADER_ROW, index).fill = _header_fill(fld)
        sheet.column_dimensions[get_column_letter(index)].width = fld.width
    sheet.row_dimensions[HEADER_ROW].height = 45
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, 1)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(c.FIELDS))}{HEADER_ROW}"


def _column_range(index: int) -> str:
    letter = get_column_letter(index)
    return f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + PREPARED_ROWS - 1}"


def _prepare_data_rows(sheet) -> None:
    for index, fld in enumerate(c.FIELDS, start=1):
        validation = _validation_for(fld)
        if validation is not None:
            sheet.add_data_validation(validation)
            validation.add(_column_range(index))
        number_format = TEXT_FORMAT if fld.text_format else DATE_FORMAT if fld.kind == c.DATE else None
        if number_format:
            for row in range(FIRST_DATA_ROW, FIRST_DATA_ROW + PREPARED_ROWS):
                sheet.cell(row, index).number_format = number_format


def _validation_for(fld: c.Field) -> DataValidation | None:
    if fld.kind in _LISTS:
        return DataValidation(type="list", formula1=_LISTS[fld.kind], allow_blank=not fld.required,
                              showErrorMessage=True, errorTitle=fld.header,
                              error=_LIST_PROMPTS[fld.kind], promptTitle=fld.header,
                              prompt=_LIST_PROMPTS[fld.kind], showInputMessage=True)
    if fld.kind == c.DATE:
        # A warning, not a stop: a clerk may paste text dates, which intake still reads.
        return DataValidation(type="date", operator="between", formula1="DATE(1900,1,1)",
                              formula2="DATE(2199,12,31)", allow_blank=True, errorStyle="warning",
                              showErrorMessage=True, errorTitle=fld.header,
                              error="Isi tanggal dengan format dd-mm-yyyy, mis. 05-03-1991.",
                              promptTitle=fld.header, showInputMessage=True,
                              prompt="Tanggal dd-mm-yyyy, mis. 05-03-1991.")
    if fld.kind == c.DATE_OR_LIFETIME:
        return DataValidation(allow_blank=True, promptTitle=fld.header, showInputMessage=True,
                              prompt="Tanggal dd-mm-yyyy, atau tulis Seumur Hidup.")
    if fld.kind == c.NIK:
        return DataValidation(type="textLength", operator="equal", formula1="16", allow_blank=True,
                              errorStyle="warning", showErrorMessage=True, errorTitle="NIK",
                              error="NIK harus 16 digit.", promptTitle="NIK", showInputMessage=True,
                              prompt="16 digit sesuai KTP.")
    return None


_PETUNJUK_INTRO = [
    "PETUNJUK PENGISIAN DAFTAR PERMOHONAN SIKRO",
    "1. Isi sheet Permohonan, satu baris untuk satu pemohon, mulai baris 4. Jangan mengubah judul kolom.",
    "2. Tanggal ditulis dd-mm-yyyy (05-03-1991) atau dengan nama bulan (5 Maret 1991).",
    "3. NIK, No HP dan No STR berformat teks; ketik angka apa adanya, jangan dibulatkan.",
    "4. Kolom kelengkapan berkas diisi Y (ada) atau T (tidak ada); tidak boleh kosong.",
    "5. Kolom Nomor Rekomendasi sampai Alasan Penolakan diisi setelah ada rekomendasi/keputusan.",
    "",
]
_PETUNJUK_HEADER = ["Kolom", "Wajib/Opsional", "Format", "Contoh", "Keterangan"]

_FORMAT_TEXT = {
    c.TEXT: "Teks", c.NAME: "Teks", c.CODE: "Teks",
    c.DATE: "Tanggal dd-mm-yyyy", c.DATE_OR_LIFETIME: "Tanggal dd-mm-yyyy atau \"Seumur Hidup\"",
    c.NIK: "16 digit angka (teks)", c.GENDER: "L atau P", c.PHONE: "08… atau +62…, 10-13 digit",
    c.EMAIL: "Alamat email", c.YES_NO: "Y atau T", c.DECISION: "Disetujui atau Ditolak",
    c.CHOICE: "Salah satu pilihan", c.NUMBER: "Angka", c.PERMIT_TYPE: "Kode jenis izin",
    c.APPLICATION_KIND: "Baru, Perpanjangan, Perubahan atau Pencabutan",
}


def _write_instructions(sheet) -> None:
    for line in _PETUNJUK_INTRO:
        write_row(sheet, [line], font=Font(bold=line == _PETUNJUK_INTRO[0]))
    write_row(sheet, _PETUNJUK_HEADER, font=HEADER_FONT, fill=HEADER_FILL, border=HEADER_BORDER)
    for fld in c.FIELDS:
        write_row(sheet, [fld.header, "Wajib" if fld.required else "Opsional", _FORMAT_TEXT[fld.kind],
                          fld.example, fld.help], alignment=WRAP)
    for letter, width in zip("ABCDE", (30, 15, 30, 32, 70)):
        sheet.column_dimensions[letter].width = width
