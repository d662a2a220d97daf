"""Synthetic applications for Kabupaten Dairi: the example workbook and the demo's input.

All people are invented. The list uses the official layout (title rows,
header on row 3, see sikro_docs.intake.workbook) and contains, on purpose,
the mistakes clerks typically make, so `sikro` has something to report:

    a 15-digit NIK, a birth date typed as text in a wrong form, a NIK whose
    birth date disagrees with Tanggal Lahir, a missing required field and a
    duplicate row; two applicants with an incomplete file (T in the checklist).

Deterministic: the same seed gives the same list. `examples/make_sample_workbook.py`
writes it to examples/permohonan-contoh.xlsx; `sikro demo` writes it into the demo workspace.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from openpyxl import load_workbook

from .excel_safe import write_cell
from .intake import CHECKLIST, FIELDS
from .intake.workbook import FIRST_DATA_ROW, write_blank_workbook

SEED = 1211
DAIRI = "1211"  # Kemendagri code of Kabupaten Dairi

# name, sex, birthplace, birth date, NIK region prefix (6 digits), district of address, workplace
APPLICANTS = [
    ("Rina Sitanggang, A.Md.RO", "P", "Sidikalang", "1991-03-05", DAIRI + "01", "Sidikalang", "Optik Sidikalang Jaya"),
    ("Hotman Simanjuntak, A.Md.RO", "L", "Sidikalang", "1988-11-21", DAIRI + "01", "Sidikalang", "Optik Sehat Sidikalang"),
    ("Dewi Lestari Berutu, A.Md.RO", "P", "Sitinjo", "1995-07-14", DAIRI + "11", "Sitinjo", "Optik Mutiara Sitinjo"),
    ("Jonni Solin, A.Md.RO", "L", "Berampu", "1990-01-30", DAIRI + "12", "Berampu", "Optik Kasih Berampu"),
    ("Sri Wahyuningsih, A.Md.RO", "P", "Yogyakarta", "1987-09-02", "347101", "Sidikalang", "Optik Sidikalang Jaya"),
    ("Agus Setiawan, S.Tr.Kes", "L", "Medan", "1993-04-18", "127104", "Sumbul", "Optik Sumbul Indah"),
    ("Maria Br Ginting, A.Md.RO", "P", "Tanah Pinem", "1996-12-08", DAIRI + "04", "Tanah Pinem", "Optik Pinem Terang"),
    ("Rudi Hartono Tumangger, A.Md.RO", "L", "Parbuluan", "1992-06-25", DAIRI + "10", "Parbuluan", "Optik Citra Parbuluan"),
    ("Lamria Situmorang, A.Md.RO", "P", "Pematangsiantar", "1989-02-11", "127202", "Sidikalang", "Optik Sehat Sidikalang"),
    ("Benget Nainggolan, A.Md.RO", "L", "Tigalingga", "1994-10-03", DAIRI + "03", "Tigalingga", "Optik Tigalingga Prima"),
    ("Siti Rahayu, A.Md.Kes", "P", "Deli Serdang", "1990-08-17", "120712", "Sidikalang", "Optik Pakpak Bharu"),
    ("Jefri Padang, A.Md.RO", "L", "Silima Pungga-Pungga", "1997-05-29", DAIRI + "05", "Silima Pungga-Pungga", "Optik Parongil Jaya"),
    ("Nurhayati Cibro, A.Md.RO", "P", "Gunung Sitember", "1991-11-12", DAIRI + "13", "Gunung Sitember", "Optik Sitember Cemerlang"),
    ("Eko Prasetyo, A.Md.RO", "L", "Surakarta", "1986-03-09", "337201", "Sidikalang", "Optik Sidikalang Jaya"),
    ("Tiurma Sihombing, A.Md.RO", "P", "Pegagan Hilir", "1993-09-27", DAIRI + "08", "Pegagan Hilir", "Optik Pegagan Terang"),
    ("Daniel Sembiring, A.Md.RO", "L", "Siempat Nempu", "1995-02-16", DAIRI + "06", "Siempat Nempu", "Optik Nempu Sejahtera"),
    ("Romauli Pardede, A.Md.RO", "P", "Sumbul", "1990-12-01", DAIRI + "02", "Sumbul", "Optik Sumbul Indah"),
    ("Bambang Sutrisno, A.Md.RO", "L", "Semarang", "1985-07-07", "337401", "Berampu", "Optik Kasih Berampu"),
    ("Yohana Angkat, A.Md.RO", "P", "Sidikalang", "1998-04-22", DAIRI + "01", "Sidikalang", "Optik Pakpak Bharu"),
    ("Parlindungan Manik, A.Md.RO", "L", "Siempat Nempu Hulu", "1989-08-30", DAIRI + "07", "Siempat Nempu Hulu", "Optik Silalahi Optical"),
]
STREETS = ["Jl. Sisingamangaraja", "Jl. Pahlawan", "Jl. Sudirman", "Jl. Pakpak", "Jl. Kartini",
           "Jl. Runggu", "Jl. Batu Gajah", "Jl. Air Bersih", "Jl. Bukit Barisan"]
DECISION_BY_INDEX = {0: "Disetujui", 1: "Disetujui", 2: "Disetujui", 3: "Ditolak", 5: "Disetujui",
                        7: "Disetujui", 9: "Ditolak", 12: "Disetujui", 16: "Disetujui"}
REJECTION_REASONS = ["STR sudah tidak berlaku pada saat verifikasi", "Tempat kerja belum memiliki izin optik"]
INCOMPLETE = {6: ["surat_keterangan_sehat"], 13: ["rekomendasi_organisasi_profesi", "npwp"]}


def make_nik(rng: random.Random, region: str, sex: str, born: dt.date) -> str:
    day = born.day + (40 if sex == "P" else 0)
    return f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}{rng.randint(1, 999):04d}"


def make_phone(rng: random.Random, index: int) -> str:
    digits = f"08{rng.choice('1235')}{rng.randint(10000000, 99999999)}"
    styles = [digits, f"{digits[:4]}-{digits[4:8]}-{digits[8:]}", f"+62 {digits[1:4]} {digits[4:8]} {digits[8:]}"]
    return styles[index % len(styles)]


def applicant_record(rng: random.Random, index: int, spec: tuple) -> dict:
    name, sex, birthplace, born_text, region, district, shop = spec
    born = dt.date.fromisoformat(born_text)
    applied = dt.date(2026, 7, 1) + dt.timedelta(days=rng.randint(0, 45))
    email_user = name.split(",")[0].lower().replace(" ", ".")
    record = {
        "no_registrasi": None,  # blank: the registry assigns it
        "tanggal_permohonan": applied,
        "nama": name,
        "nik": make_nik(rng, region, sex, born),
        "tempat_lahir": birthplace,
        "tanggal_lahir": born,
        "jenis_kelamin": sex,
        "alamat": f"{rng.choice(STREETS)} No. {rng.randint(1, 120)}, {district}, Kabupaten Dairi",
        "no_hp": make_phone(rng, index),
        "email": f"{email_user}@gmail.com" if index % 3 else None,
        "pendidikan": "D3 Refraksi Optisi" if "A.Md" in name else "D4 Optometri",
        "no_str": f"RO{rng.randint(10**13, 10**14 - 1)}",
        "str_berlaku_sampai": "Seumur Hidup" if index % 2 else applied.replace(year=applied.year + 3),
        "nama_tempat_kerja": shop,
        "alamat_tempat_kerja": f"{rng.choice(STREETS)} No. {rng.randint(1, 80)}, {district}",
    }
    record.update({f.name: "T" if f.name in INCOMPLETE.get(index, []) else "Y" for f in CHECKLIST})
    add_decision(rng, index, record)
    return record


def add_decision(rng: random.Random, index: int, record: dict) -> None:
    decision = DECISION_BY_INDEX.get(index)
    if decision is None:
        return
    recommended = record["tanggal_permohonan"] + dt.timedelta(days=rng.randint(3, 10))
    record["nomor_rekomendasi"] = f"440/{rng.randint(100, 999):04d}/DINKES/VIII/2026"
    record["tanggal_rekomendasi"] = recommended
    record["keputusan"] = decision
    if decision == "Ditolak":
        record["alasan_penolakan"] = REJECTION_REASONS[index % len(REJECTION_REASONS)]


def add_typical_mistakes(records: list[dict]) -> None:
    """The errors a clerk makes; intake must report each one."""
    records[4]["nik"] = records[4]["nik"][:15]                # a NIK with 15 digits
    records[8]["tanggal_lahir"] = "Februari 11, 1989"         # a date typed as text, wrong form
    nik = records[10]["nik"]                                  # NIK birth date differs from Tanggal Lahir
    records[10]["nik"] = nik[:6] + "52" + nik[8:]
    records[14]["no_str"] = None                              # a required field left empty
    records[1]["nik"] = " ".join([records[1]["nik"][:6], records[1]["nik"][6:12], records[1]["nik"][12:]])
    records[2]["tanggal_permohonan"] = f"{records[2]['tanggal_permohonan']:%d-%m-%Y}"  # text date, valid form
    records[5]["tanggal_permohonan"] = "05 Agustus 2026"      # Indonesian month name, valid
    records.insert(12, dict(records[11]))                     # the same application typed twice


def write_sample_workbook(dest: Path) -> Path:
    rng = random.Random(SEED)
    records = [applicant_record(rng, index, spec) for index, spec in enumerate(APPLICANTS)]
    add_typical_mistakes(records)
    write_blank_workbook(dest)
    workbook = load_workbook(dest)
    sheet = workbook["Permohonan"]
    for row_offset, record in enumerate(records):
        for column, fld in enumerate(FIELDS, start=1):
            value = record.get(fld.name)
            if value is not None:
                write_cell(sheet.cell(FIRST_DATA_ROW + row_offset, column), value)
    workbook.properties.creator = "sikro-docs samples"
    workbook.properties.created = dt.datetime(2026, 8, 1)
    workbook.save(dest)
    return dest

