"""The console's words for a file the library refuses whole (intake/refusals.py) and for a
limit an input reached (limits.LimitReached): Bahasa Indonesia from the code and the values;
English is the library's own sentence, kept exact (i18n.error_words falls back to it).

Merged into i18n.ERRORS by i18n itself. A template is a string formatted with the error's
values, or a function of them where the words are built from a list (the missing columns).
"""

from __future__ import annotations

from ..intake.refusals import REASONS

SAVE_AS_XLSX = "buka di Excel lalu simpan sebagai Excel Workbook (.xlsx)"

# reason -> Indonesian words; the file's name is put before them, as in English.
REFUSALS_ID: dict[str, str] = {
    "empty": "berkas kosong",
    "no-such-file": "berkas tidak ada",
    "a-directory": "sebuah folder, bukan berkas",
    "unreadable": "tidak dapat dibaca ({reason})",
    "excel-2003-xml": f"lembar kerja XML Excel 2003, bukan buku kerja Excel; {SAVE_AS_XLSX}",
    "web-page": f"halaman web (HTML) yang disimpan dengan nama lembar kerja, bukan buku kerja Excel; {SAVE_AS_XLSX}",
    "mhtml": f"halaman web satu berkas (MHTML) yang disimpan dengan nama lembar kerja, bukan buku kerja Excel; "
             f"{SAVE_AS_XLSX}",
    "csv": "berkas CSV/teks tidak diterima; buka di Excel lalu simpan sebagai .xlsx",
    "unknown-format": "bukan buku kerja Excel (.xlsx) atau berkas JSON",
    "password-protected": ("buku kerja dilindungi kata sandi; hapus kata sandinya di Excel "
                           "(File > Info > Protect Workbook) lalu simpan lagi"),
    "xls": "berkas Excel 97-2003 (.xls) tidak diterima; simpan sebagai .xlsx",
    "not-a-zip": "buku kerja rusak atau terpotong (bukan arsip zip yang dapat dibaca)",
    "xlsb": "buku kerja biner Excel (.xlsb) tidak diterima; simpan sebagai .xlsx",
    "ods": "berkas OpenDocument (.ods), bukan buku kerja Excel; buka di LibreOffice atau Excel lalu simpan sebagai .xlsx",
    "word-document": "dokumen Word, bukan buku kerja Excel (.xlsx)",
    "zip-archive": "arsip zip, bukan buku kerja Excel (.xlsx)",
    "no-sheets": "buku kerja tidak mempunyai lembar",
    "chart-sheet": 'lembar "{sheet}" berisi grafik, bukan tabel',
    "column-clash": 'kolom "{first}" dan "{second}" sama-sama berarti "{field}"; pertahankan satu saja',
    "damaged-row": "buku kerja rusak di sekitar baris {row} ({detail}); simpan lagi dari Excel",
    "damaged": "buku kerja tidak dapat dibaca ({detail})",
    "strange-part": "isi buku kerja tidak lazim ({detail}); simpan lagi buku kerja dari Excel",
    "json-invalid": "JSON tidak sah pada baris {line} kolom {column}: {detail}",
    "json-not-a-list": "JSON harus berupa daftar objek (satu per pemohon), bukan {json_type}",
    "json-item-not-an-object": "JSON harus berupa daftar objek; butir ke-{position} berupa {json_type}",
    "json-not-utf8": "berkas JSON bukan teks UTF-8",
    "reading-stopped": "pembacaan berhenti sebelum akhir berkas (proses pembacanya berakhir); tidak ada yang diimpor",
}


def _no_header(path, sheet, rows, others=(), **_):
    elsewhere = f" (lembar lain pun tidak: {', '.join(others)})" if others else ""
    return (f'{path}: lembar "{sheet}" tidak mempunyai baris judul kolom yang dikenali (diharapkan judul '
            f"seperti Nama, NIK, Tanggal Lahir pada {rows} baris pertama){elsewhere}")


