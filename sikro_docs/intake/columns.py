"""The columns of an application list, as data.

One `Field` per column of the official workbook, in the official order. The
same list drives header matching, validation, the blank workbook, its
Petunjuk sheet, the errors workbook and the JSON Schema. Texts an office sees
(header, label, help, example) are in Bahasa Indonesia.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Kinds of value; each has one parser in values.py.
TEXT = "text"
NAME = "name"  # free text, whitespace collapsed
DATE = "date"
DATE_OR_LIFETIME = "date_or_lifetime"
NIK = "nik"
GENDER = "gender"
PHONE = "phone"
EMAIL = "email"
YES_NO = "yes_no"
DECISION = "decision"
CODE = "code"  # a number-like identifier kept as text (No STR, No Registrasi)

# Groups, used for the Petunjuk sheet and the JSON shape.
APPLICANT = "pemohon"
CHECKLIST_GROUP = "berkas"
LATER = "proses"


@dataclass(frozen=True)
class Field:
    name: str  # snake_case; also the JSON key
    header: str  # the official Indonesian column header
    kind: str
    required: bool
    help: str  # one sentence for the Petunjuk sheet
    example: str
    aliases: tuple[str, ...] = ()
    group: str = APPLICANT
    width: int = 16  # column width in the official workbook
    text_format: bool = False  # format the column as text ("@") so Excel keeps leading zeros/digits
    max_length: int | None = None  # longest text accepted: what fits on the documents

    @property
    def label(self) -> str:
        return self.header

    @property
    def keys(self) -> set[str]:
        """Normalised header keys that mean this field."""
        return {header_key(text) for text in (self.header, *self.aliases)}


def _f(name, header, kind, required, help, example, **extra) -> Field:
    return Field(name, header, kind, required, help, example, **extra)


_APPLICANT_FIELDS = [
    _f("no_registrasi", "No Registrasi", CODE, False,
       "Kosongkan untuk permohonan baru (nomor diberikan otomatis); isi hanya untuk memperbarui permohonan yang sudah terdaftar.", "REG/00001/SIKRO/2026",
       aliases=("Registrasi", "No Reg", "No Agenda"), width=16, text_format=True, max_length=60),
    _f("tanggal_permohonan", "Tanggal Permohonan", DATE, True,
       "Tanggal surat permohonan diterima.", "05-08-2026",
       aliases=("Tanggal Masuk", "Tanggal Pengajuan", "Tanggal", "Tanggal Diterima", "Tanggal Terima",
                "Tanggal Daftar", "Tanggal Pendaftaran"), width=14),
    _f("nama", "Nama", NAME, True,
       "Nama lengkap pemohon dengan gelar, sesuai STR.", "Rina Sitanggang, A.Md.RO",
       aliases=("Nama Lengkap", "Nama Pemohon", "Nama Lengkap dan Gelar"), width=30, max_length=150),
    _f("nik", "NIK", NIK, True,
       "Nomor Induk Kependudukan 16 digit sesuai KTP. Kolom ini berformat teks.",
       "1211014503910002", aliases=("No KTP", "Nomor Induk Kependudukan", "NIK KTP", "No NIK", "NIK/No KTP"),
       width=20, text_format=True),
    _f("tempat_lahir", "Tempat Lahir", NAME, True, "Kota/kabupaten tempat lahir.", "Sidikalang",
       width=16, max_length=80),
    _f("tanggal_lahir", "Tanggal Lahir", DATE, True,
       "Tanggal lahir; harus sesuai dengan tanggal lahir di dalam NIK.", "05-03-1991", width=14),
    _f("jenis_kelamin", "Jenis Kelamin", GENDER, True,
       "L untuk laki-laki, P untuk perempuan; harus sesuai dengan NIK.", "P",
       aliases=("L/P", "Kelamin", "JK", "Jenis Kelamin L/P", "Jenis Kelamin L / P"), width=8),
    _f("alamat", "Alamat", NAME, True, "Alamat rumah sesuai KTP.",
       "Jl. Sisingamangaraja No. 12, Sidikalang", aliases=("Alamat Rumah", "Alamat Pemohon", "Alamat KTP"),
       width=36, max_length=300),
    _f("no_hp", "No HP", PHONE, True,
       "Nomor HP/WhatsApp, 10-13 digit, boleh 08… atau +62….", "0812-6543-2100",
       aliases=("HP", "No Telepon", "Telepon", "No WA", "No Handphone", "No Telp", "Telp", "No Telp/HP",
                "No HP/WA", "HP/WA", "No WhatsApp", "No Telepon/HP"), width=16,
       text_format=True),
    _f("email", "Email", EMAIL, False, "Alamat email bila ada.", "rina.sitanggang@gmail.com",
       aliases=("E-mail", "Surel", "Alamat Email"), width=26, max_length=254),
    _f("pendidikan", "Pendidikan", NAME, True, "Pendidikan terakhir di bidang refraksi optisi.",
       "D3 Refraksi Optisi", aliases=("Pendidikan Terakhir",), width=20, max_length=120),
    _f("no_str", "No STR", CODE, True, "Nomor Surat Tanda Registrasi Refraksionis Optisien.",
       "RO00000123456789", aliases=("Nomor STR", "No STR RO", "No STRRO"), width=22, text_format=True,
       max_length=60),
    _f("str_berlaku_sampai", "STR Berlaku Sampai", DATE_OR_LIFETIME, True,
       "Tanggal akhir berlaku STR, atau \"Seumur Hidup\"; tidak boleh sebelum tanggal permohonan.",
       "Seumur Hidup", aliases=("Masa Berlaku STR", "Berlaku STR", "STR Berlaku", "STR Berlaku s/d", "Berlaku s/d"), width=16),
    _f("nama_tempat_kerja", "Nama Tempat Kerja", NAME, True,
       "Nama optik/tempat praktik.", "Optik Sidikalang Jaya",
       aliases=("Tempat Kerja", "Nama Optik", "Optik", "Tempat Praktik", "Nama Tempat Praktik"), width=28,
       max_length=150),
    _f("alamat_tempat_kerja", "Alamat Tempat Kerja", NAME, True,
       "Alamat optik/tempat praktik.", "Jl. Pahlawan No. 5, Sidikalang",
       aliases=("Alamat Optik", "Alamat Tempat Praktik"), width=36, max_length=300),
]

_CHECKLIST_FIELDS = [
    _f(name, header, YES_NO, True,
       f"Y bila {what} ada dan sesuai, T bila tidak ada. Tidak boleh kosong.", "Y",
       aliases=aliases, group=CHECKLIST_GROUP, width=11)
    for name, header, what, aliases in [
        ("surat_permohonan", "Surat Permohonan", "surat permohonan bermeterai", ()),
        ("ktp", "KTP", "fotokopi KTP", ("Fotokopi KTP", "FC KTP")),
        ("str", "STR", "fotokopi STR yang dilegalisir", ("Fotokopi STR", "FC STR")),
        ("ijazah", "Ijazah", "fotokopi ijazah yang dilegalisir", ("Fotokopi Ijazah", "FC Ijazah")),
        ("surat_keterangan_sehat", "Surat Keterangan Sehat", "surat keterangan sehat dari dokter",
         ("Surat Sehat", "SK Sehat")),
        ("surat_keterangan_tempat_kerja", "Surat Keterangan Tempat Kerja",
         "surat keterangan dari tempat kerja", ("SK Tempat Kerja",)),
        ("rekomendasi_organisasi_profesi", "Rekomendasi Organisasi Profesi",
         "rekomendasi organisasi profesi (IROPIN)", ("Rekomendasi IROPIN", "Rekomendasi OP")),
        ("pas_foto", "Pas Foto", "pas foto 4x6", ("Foto", "Pas Foto 4x6")),
        ("npwp", "NPWP", "fotokopi NPWP", ("Fotokopi NPWP", "FC NPWP")),
    ]
]

_LATER_FIELDS = [
    _f("nomor_rekomendasi", "Nomor Rekomendasi", CODE, False,
       "Nomor surat rekomendasi Dinas Kesehatan, diisi setelah ada.", "440/123/DINKES/2026",
       aliases=("No Surat Rekomendasi",), group=LATER, width=22, text_format=True, max_length=80),
    _f("tanggal_rekomendasi", "Tanggal Rekomendasi", DATE, False,
       "Tanggal surat rekomendasi Dinas Kesehatan.", "12-08-2026", group=LATER, width=14),
    _f("keputusan", "Keputusan", DECISION, False,
       "Disetujui atau Ditolak; kosongkan bila belum diputuskan.", "Disetujui",
       aliases=("Status", "Hasil"), group=LATER, width=12),
    _f("alasan_penolakan", "Alasan Penolakan", NAME, False,
       "Wajib diisi bila Keputusan = Ditolak.", "STR sudah tidak berlaku",
       aliases=("Alasan Ditolak", "Alasan"), group=LATER, width=30, max_length=1000),
]

FIELDS: list[Field] = _APPLICANT_FIELDS + _CHECKLIST_FIELDS + _LATER_FIELDS
CHECKLIST: list[Field] = list(_CHECKLIST_FIELDS)
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

# Word spellings that mean the same in a header; applied per word.
_WORD_SYNONYMS = {"tgl": "tanggal", "nomor": "no", "nomer": "no", "nmr": "no", "no.": "no"}
_BRACKETED_HINT = re.compile(r"[\(\[].*?[\)\]]")


def header_key(text: object) -> str:
    """Reduce a header to a key that ignores case, spacing, punctuation and hints.

    "Jenis Kelamin (L/P)" -> "jeniskelamin", "Tgl. Lahir" -> "tanggallahir",
    "Nomor STR" and "No. STR" -> "nostr".
    """
    if text is None:
        return ""
    words = _BRACKETED_HINT.sub(" ", str(text)).lower().replace(".", " ").replace("/", " ").split()
    words = [_WORD_SYNONYMS.get(word, word) for word in words]
    return re.sub(r"[^0-9a-z]", "", "".join(words))


# Headers of one column that holds two fields, as Indonesian forms often do:
# "Tempat, Tanggal Lahir" = "Sidikalang, 05-03-1991". Header -> the fields, in the cell's order.
COMBINED_HEADERS: dict[str, tuple[str, str]] = {
    header: ("tempat_lahir", "tanggal_lahir")
    for header in ("Tempat Tanggal Lahir", "Tempat/Tanggal Lahir", "TTL", "Tempat & Tanggal Lahir",
                   "Tempat dan Tanggal Lahir")
}

_KEY_TO_FIELD: dict[str, Field] = {}
for _field in FIELDS:
    for _key in _field.keys:
        if _key in _KEY_TO_FIELD:
            raise AssertionError(f"header key {_key!r} is ambiguous")
        _KEY_TO_FIELD[_key] = _field


def field_for_header(text: object) -> Field | None:
    return _KEY_TO_FIELD.get(header_key(text))


_KEY_TO_COMBINED = {header_key(h): names for h, names in COMBINED_HEADERS.items()}


def combined_for_header(text: object) -> tuple[str, str] | None:
    """The two fields a combined column ("Tempat, Tgl Lahir") holds, or None."""
    return _KEY_TO_COMBINED.get(header_key(text))
