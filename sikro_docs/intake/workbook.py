"""A permit type's official blank input workbook (`sikro workbook --type CODE`).

Sheet "Permohonan": two title rows, the header on row 3, data from row 4.
The first PREPARED_ROWS data rows get drop-down lists (L/P, Y/T, Keputusan,
Jenis Permohonan, each choice field's choices), date and number checks and
text format for number-like columns, so Excel does not turn a NIK into
1.21E+15. Sheet "Petunjuk" explains every column and every application
kind's papers in Bahasa Indonesia, all from the type's data.

With several types (`types=`, `sikro workbook --type all`) the workbook has
the `Jenis Izin` column and every type's columns: one list for all of them.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from .. import permit_types
from ..excel_safe import write_row
from . import columns as c

SHEET = "Permohonan"
LISTS_SHEET = "Pilihan"  # hidden: the values of drop-down lists too long to write inline
SUBTITLE = ("Satu baris untuk satu pemohon, mulai baris 4. Tanggal ditulis dd-mm-yyyy. "
            "Baca sheet Petunjuk sebelum mengisi.")
HEADER_ROW = 3
FIRST_DATA_ROW = HEADER_ROW + 1
PREPARED_ROWS = 1000
DATE_FORMAT = "dd-mm-yyyy"
TEXT_FORMAT = "@"
INLINE_LIST_LIMIT = 250  # Excel's limit for a list written in the validation itself is 255 characters

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
CHECKLIST_FILL = PatternFill("solid", fgColor="375623")
LATER_FILL = PatternFill("solid", fgColor="7F6000")
THIN = Side(style="thin", color="808080")
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center", horizontal="center")

_LISTS = {c.GENDER: ["L", "P"], c.YES_NO: ["Y", "T"], c.DECISION: ["Disetujui", "Ditolak"]}
_LIST_PROMPTS = {c.GENDER: "Pilih L atau P.", c.YES_NO: "Y = ada, T = tidak ada.",
                 c.DECISION: "Disetujui atau Ditolak; kosongkan bila belum diputuskan."}


def title_of(types) -> str:
    """"DAFTAR PERMOHONAN <TITLE> (<SHORT>)" of one type; of several, their short names."""
    types = list(types)
    if len(types) == 1:
        return f"DAFTAR PERMOHONAN {types[0].title.upper()} ({types[0].short_name})"
    return "DAFTAR PERMOHONAN IZIN: " + ", ".join(t.short_name for t in types)


def _default_title() -> str:
    return title_of([permit_types.default()])


def __getattr__(name: str):
    if name == "TITLE":  # the default type's title, for callers made before permit types
        return _default_title()
    raise AttributeError(name)


def write_blank_workbook(dest: Path, permit_type=None, *, types=None, ws=None) -> Path:
    """Write the blank workbook of `permit_type` (default: the default type), or of several `types`."""
    dest = Path(dest)
    if isinstance(permit_type, str):
        permit_type = permit_types.get(ws, permit_type)
    chosen = list(types) if types else [permit_type or permit_types.default(ws)]
    fields = c.mixed_fields(chosen) if len(chosen) > 1 else c.workbook_fields(chosen[0])
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    write_row(sheet, [title_of(chosen)], font=Font(bold=True, size=14))
    write_row(sheet, [SUBTITLE], font=Font(italic=True))
    _write_header(sheet, fields)
    _prepare_data_rows(workbook, sheet, fields, chosen)
    _write_instructions(workbook.create_sheet("Petunjuk"), fields, chosen)
    if LISTS_SHEET in workbook.sheetnames:
        workbook.move_sheet(LISTS_SHEET, offset=len(workbook.sheetnames))
    dest.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(dest)
    return dest


def _header_fill(fld: c.Field) -> PatternFill:
    return {c.CHECKLIST_GROUP: CHECKLIST_FILL, c.LATER: LATER_FILL}.get(fld.group, HEADER_FILL)


def _write_header(sheet, fields) -> None:
    write_row(sheet, [f.header for f in fields], font=HEADER_FONT, border=HEADER_BORDER,
              alignment=HEADER_ALIGNMENT)
    for index, fld in enumerate(fields, start=1):
        sheet.cell(HEADER_ROW, index).fill = _header_fill(fld)
        sheet.column_dimensions[get_column_letter(index)].width = fld.width
    sheet.row_dimensions[HEADER_ROW].height = 45
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, 1)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(fields))}{HEADER_ROW}"


def _column_range(index: int) -> str:
    letter = get_column_letter(index)
    return f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + PREPARED_ROWS - 1}"


def _prepare_data_rows(workbook, sheet, fields, types) -> None:
    for index, fld in enumerate(fields, start=1):
        validation = _validation_for(workbook, fld, types)
        if validation is not None:
            sheet.add_data_validation(validation)
            validation.add(_column_range(index))
        number_format = TEXT_FORMAT if fld.text_format else DATE_FORMAT if fld.kind == c.DATE else None
        if number_format:
            for row in range(FIRST_DATA_ROW, FIRST_DATA_ROW + PREPARED_ROWS):
                sheet.cell(row, index).number_format = number_format


def _list_values(fld: c.Field, types) -> tuple[list[str], str] | None:
    """The values of a drop-down list for the field, and its prompt; None when it has none."""
    if fld.kind in _LISTS:
        return _LISTS[fld.kind], _LIST_PROMPTS[fld.kind]
    if fld.kind == c.CHOICE:
        return list(fld.choices), f"Pilih: {', '.join(fld.choices)}."
    if fld.kind == c.APPLICATION_KIND:
        titles = [k.title for k in permit_types.common().kinds]
        return titles, f"{', '.join(titles)}; kosong berarti {titles[0]}."
    if fld.kind == c.PERMIT_TYPE:
        shorts = [t.short_name for t in types]
        return shorts, f"Kode jenis izin: {', '.join(shorts)}."
    return None


def _list_formula(workbook, fld: c.Field, values: list[str]) -> str:
    """An inline list "a,b", or a range of the hidden Pilihan sheet when the values are long or hold commas."""
    inline = ",".join(values)
    if len(inline) <= INLINE_LIST_LIMIT and not any("," in v or '"' in v for v in values):
        return f'"{inline}"'
    if LISTS_SHEET not in workbook.sheetnames:
        workbook.create_sheet(LISTS_SHEET).sheet_state = "hidden"
    lists = workbook[LISTS_SHEET]
    column = lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value is not None else 1
    lists.cell(1, column, f"Pilihan: {fld.header}")  # not a header intake would take for a column
    for row, value in enumerate(values, start=2):
        lists.cell(row, column, value)
    letter = get_column_letter(column)
    return f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(values) + 1}"


def _validation_for(workbook, fld: c.Field, types) -> DataValidation | None:
    listed = _list_values(fld, types)
    if listed is not None:
        values, prompt = listed
        return DataValidation(type="list", formula1=_list_formula(workbook, fld, values),
                              allow_blank=not fld.required, showErrorMessage=True, errorTitle=fld.header,
                              error=prompt, promptTitle=fld.header, prompt=prompt, showInputMessage=True)
    if fld.kind == c.NUMBER:
        low = fld.minimum if fld.minimum is not None else 0
        high = fld.maximum if fld.maximum is not None else 999_999_999
        return DataValidation(type="whole", operator="between", formula1=str(low), formula2=str(high),
                              allow_blank=True, errorStyle="warning", showErrorMessage=True, errorTitle=fld.header,
                              error=f"Angka {low} sampai {high}.", promptTitle=fld.header,
                              showInputMessage=True, prompt=f"Angka {low} sampai {high}.")
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


# --- Petunjuk -----------------------------------------------------------------

_PETUNJUK_HEADER = ["Kolom", "Wajib/Opsional", "Format", "Contoh", "Keterangan"]
_FORMAT_TEXT = {
    c.TEXT: "Teks", c.NAME: "Teks", c.CODE: "Teks",
    c.DATE: "Tanggal dd-mm-yyyy", c.DATE_OR_LIFETIME: "Tanggal dd-mm-yyyy atau \"Seumur Hidup\"",
    c.NIK: "16 digit angka (teks)", c.GENDER: "L atau P", c.PHONE: "08… atau +62…, 10-13 digit",
    c.EMAIL: "Alamat email", c.YES_NO: "Y atau T", c.DECISION: "Disetujui atau Ditolak",
    c.CHOICE: "Salah satu pilihan", c.NUMBER: "Angka", c.PERMIT_TYPE: "Kode atau nama jenis izin",
}


def _format_text(fld: c.Field) -> str:
    if fld.kind == c.APPLICATION_KIND:  # the kinds are data (common.toml)
        titles = [k.title for k in permit_types.common().kinds]
        return ", ".join(titles[:-1]) + f" atau {titles[-1]}"
    return _FORMAT_TEXT[fld.kind]


def _intro(fields, types) -> list[str]:
    texts = [f.header for f in fields if f.text_format and (f.kind in (c.NIK, c.PHONE) or f.owner)][:4]
    texts = ", ".join(texts[:-1]) + f" dan {texts[-1]}" if len(texts) > 1 else "".join(texts) or "NIK"
    later = [f.header for f in fields if f.group == c.LATER]
    kinds = permit_types.common().kinds
    needs = [k.title for k in kinds if k.needs_previous]
    lines = [
        f"PETUNJUK PENGISIAN {title_of(types)}",
        "1. Isi sheet Permohonan, satu baris untuk satu pemohon, mulai baris 4. Jangan mengubah judul kolom.",
        "2. Tanggal ditulis dd-mm-yyyy (05-03-1991) atau dengan nama bulan (5 Maret 1991).",
        f"3. {texts} berformat teks; ketik angka apa adanya, jangan dibulatkan.",
        "4. Kolom kelengkapan berkas diisi Y (ada) atau T (tidak ada). Berkas yang wajib untuk jenis "
        "permohonan itu tidak boleh kosong; berkas lain boleh dikosongkan (berarti tidak ada).",
        f"5. Jenis Permohonan: {', '.join(k.title for k in kinds)}; kosong berarti {kinds[0].title}. "
        f"Untuk {', '.join(needs)} isi Nomor Izin Sebelumnya.",
    ]
    if later:
        lines.append(f"6. Kolom {later[0]} sampai {later[-1]} diisi setelah ada rekomendasi/keputusan.")
    if len(types) > 1:
        lines.append(f"7. Jenis Izin: {'; '.join(f'{t.short_name} = {t.title}' for t in types)}. "
                     "Isi hanya kolom milik jenis izin baris itu.")
    return [*lines, ""]


def _need(fld: c.Field, types) -> str:
    if fld.group != c.CHECKLIST_GROUP:
        return "Wajib" if fld.required else "Opsional"
    parts = []
    for permit_type in types:
        for kind in permit_types.common().kinds:
            item = next((i for i in permit_type.checklist(kind.code) if i.name == fld.name), None)
            if item is None:
                continue
            text = "Wajib" if item.required else "Opsional"
            if item.required and item.when is not None:
                text += f" bila {item.when.text}"
            if item.required and item.applies_from:
                text += f" sejak {item.applies_from:%d-%m-%Y}"
            if item.required and item.applies_until:
                text += f" sampai {item.applies_until:%d-%m-%Y}"
            prefix = f"{permit_type.short_name} " if len(types) > 1 else ""
            parts.append(f"{prefix}{kind.title}: {text}")
    return "; ".join(parts) or "Opsional"


def _help(fld: c.Field, types) -> str:
    if fld.kind == c.CHOICE:
        return f"{fld.help} Pilihan: {', '.join(fld.choices)}."
    if fld.kind == c.NUMBER and fld.minimum is not None and fld.maximum is not None:
        return f"{fld.help} ({fld.minimum} sampai {fld.maximum})."
    if fld.pattern_hint:
        return f"{fld.help} Bentuk: {fld.pattern_hint}."
    if len(types) > 1 and fld.owner:
        owners = [t.short_name for t in types if any(f.header == fld.header for f in t.fields)]
        return f"{fld.help} (Kolom {', '.join(owners)}.)"
    return fld.help


def _write_instructions(sheet, fields, types) -> None:
    intro = _intro(fields, types)
    for line in intro:
        write_row(sheet, [line], font=Font(bold=line == intro[0]))
    write_row(sheet, _PETUNJUK_HEADER, font=HEADER_FONT, fill=HEADER_FILL, border=HEADER_BORDER)
    for fld in fields:
        write_row(sheet, [fld.header, _need(fld, types), _format_text(fld), fld.example or "-",
                          _help(fld, types)], alignment=WRAP)
    for letter, width in zip("ABCDE", (30, 30, 30, 32, 70), strict=True):
        sheet.column_dimensions[letter].width = width