def _missing_columns(path, sheet, header_row, missing, of_type=None, row=None, fits=(), **_):
    parts = [f'"{header}"' + (f' (maksud Anda "{guess}"?)' if guess else "") for header, guess in missing]
    where = f" untuk {of_type} pada baris {row}" if of_type else ""
    text = f'{path}: lembar "{sheet}" baris judul {header_row} tidak memuat kolom wajib{where}: ' + ", ".join(parts)
    if fits:
        text += (f" (kolomnya kolom {' atau '.join(fits)}: pilih jenis izin itu pada formulir, "
                 "atau tambahkan kolom Jenis Izin)")
    return text


# Limits (sikro.toml [limits.*]) by key: what is too large or too many.
LIMIT_NAMES_ID: dict[str, str] = {
    "uncompressed_size": "ukuran seluruh buku kerja setelah dibuka",
    "member_size": "ukuran satu lembar atau daftar teksnya",
    "part_size": "ukuran satu bagian buku kerja",
    "members": "jumlah berkas di dalam .xlsx",
    "sheets": "jumlah lembar",
    "rows": "jumlah baris daftar",
    "columns": "jumlah sel dalam satu baris",
    "cells": "jumlah sel dalam satu lembar",
    "shared_strings": "jumlah teks berbeda",
    "cell_length": "panjang isi satu sel",
    "styles": "jumlah format sel",
    "file_size": "ukuran berkas",
    "records": "jumlah permohonan dalam satu berkas",
    "depth": "kedalaman susunan daftar dan objek",
    "number_length": "jumlah digit satu angka",
    "max_file_mb": "ukuran berkas",
    "max_page_pixels": "ukuran halaman",
    "max_image_pixels": "ukuran gambar",
}


def _limit_reached(path, section, key, **_):
    name = LIMIT_NAMES_ID.get(key, key)
    return f"{path}: melampaui batas {name} (batas [limits.{section}] {key} di sikro.toml); tidak ada yang disimpan"


def _unknown_type(given, known, **_):
    return f'"{given}" bukan jenis izin di kantor ini; yang dikenal: {", ".join(known)}'


def _kind_not_for_application(kind, application_kind, kinds, **_):
    return f"{kind} tidak dibuat untuk permohonan {application_kind} (hanya untuk: {', '.join(kinds)})"


def _permit_final(number, status, successor=None, **_):
    by = f" oleh {successor}" if successor else ""
    return f"Izin {number} sudah berstatus {status}{by}: tidak dapat diganti lagi."


# Errors of other parts of the library that a console page can meet, worded from their values
# (a CodedError's, or the attributes an older error keeps).
OTHERS_ID: dict[str, object] = {
    "unknown_permit_type": _unknown_type,
    "kind_not_for_application": _kind_not_for_application,
    "revoked": ("{registration_number}: izin {number} sudah dicabut; pencabutan bersifat final, izin baru "
                "memerlukan permohonan baru."),
    "permit-final": _permit_final,
    "scan-limit": "{path}: melampaui batas pindaian [limits.scan] {setting} = {value}; berkas dikarantina.",
    "disposal-name-required": "Isi nama orang yang mengusulkan atau memutuskan.",
    "job-not-found": "Pekerjaan itu tidak ada.",
    "job-cancelled": "Pekerjaan dibatalkan.",
    "unsupported-context-value": ("Templat {template}: {variable} berupa objek docxtpl {type_name} yang tidak "
                                  "dapat dibawa ke dokumen ({why})."),
}


def error_words() -> dict[str, dict[str, object]]:
    """{"id": {code: template}} for every refusal reason and for limit_reached (in English the
    console says the library's own sentence)."""
    words: dict[str, object] = {f"intake.{reason}": f"{{path}}: {text}" for reason, text in REFUSALS_ID.items()}
    words["intake.no-header"] = _no_header
    words["intake.missing-columns"] = _missing_columns
    words["limit_reached"] = _limit_reached
    words.update(OTHERS_ID)
    return {"id": words}


def unworded_reasons() -> set[str]:
    """The library's refusal reasons without Indonesian words (a test keeps this empty)."""
    worded = set(REFUSALS_ID) | {"no-header", "missing-columns"}
    return (set(REASONS) | {"missing-columns"}) - worded
