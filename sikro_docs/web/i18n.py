"""The words of the public verification page, in Bahasa Indonesia and English, as data.

Bahasa Indonesia is the default; `?lang=en` switches one page to English
(nothing is remembered: every link carries its own `lang`). Templates read
words as `t.key`; a missing key in one language fails the test
`test_web_i18n_complete`, so the two stay in step.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "id"

WORDS: dict[str, dict[str, str]] = {
    "id": {
        "site_title": "Verifikasi Dokumen",
        "switch_label": "English",
        "switch_lang": "en",
        "skip_to_content": "Langsung ke isi",
        # landing page and short-code form
        "landing_heading": "Periksa keaslian dokumen",
        "landing_intro": ("Pindai kode QR pada dokumen dengan kamera ponsel: halaman ini menampilkan "
                          "apakah dokumen itu sah. Tidak bisa memindai? Ketik kode singkat yang tercetak "
                          "di bawah kode QR."),
        "code_heading": "Periksa dengan kode singkat",
        "code_label": "Kode singkat (16 huruf dan angka)",
        "code_placeholder": "XXXX-XXXX-XXXX-XXXX",
        "code_submit": "Periksa",
        "code_malformed": "Kode singkat terdiri atas 16 huruf A–Z dan angka 2–7, misalnya K7Q2-M3XD-ABCD-EFGH. Periksa kembali ketikan Anda.",
        "privacy_note": "Halaman ini tidak menyimpan data Anda dan tidak menampilkan NIK.",
        # verdicts: the large word, then one sentence that says what it means
        "verdict_valid": "SAH",
        "verdict_revoked": "DICABUT",
        "verdict_replaced": "DIGANTI",
        "verdict_expired": "KEDALUWARSA",
        "verdict_void": "BATAL",
        "verdict_invalid": "TIDAK SAH",
        "sentence_valid": "Dokumen ini asli, diterbitkan oleh kantor kami, dan berlaku.",
        "sentence_revoked": "Dokumen ini asli tetapi telah dicabut: tidak berlaku lagi.",
        "sentence_replaced": "Izin ini asli tetapi telah diganti dengan izin Nomor {number}: izin ini tidak berlaku lagi.",
        "sentence_expired": "Dokumen ini asli tetapi masa berlakunya telah habis.",
        "sentence_void": "Nomor dokumen ini telah dibatalkan oleh kantor: dokumen ini tidak berlaku.",
        "sentence_invalid": "Dokumen ini tidak dapat dipastikan keasliannya.",
        "reason_not_genuine": ("Kode ini bukan kode dokumen yang ditandatangani dan terdaftar di kantor kami. "
                               "Dokumen mungkin palsu atau telah diubah."),
        "reason_not_registered": "Kode singkat ini tidak terdaftar pada kantor kami.",
        "reason_registry_mismatch": "Kode ini asli, tetapi data kantor tidak cocok dengan kode.",
        "reason_key_compromised": "Dokumen ini tidak sah: kunci dicabut — hubungi kantor.",
        "advice_invalid": "Jika Anda ragu, hubungi kantor kami dan tunjukkan dokumen aslinya.",
        # details
        "details_heading": "Rincian dokumen",
        "field_kind": "Jenis dokumen",
        "field_number": "Nomor",
        "field_holder": "Nama pemegang",
        "field_permit_type": "Jenis izin",
        "field_workplace": "Tempat kerja",
        "field_issued": "Tanggal terbit",
        "field_valid_until": "Berlaku sampai dengan",
        "field_issuer": "Diterbitkan oleh",
        "field_revoked_at": "Dicabut pada",
        "field_revoked_reason": "Alasan pencabutan",
        "field_replaced_by": "Diganti dengan izin Nomor",
        "field_replaced_at": "Diganti pada",
        "checked_at": "Diperiksa pada",
        "note_signature": ("Tanda tangan elektronik pada kode QR ini telah diperiksa dengan kunci publik "
                           "kantor (kunci {key_id}), dan statusnya dengan daftar dokumen kantor saat ini."),
        "note_registry": "Kode singkat ini telah diperiksa dengan daftar dokumen kantor saat ini.",
        "check_another": "Periksa dokumen lain",
        # progress page (the receipt's QR)
        "progress_heading": "Status permohonan",
        "progress_registered": "Permohonan terdaftar",
        "field_registration": "Nomor registrasi",
        "field_applicant": "Nama pemohon",
        "field_application_date": "Tanggal permohonan",
        "field_status": "Status",
        "field_step": "Tahap saat ini",
        "field_role": "Sedang ditangani oleh",
        "field_standard_time": "Waktu standar tahap ini",
        "step_number": "Tahap {number} dari {total}",
        "step_unknown": "Tahap {number}",
        "step_not_started": "Belum masuk tahap SOP",
        "status_open": "Sedang diproses",
        "status_returned": "Dikembalikan: berkas perlu dilengkapi",
        "status_approved": "Disetujui: surat izin sedang disiapkan",
        "status_rejected": "Ditolak",
        "status_issued": "Selesai: surat izin telah terbit",
        "status_unknown": "Sedang diproses",
        "note_progress": ("Tanda tangan elektronik pada resi ini telah diperiksa dengan kunci publik kantor; "
                          "status diambil dari catatan kantor saat ini."),
        "unit_jam": "jam",
        "unit_menit": "menit",
        "unit_hari": "hari kerja",
        # errors
        "error_heading": "Terjadi kesalahan",
        "error_404": "Halaman tidak ditemukan.",
        "error_405": "Cara permintaan ini tidak didukung.",
        "error_400": "Permintaan tidak dapat dibaca.",
        "error_413": "Permintaan terlalu besar.",
        "error_429": "Terlalu banyak permintaan dari alamat Anda. Coba lagi sebentar lagi.",
        "error_500": "Maaf, terjadi kesalahan pada server. Silakan coba lagi nanti.",
        "error_503": "Layanan sedang tidak tersedia. Silakan coba lagi nanti.",
        "error_other": "Permintaan tidak dapat diproses.",
        "back_home": "Kembali ke halaman utama",
    },
    "en": {
        "site_title": "Document verification",
        "switch_label": "Bahasa Indonesia",
        "switch_lang": "id",
        "skip_to_content": "Skip to content",
        "landing_heading": "Check that a document is genuine",
        "landing_intro": ("Scan the QR code on the document with your phone's camera: this page shows "
                          "whether the document is valid. Cannot scan? Type the short code printed "
                          "below the QR code."),
        "code_heading": "Check with the short code",
        "code_label": "Short code (16 letters and digits)",
        "code_placeholder": "XXXX-XXXX-XXXX-XXXX",
        "code_submit": "Check",
        "code_malformed": "A short code has 16 characters, letters A–Z and digits 2–7, e.g. K7Q2-M3XD-ABCD-EFGH. Please check what you typed.",
        "privacy_note": "This page stores nothing about you and never shows an identity number (NIK).",
        "verdict_valid": "VALID",
        "verdict_revoked": "REVOKED",
        "verdict_replaced": "REPLACED",
        "verdict_expired": "EXPIRED",
        "verdict_void": "VOID",
        "verdict_invalid": "NOT VALID",
        "sentence_valid": "This document is genuine, issued by our office, and in force.",
        "sentence_revoked": "This document is genuine but has been revoked: it is no longer in force.",
        "sentence_replaced": "This permit is genuine but has been replaced by permit number {number}: it is no longer in force.",
        "sentence_expired": "This document is genuine but its validity has ended.",
        "sentence_void": "The office has voided this document's number: the document is not in force.",
        "sentence_invalid": "This document cannot be confirmed as genuine.",
        "reason_not_genuine": ("This code is not the code of a document signed and registered by our office. "
                               "The document may be forged or altered."),
        "reason_not_registered": "No document of our office has this short code.",
        "reason_registry_mismatch": "The code is genuine, but the office records do not match the code.",
        "reason_key_compromised": "This document is not valid: the signing key was revoked — contact the office.",
        "advice_invalid": "If in doubt, contact our office and show the original document.",
        "details_heading": "Document details",
        "field_kind": "Document",
        "field_number": "Number",
        "field_holder": "Holder",
        "field_permit_type": "Permit type",
        "field_workplace": "Workplace",
        "field_issued": "Issued on",
        "field_valid_until": "Valid until",
        "field_issuer": "Issued by",
        "field_revoked_at": "Revoked on",
        "field_revoked_reason": "Reason for revocation",
        "field_replaced_by": "Replaced by permit number",
        "field_replaced_at": "Replaced on",
        "checked_at": "Checked at",
        "note_signature": ("The electronic signature in this QR code was verified with the office's public "
                           "key (key {key_id}), and its status against the office's current register."),
        "note_registry": "This short code was checked against the office's current register.",
        "check_another": "Check another document",
        "progress_heading": "Application status",
        "progress_registered": "Application registered",
        "field_registration": "Registration number",
        "field_applicant": "Applicant",
        "field_application_date": "Application date",
        "field_status": "Status",
        "field_step": "Current step",
        "field_role": "Now handled by",
        "field_standard_time": "Standard time of this step",
        "step_number": "Step {number} of {total}",
        "step_unknown": "Step {number}",
        "step_not_started": "Not yet at an SOP step",
        "status_open": "In progress",
        "status_returned": "Returned: the file must be completed",
        "status_approved": "Approved: the permit is being prepared",
        "status_rejected": "Rejected",
        "status_issued": "Finished: the permit has been issued",
        "status_unknown": "In progress",
        "note_progress": ("The electronic signature on this receipt was verified with the office's public key; "
                          "the status comes from the office's current records."),
        "unit_jam": "hour(s)",
        "unit_menit": "minutes",
        "unit_hari": "working day(s)",
        "error_heading": "Something went wrong",
        "error_404": "Page not found.",
        "error_405": "This kind of request is not supported.",
        "error_400": "The request cannot be read.",
        "error_413": "The request is too large.",
        "error_429": "Too many requests from your address. Please try again in a moment.",
        "error_500": "Sorry, the server made an error. Please try again later.",
        "error_503": "The service is unavailable. Please try again later.",
        "error_other": "The request cannot be processed.",
        "back_home": "Back to the home page",
    },
}

# English names of the document kinds (the Indonesian titles come from document_kinds.toml).
KIND_NAMES_EN: dict[str, str] = {
    "permit": "Permit",
    "rejection": "Letter of rejection",
    "recommendation-request": "Request for recommendation",
    "task-order": "Task order",
    "receipt": "Receipt of the application file",
    "registration": "Registration of the application",
    "checklist-return": "Clarification of missing requirements",
    "disposition": "Disposition sheet",
    "inspection-report": "Field inspection report",
}

# Babel date patterns; a time zone's Indonesian abbreviation is added after the time.
DATE_PATTERN = "d MMMM y"
DATETIME_PATTERN = {"id": "d MMMM y, HH.mm", "en": "d MMMM y, HH:mm"}
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def language(requested: str | None) -> str:
    """The page's language: `?lang=en` or `?lang=id`, anything else the default."""
    return requested if requested in WORDS else DEFAULT_LANGUAGE


def words(lang: str) -> dict[str, str]:
    return WORDS[language(lang)]


def kind_name(kind: str | None, indonesian_title: str | None, lang: str) -> str | None:
    if lang == "en" and kind in KIND_NAMES_EN:
        return KIND_NAMES_EN[kind]
    return indonesian_title
