"""The words of the staff console, in Bahasa Indonesia and English, as data.

Bahasa Indonesia is the default; `?lang=en` (or `?lang=id`) on any page
switches and is remembered in a cookie. Templates read words as `t.key`;
`ERRORS` words each library error by its code (errors.CodedError) from its
values, so the console says in Indonesian what the CLI says in English. A key
missing in one language fails `test_console_i18n_complete`.
"""

from __future__ import annotations

from ..holdings import ISSUES as REGISTRY_ISSUES
from ..intake.problems import OTHER as PROBLEM_OTHER
from ..intake.problems import codes as problem_codes
from . import i18n_refusals

DEFAULT_LANGUAGE = "id"

WORDS: dict[str, dict[str, str]] = {
    "id": {
        "site_title": "Konsol Staf",
        "switch_label": "English",
        "switch_lang": "en",
        "skip_to_content": "Langsung ke isi",
        "staff_note": "Halaman internal kantor, khusus staf: memuat data pemohon. Jangan dibagikan ke luar kantor.",
        # navigation
        "nav_label": "Menu utama",
        "nav_inbox": "Kotak masuk",
        "nav_users": "Pengguna",
        "nav_password": "Kata sandi",
        "nav_logout": "Keluar",
        "signed_in_as": "Masuk sebagai",
        # login
        "login_heading": "Masuk ke Konsol Staf",
        "login_intro": "Masukkan nama pengguna dan kata sandi Anda.",
        "login_username": "Nama pengguna",
        "login_password": "Kata sandi",
        "login_submit": "Masuk",
        "login_bye": "Anda telah keluar.",
        "login_expired": "Silakan masuk untuk melanjutkan.",
        # password
        "password_heading": "Ganti kata sandi",
        "password_must_change": ("Kata sandi Anda adalah kata sandi sementara. Gantilah dengan kata sandi Anda "
                                 "sendiri sebelum melanjutkan."),
        "password_current": "Kata sandi saat ini",
        "password_new": "Kata sandi baru",
        "password_repeat": "Ulangi kata sandi baru",
        "password_rules": "Paling sedikit {minimum} karakter, tidak memuat nama pengguna.",
        "password_submit": "Simpan kata sandi",
        "password_changed": "Kata sandi telah diganti. Sesi lain atas akun Anda telah diakhiri.",
        # inbox
        "inbox_heading": "Kotak masuk",
        "inbox_intro": "Permohonan yang menunggu langkah peran Anda ({roles}), yang paling mendesak di atas.",
        "inbox_empty": "Tidak ada permohonan yang menunggu langkah peran Anda.",
        "inbox_filtered": "Ditampilkan: {tile}.",
        "inbox_page_of": "Halaman {page} dari {pages} ({total} permohonan)",
        "inbox_prev": "Sebelumnya", "inbox_next": "Berikutnya", "inbox_pages": "Halaman daftar",
        "inbox_show_all": "Tampilkan semua",
        "tiles_label": "Ringkasan",
        "tile_all": "Menunggu Anda",
        "tile_paraf": "Untuk diparaf",
        "tile_sign": "Untuk ditandatangani",
        "tile_handover": "Untuk diserahkan",
        "tile_overdue": "Terlambat",
        "no_sop_roles": "Peran Anda tidak mencatat langkah SOP: tidak ada kotak masuk.",
        "col_registration": "Nomor registrasi",
        "col_name": "Nama pemohon",
        "col_type": "Jenis izin",
        "col_next": "Langkah berikutnya",
        "col_role": "Peran",
        "col_due": "Batas waktu",
        "col_state": "Keadaan",
        "state_overdue": "Terlambat {late}",
        "state_due_soon": "Segera: sisa {left}",
        "state_left": "Sisa {left}",
        "state_returned": "Dikembalikan: menunggu pemohon melengkapi berkas",
        "state_at_risk": "Layanan berisiko melewati janji SOP",
        "warnings_heading": "Peringatan SOP",
        "warning_count": "{warning} ({count} permohonan)",
        "step_label": "Langkah {number}: {activity}",
        # application
        "app_heading": "Permohonan {number}",
        "app_back": "Kembali ke kotak masuk",
        "app_status": "Status",
        "app_position": "Posisi",
        "app_next": "Langkah berikutnya",
        "app_due": "Batas waktu",
        "app_holder": "Ditangani oleh",
        "app_finished": "Selesai",
        "app_not_started": "Belum masuk tahap SOP",
        "app_done_step": "Langkah {number} telah dicatat.",
        "data_heading": "Data pemohon",
        "field_name": "Nama",
        "field_nik": "NIK (tersamar)",
        "field_birth": "Tempat, tanggal lahir",
        "field_sex": "Jenis kelamin",
        "sex_L": "Laki-laki",
        "sex_P": "Perempuan",
        "field_address": "Alamat",
        "field_phone": "No HP",
        "field_email": "Email",
        "field_education": "Pendidikan",
        "field_application_date": "Tanggal permohonan",
        "field_permit_type": "Jenis izin",
        "field_application_kind": "Jenis permohonan",
        "field_previous": "Izin sebelumnya",
        "field_recommendation": "Nomor rekomendasi",
        "checklist_heading": "Kelengkapan berkas",
        "checklist_item": "Persyaratan",
        "checklist_required": "Wajib",
        "checklist_handed_in": "Diserahkan",
        "checklist_yes": "Ada",
        "checklist_no": "Tidak ada",
        "checklist_wajib": "Wajib",
        "checklist_opsional": "Opsional",
        "checklist_missing": "Belum lengkap: {items}",
        "documents_heading": "Dokumen",
        "documents_none": "Belum ada dokumen.",
        "doc_kind": "Dokumen",
        "doc_number": "Nomor",
        "doc_date": "Tanggal",
        "doc_status": "Status",
        "doc_file": "Berkas",
        "doc_download": "Unduh PDF",
        "doc_status_issued": "Terbit (kode QR sah)",
        "doc_status_pending": "Sedang dibuat",
        "doc_status_void": "Batal",
        "doc_status_revoked": "Dicabut",
        "doc_status_replaced": "Diganti",
        "doc_status_draft": "Draf",
        "timeline_heading": "Riwayat",
        "timeline_when": "Waktu",
        "timeline_who": "Oleh",
        "timeline_what": "Kejadian",
        "timeline_source": "Sumber",
        "timeline_row": "{file}, baris {row}",
        "actions_heading": "Tindakan Anda",
        "actions_none": "Tidak ada langkah yang dapat Anda catat sekarang.",
        "actions_waiting": "Menunggu {role}: {step}.",
        "action_submit": "Catat langkah {number}",
        "action_decision": "Keputusan",
        "decision_approve": "Setuju (rekomendasi diberikan)",
        "decision_reject": "Tolak",
        "action_reason": "Alasan (wajib bila ditolak)",
        "action_recommendation": "Nomor surat rekomendasi",
        "action_note": "Catatan",
        "action_confirm_paraf": "Saya telah memaraf draf ini",
        "action_confirm_sign": "Saya telah menandatangani dokumen ini",
        "action_documents": "Dokumen yang dibuat pada langkah ini: {kinds}",
        "need_decision": "Pilih keputusan: setuju atau tolak.",
        "need_reason": "Penolakan memerlukan alasan.",
        "need_confirm": "Centang pernyataan paraf atau tanda tangan untuk mencatat langkah ini.",
        "step_refused": "Langkah tidak dapat dicatat: {why}",
        "status_open": "Diproses",
        "status_returned": "Dikembalikan: berkas belum lengkap",
        "status_approved": "Disetujui",
        "status_rejected": "Ditolak",
        "status_issued": "Selesai: izin terbit",
        # admin
        "users_heading": "Pengguna",
        "users_intro": "Akun staf dan perannya. Setiap perubahan dicatat dengan nama Anda.",
        "users_col_username": "Nama pengguna",
        "users_col_name": "Nama",
        "users_col_roles": "Peran",
        "users_col_state": "Keadaan",
        "users_col_last_login": "Terakhir masuk",
        "users_col_sessions": "Sesi aktif",
        "user_active": "Aktif",
        "user_disabled": "Nonaktif",
        "user_locked": "Terkunci",
        "user_must_change": "Harus ganti kata sandi",
        "user_never": "Belum pernah",
        "users_add_heading": "Tambah pengguna",
        "users_add_username": "Nama pengguna (huruf kecil, angka, . _ -)",
        "users_add_name": "Nama lengkap",
        "users_add_roles": "Peran",
        "users_add_submit": "Tambah pengguna",
        "user_heading": "Pengguna {username}",
        "user_roles_heading": "Peran",
        "user_roles_submit": "Simpan peran",
        "user_steps": "Langkah SOP yang dicatat: {steps}",
        "user_steps_none": "Tidak mencatat langkah SOP.",
        "user_account_heading": "Akun",
        "user_disable": "Nonaktifkan (semua sesinya berakhir)",
        "user_enable": "Aktifkan kembali",
        "user_reset": "Buat kata sandi sementara baru",
        "user_unlock": "Buka kunci",
        "user_end_sessions": "Akhiri semua sesinya",
        "user_back": "Kembali ke daftar pengguna",
        "user_saved": "Perubahan disimpan.",
        "user_sessions_ended": "{count} sesi diakhiri.",
        "one_time_heading": "Kata sandi sementara",
        "one_time_intro": ("Berikan kata sandi ini kepada {name} secara langsung. Kata sandi ini hanya "
                           "ditampilkan sekali dan harus diganti saat pertama kali masuk."),
        # boxes (the page a box label's QR opens)
        "box_heading": "Boks {box}",
        "box_summary": "{count} berkas di dalam boks ini",
        "box_where_heading": "Letak boks",
        "box_contents_heading": "Isi boks",
        "box_as_of": "Data per",
        "box_not_found": "Boks {box} tidak ditemukan: belum ada berkas yang dicatat di boks ini (sikro archive place).",
        "field_room": "Ruang",
        "field_cabinet": "Lemari",
        "field_shelf": "Rak",
        "field_place": "Letak",
        "folder_heading": "Map {folder}",
        "field_berkas_number": "Nomor berkas",
        "field_applicant": "Nama pemohon",
        "field_workplace": "Tempat kerja",
        "field_kurun_waktu": "Kurun waktu",
        "field_stage": "Tahap arsip",
        "stage_aktif": "Aktif",
        "stage_inaktif": "Inaktif",
        "stage_musnah": "Sudah dimusnahkan",
        "stage_diserahkan": "Sudah diserahkan ke lembaga kearsipan (statis)",
        "stage_permanen": "Permanen",
        "stage_dinilai-kembali": "Dinilai kembali",
        # time words
        "unit_day": "Hari",
        "unit_hour": "Jam",
        "unit_minute": "Menit",
        # errors
        "error_heading": "Terjadi kesalahan",
        "error_400": "Permintaan tidak dapat dibaca.",
        "error_401": "Silakan masuk terlebih dahulu.",
        "error_403": "Anda tidak berwenang membuka halaman atau melakukan tindakan ini.",
        "error_403_csrf": "Formulir ini kedaluwarsa atau tidak berasal dari konsol. Muat ulang halaman lalu coba lagi.",
        "error_404": "Halaman tidak ditemukan.",
        "error_405": "Cara permintaan ini tidak didukung.",
        "error_409": "Permintaan bertentangan dengan keadaan data saat ini.",
        "error_413": "Permintaan terlalu besar.",
        "error_429": "Terlalu banyak permintaan dari alamat Anda. Coba lagi sebentar lagi.",
        "error_500": "Maaf, terjadi kesalahan pada server. Silakan coba lagi nanti.",
        "error_other": "Permintaan tidak dapat diproses.",
        "back_home": "Kembali ke beranda",
        "error_detail": "Rincian: {detail}",
    },
    "en": {
        "site_title": "Staff console",
        "switch_label": "Bahasa Indonesia",
        "switch_lang": "id",
        "skip_to_content": "Skip to content",
        "staff_note": "An internal page of the office, for staff only: it holds applicants' data. Do not share it outside the office.",
        "nav_label": "Main menu",
        "nav_inbox": "Inbox",
        "nav_users": "Users",
        "nav_password": "Password",
        "nav_logout": "Sign out",
        "signed_in_as": "Signed in as",
        "login_heading": "Sign in to the staff console",
        "login_intro": "Enter your user name and password.",
        "login_username": "User name",
        "login_password": "Password",
        "login_submit": "Sign in",
        "login_bye": "You have signed out.",
        "login_expired": "Please sign in to go on.",
        "password_heading": "Change password",
        "password_must_change": "Your password is a temporary one. Replace it with a password of your own before going on.",
        "password_current": "Current password",
        "password_new": "New password",
        "password_repeat": "New password again",
        "password_rules": "At least {minimum} characters, not containing the user name.",
        "password_submit": "Save password",
        "password_changed": "The password was changed. Your other sessions have been ended.",
        "inbox_heading": "Inbox",
        "inbox_intro": "Applications waiting on a step of your roles ({roles}), the most urgent first.",
        "inbox_empty": "No application is waiting on a step of your roles.",
        "inbox_filtered": "Showing: {tile}.",
        "inbox_page_of": "Page {page} of {pages} ({total} applications)",
        "inbox_prev": "Previous", "inbox_next": "Next", "inbox_pages": "List pages",
        "inbox_show_all": "Show all",
        "tiles_label": "Summary",
        "tile_all": "Waiting on you",
        "tile_paraf": "To initial (paraf)",
        "tile_sign": "To sign",
        "tile_handover": "To hand over",
        "tile_overdue": "Overdue",
        "no_sop_roles": "Your roles record no SOP step: there is no inbox.",
        "col_registration": "Registration number",
        "col_name": "Applicant",
        "col_type": "Permit type",
        "col_next": "Next step",
        "col_role": "Role",
        "col_due": "Due",
        "col_state": "State",
        "state_overdue": "Late by {late}",
        "state_due_soon": "Soon: {left} left",
        "state_left": "{left} left",
        "state_returned": "Returned: waiting for the applicant to complete the file",
        "state_at_risk": "The service may miss the SOP's promise",
        "warnings_heading": "SOP warnings",
        "warning_count": "{warning} ({count} applications)",
        "step_label": "Step {number}: {activity}",
        "app_heading": "Application {number}",
        "app_back": "Back to the inbox",
        "app_status": "Status",
        "app_position": "Position",
        "app_next": "Next step",
        "app_due": "Due",
        "app_holder": "Handled by",
        "app_finished": "Finished",
        "app_not_started": "Not yet at an SOP step",
        "app_done_step": "Step {number} was recorded.",
        "data_heading": "Applicant's data",
        "field_name": "Name",
        "field_nik": "NIK (masked)",
        "field_birth": "Place and date of birth",
        "field_sex": "Sex",
        "sex_L": "Male",
        "sex_P": "Female",
        "field_address": "Address",
        "field_phone": "Mobile phone",
        "field_email": "Email",
        "field_education": "Education",
        "field_application_date": "Application date",
        "field_permit_type": "Permit type",
        "field_application_kind": "Kind of application",
        "field_previous": "Previous permit",
        "field_recommendation": "Recommendation number",
        "checklist_heading": "Requirements handed in",
        "checklist_item": "Requirement",
        "checklist_required": "Required",
        "checklist_handed_in": "Handed in",
        "checklist_yes": "Yes",
        "checklist_no": "No",
        "checklist_wajib": "Required",
        "checklist_opsional": "Optional",
        "checklist_missing": "Incomplete: {items}",
        "documents_heading": "Documents",
        "documents_none": "No documents yet.",
        "doc_kind": "Document",
        "doc_number": "Number",
        "doc_date": "Date",
        "doc_status": "Status",
        "doc_file": "File",
        "doc_download": "Download PDF",
        "doc_status_issued": "Issued (QR code valid)",
        "doc_status_pending": "Being made",
        "doc_status_void": "Void",
        "doc_status_revoked": "Revoked",
        "doc_status_replaced": "Replaced",
        "doc_status_draft": "Draft",
        "timeline_heading": "History",
        "timeline_when": "When",
        "timeline_who": "By",
        "timeline_what": "What happened",
        "timeline_source": "Source",
        "timeline_row": "{file}, row {row}",
        "actions_heading": "Your actions",
        "actions_none": "There is no step you can record now.",
        "actions_waiting": "Waiting on {role}: {step}.",
        "action_submit": "Record step {number}",
        "action_decision": "Decision",
        "decision_approve": "Approve (recommendation given)",
        "decision_reject": "Reject",
        "action_reason": "Reason (required for a rejection)",
        "action_recommendation": "Number of the recommendation letter",
        "action_note": "Note",
        "action_confirm_paraf": "I have initialled this draft",
        "action_confirm_sign": "I have signed this document",
        "action_documents": "Documents made at this step: {kinds}",
        "need_decision": "Choose a decision: approve or reject.",
        "need_reason": "A rejection needs its reason.",
        "need_confirm": "Tick the statement of initial or signature to record this step.",
        "step_refused": "The step cannot be recorded: {why}",
        "status_open": "In progress",
        "status_returned": "Returned: the file is incomplete",
        "status_approved": "Approved",
        "status_rejected": "Rejected",
        "status_issued": "Finished: permit issued",
        "users_heading": "Users",
        "users_intro": "The staff's accounts and their roles. Every change is recorded with your name.",
        "users_col_username": "User name",
        "users_col_name": "Name",
        "users_col_roles": "Roles",
        "users_col_state": "State",
        "users_col_last_login": "Last signed in",
        "users_col_sessions": "Open sessions",
        "user_active": "Active",
        "user_disabled": "Disabled",
        "user_locked": "Locked",
        "user_must_change": "Must change password",
        "user_never": "Never",
        "users_add_heading": "Add a user",
        "users_add_username": "User name (lower case, digits, . _ -)",
        "users_add_name": "Full name",
        "users_add_roles": "Roles",
        "users_add_submit": "Add user",
        "user_heading": "User {username}",
        "user_roles_heading": "Roles",
        "user_roles_submit": "Save roles",
        "user_steps": "SOP steps recorded: {steps}",
        "user_steps_none": "Records no SOP step.",
        "user_account_heading": "Account",
        "user_disable": "Disable (all their sessions end)",
        "user_enable": "Enable again",
        "user_reset": "Make a new temporary password",
        "user_unlock": "Unlock",
        "user_end_sessions": "End all their sessions",
        "user_back": "Back to the users",
        "user_saved": "The change was saved.",
        "user_sessions_ended": "{count} session(s) ended.",
        "one_time_heading": "Temporary password",
        "one_time_intro": ("Give this password to {name} in person. It is shown only this once and must be "
                           "changed at the first sign-in."),
        "box_heading": "Box {box}",
        "box_summary": "{count} file(s) in this box",
        "box_where_heading": "Where the box is",
        "box_contents_heading": "Contents of the box",
        "box_as_of": "As of",
        "box_not_found": "Box {box} not found: no file has been recorded in this box yet (sikro archive place).",
        "field_room": "Room",
        "field_cabinet": "Cabinet",
        "field_shelf": "Shelf",
        "field_place": "Location",
        "folder_heading": "Folder {folder}",
        "field_berkas_number": "File number",
        "field_applicant": "Applicant",
        "field_workplace": "Workplace",
        "field_kurun_waktu": "Date range (kurun waktu)",
        "field_stage": "Archive stage",
        "stage_aktif": "Active",
        "stage_inaktif": "Inactive",
        "stage_musnah": "Disposed of",
        "stage_diserahkan": "Handed over to the archives (permanent)",
        "stage_permanen": "Permanent",
        "stage_dinilai-kembali": "To be re-appraised",
        "unit_day": "d",
        "unit_hour": "h",
        "unit_minute": "min",
        "error_heading": "Something went wrong",
        "error_400": "The request cannot be read.",
        "error_401": "Please sign in first.",
        "error_403": "You may not open this page or do this.",
        "error_403_csrf": "This form has expired or did not come from the console. Reload the page and try again.",
        "error_404": "Page not found.",
        "error_405": "This kind of request is not supported.",
        "error_409": "The request conflicts with the data as it is now.",
        "error_413": "The request is too large.",
        "error_429": "Too many requests from your address. Please try again in a moment.",
        "error_500": "Sorry, the server made an error. Please try again later.",
        "error_other": "The request cannot be processed.",
        "back_home": "Back to the home page",
        "error_detail": "Details: {detail}",
    },
}

# Library errors by code (errors.CodedError), worded from their values.
ERRORS: dict[str, dict] = {  # a template is a str, or a function of the values
    "id": {
        "account.bad-username": ('"{username}" tidak dapat menjadi nama pengguna: {minimum}-{maximum} karakter, '
                                 "huruf kecil, angka, '.', '_' atau '-', diawali huruf."),
        "account.exists": 'Pengguna "{username}" sudah ada.',
        "account.unknown": 'Tidak ada pengguna "{username}".',
        "account.unknown-role": 'Tidak ada peran "{role}".',
        "account.no-roles": "Pengguna memerlukan sedikitnya satu peran.",
        "account.last-admin": ('"{username}" adalah pengguna aktif terakhir dengan peran {role}: '
                               "berikan peran itu kepada pengguna lain terlebih dahulu."),
        "account.bad-name": "Nama pengguna terdiri atas 1-{maximum} karakter yang dapat dicetak.",
        "password.too-short": "Kata sandi paling sedikit {minimum} karakter.",
        "password.too-long": "Kata sandi paling banyak {maximum} karakter.",
        "password.like-username": "Kata sandi tidak boleh memuat nama pengguna.",
        "password.too-plain": "Kata sandi memerlukan sedikitnya {minimum} karakter yang berbeda.",
        "password.mismatch": "Kedua kata sandi baru yang diketik berbeda.",
        "password.unchanged": "Kata sandi baru harus berbeda dari kata sandi saat ini.",
        "password.wrong": "Kata sandi saat ini salah.",
        "login.failed": "Nama pengguna atau kata sandi salah.",
        "login.locked": ("Terlalu banyak kata sandi salah untuk pengguna ini: coba lagi dalam {minutes} menit, "
                         "atau minta admin membuka kuncinya."),
        "login.throttled": "Terlalu banyak kata sandi salah dari alamat ini: coba lagi dalam {minutes} menit.",
        "account.tampered": ('Akun "{username}" berbeda dari catatannya dalam rantai bukti (diubah di luar sikro): '
                             "akun ini tidak dapat masuk sampai admin memeriksanya."),
        "step.finished": "{ref} sudah selesai ({status}); tidak ada langkah sesudah langkah {current}.",
        "step.returned": ("{ref} dikembalikan kepada pemohon karena belum lengkap (kurang: {missing}); "
                          "langkah berikutnya {expected}, bukan {step}."),
        "step.other-path": ("Langkah {step} termasuk jalur {path}, sedangkan {ref} berstatus {status}; "
                            "langkah berikutnya {expected}."),
        "step.out-of-order": ("Langkah {step} tidak berurutan untuk {ref}: permohonan ada pada langkah {current}, "
                              "langkah berikutnya {expected}."),
        "step.needs-decision": "Langkah {step} ({activity}) memerlukan keputusan: setuju atau tolak.",
        "step.takes-no-decision": "Langkah {step} ({activity}) tidak memerlukan keputusan.",
        "step.unknown-decision": "Keputusan harus setuju atau tolak.",
        "step.needs-reason": "Penolakan pada langkah {step} memerlukan alasan.",
        "step.too-early": ("Langkah {step} pada {at} lebih awal daripada langkah {last} yang dicatat pada {last_at}; "
                           "isi waktu yang sebenarnya."),
        "step.nothing-to-deliver": ("Langkah {step} tidak dicatat: {ref} belum mempunyai {title} bernomor "
                                    "untuk diserahkan."),
        "step.document-failed": "Langkah {step} tidak dicatat: dokumen {kind} tidak dapat dibuat: {detail}",
        "application.unknown": "Tidak ada permohonan dengan id {ref}.",
    },
    "en": {
        "account.bad-username": ('"{username}" cannot be a user name: {minimum}-{maximum} characters, lower-case '
                                 "letters, digits, '.', '_' or '-', starting with a letter."),
        "account.exists": 'A user "{username}" already exists.',
        "account.unknown": 'There is no user "{username}".',
        "account.unknown-role": 'There is no role "{role}".',
        "account.no-roles": "A user needs at least one role.",
        "account.last-admin": ('"{username}" is the last enabled user with the role {role}: give that role to '
                               "another user first."),
        "account.bad-name": "A user's name is 1-{maximum} printable characters.",
        "password.too-short": "A password needs at least {minimum} characters.",
        "password.too-long": "A password may have at most {maximum} characters.",
        "password.like-username": "A password must not contain the user name.",
        "password.too-plain": "A password needs at least {minimum} different characters.",
        "password.mismatch": "The two new passwords typed differ.",
        "password.unchanged": "The new password must differ from the current one.",
        "password.wrong": "The current password is not right.",
        "login.failed": "Wrong user name or password.",
        "login.locked": ("Too many wrong passwords for this user: try again in {minutes} minutes, or ask an admin "
                         "to unlock it."),
        "login.throttled": "Too many wrong passwords from this address: try again in {minutes} minutes.",
        "account.tampered": ('The account "{username}" differs from its record in the evidence chain (changed '
                             "outside sikro): it cannot sign in until an admin checks it."),
        "step.finished": "{ref} is finished ({status}); no step follows step {current}.",
        "step.returned": ("{ref} was returned to the applicant as incomplete (missing: {missing}); "
                          "the next step is {expected}, not {step}."),
        "step.other-path": "Step {step} belongs to the {path} path but {ref} was {status}; the next step is {expected}.",
        "step.out-of-order": ("Step {step} is out of order for {ref}: it stands at step {current}, "
                              "the next step is {expected}."),
        "step.needs-decision": "Step {step} ({activity}) needs a decision: approve or reject.",
        "step.takes-no-decision": "Step {step} ({activity}) takes no decision.",
        "step.unknown-decision": "The decision must be approve or reject.",
        "step.needs-reason": "A rejection at step {step} needs its reason.",
        "step.too-early": ("Step {step} at {at} would be earlier than step {last}, done at {last_at}; "
                           "give the time it was really done."),
        "step.nothing-to-deliver": "Step {step} was not recorded: {ref} has no numbered {title} to deliver yet.",
        "step.document-failed": "Step {step} was not recorded: the {kind} could not be made: {detail}",
        "application.unknown": "There is no application with id {ref}.",
    },
}

for _lang, _words in i18n_refusals.error_words().items():
    ERRORS[_lang].update(_words)

# Words of intake's row problems by code (sikro_docs/intake/problems.py), made from the problem's
# values. A problem at a column starts with its label ("NIK ..."), in both languages; English is the
# library's own message (`Problem.message`), kept exact. A code without words here is shown in English.
INTAKE_PROBLEMS: dict[str, dict[str, str]] = {
    "id": {
        "intake.nik.not-nik": '"{value}" bukan NIK',
        "intake.nik.lost-digits": ('"{value}" tersimpan sebagai angka, yang hanya menyimpan 15 digit; format kolom '
                                   "NIK sebagai teks lalu ketik ulang NIK-nya"),
        "intake.nik.not-digits": '"{value}" memuat karakter selain angka',
        "intake.nik.digits": '"{value}" terdiri atas {digits} digit; NIK harus {expected} digit',
        "intake.nik.birth-date": '"{value}" memuat tanggal lahir {encoded}, padahal tanggal itu tidak ada',
        "intake.nik.serial": '"{value}" bernomor urut 0000; nomor urut dimulai dari 0001',
        "intake.nik.birth-mismatch": '"{value}" memuat tanggal lahir {encoded}, tetapi {birth_label} "{birth}"',
        "intake.nik.gender-female": '"{value}" adalah NIK perempuan (tanggal + 40), tetapi {gender_label} {gender}',
        "intake.nik.gender-male": '"{value}" adalah NIK laki-laki, tetapi {gender_label} {gender}',
        "intake.date.unreal": '"{value}" bukan tanggal yang ada',
        "intake.date.not-date": '"{value}" bukan tanggal',
        "intake.date.time": '"{value}" adalah jam, bukan tanggal',
        "intake.date.month": '"{value}" bukan tanggal: "{word}" bukan nama bulan',
        "intake.date.unreadable": '"{value}" bukan tanggal; tulis sebagai hh-bb-tttt, misalnya 05-03-1991',
        "intake.date.not-lifetime": '"{value}" bukan tanggal dan bukan "Seumur Hidup"',
        "intake.gender": '"{value}" harus L atau P',
        "intake.yes-no": '"{value}" harus Y atau T',
        "intake.decision": '"{value}" harus Disetujui atau Ditolak',
        "intake.choice": '"{value}" harus salah satu dari: {choices}',
        "intake.number.not-whole": '"{value}" bukan bilangan bulat',
        "intake.number.range": '"{value}" harus antara {low} dan {high}',
        "intake.phone.not-phone": '"{value}" bukan nomor telepon Indonesia (08… atau +62…)',
        "intake.phone.digits": '"{value}" terdiri atas {digits} digit; seharusnya {low} sampai {high} digit (dengan 0 di depan)',
        "intake.email": '"{value}" bukan alamat email yang sah',
        "intake.application-kind": '"{value}" bukan salah satu dari {kinds}',
        "intake.type.unknown": '"{value}" bukan jenis izin di kantor ini; yang dikenal: {known}',
        "intake.type.other": '"{value}" adalah {found}, tetapi berkas ini diunggah sebagai {given}',
        "intake.pattern": '"{value}" tidak berbentuk seperti yang diharapkan{hint}',
        "intake.invalid": '"{value}" bukan nilai yang sah',
        "intake.excel-error": 'menampilkan galat Excel "{value}"; perbaiki rumusnya atau ketik nilainya',
        "intake.too-long": '"{value}" panjangnya {length} karakter; paling banyak {maximum} karakter',
        "intake.formula": ('"{value}" adalah rumus yang disimpan tanpa hasilnya; buka berkas di Excel atau '
                           "LibreOffice, simpan, lalu impor lagi"),
        "intake.required": "kosong; wajib diisi",
        "intake.required-previous": "kosong; wajib diisi untuk {kind} (nomor izin sebelumnya)",
        "intake.required-for-kind": "kosong; wajib diisi untuk {kind}",
        "intake.checklist-empty": "kosong; harus Y atau T",
        "intake.reason-required": "kosong; wajib diisi bila Keputusan Ditolak",
        "intake.duplicate": '"{value}" dengan {date_label} "{date}" sama dengan baris {first_row}',
        "intake.birth-after": '"{value}" tidak sebelum {date_label} "{date}"',
        "intake.under-age": ('"{value}" membuat pemohon berumur {age} tahun pada {date_label}; umur paling rendah '
                             "{minimum} tahun"),
        "intake.expired": '"{value}" sebelum {limit_label} "{limit}"; {what} sudah tidak berlaku',
        "intake.foreign-column": "{header} adalah kolom {owners}, bukan kolom {permit_type}",
        "intake.json.checklist": "{key} harus berupa objek berisi true/false",
        "intake.json.not-single": "{key} harus berupa satu nilai, bukan objek atau daftar",
        "intake.json.misspelt-key": 'kunci "{key}" tidak dikenal; maksudnya "{suggestion}"?',
        # the registry's, against the permits it holds (holdings.ISSUES)
        "registry.previous.required": "kosong; permohonan {kind} harus menyebut izin yang dimaksud",
        "registry.previous.unknown": ('kosong; izin "{number}" tidak tercatat di registri (terbit sebelum kantor '
                                      "memakai aplikasi ini): ketik tanggalnya"),
        "registry.previous.wrong-date": '{typed} bukan tanggal izin "{number}" ({date})',
        "registry.previous.other-type": '"{number}" adalah {other}, bukan {permit_type}',
        "registry.previous.other-holder": '"{number}" diterbitkan untuk pemegang lain (NIK lain)',
        "registry.previous.revoked": '"{number}" sudah dicabut (DICABUT); izin itu tidak dapat diproses lagi',
        "registry.previous.replaced": '"{number}" sudah diganti (DIGANTI); izin itu tidak dapat diproses lagi',
        "registry.previous.pending": '"{number}" sudah disebut oleh permohonan {registration_number} ({kind})',
        "registry.holder.at-most": ('"{value}" sudah memegang {count} {permit_type} yang berlaku ({numbers}); '
                                    "paling banyak {maximum}"),
        "registry.holder.same-place": ('"{value}" sudah menjadi tempat {permit_type} {number} yang berlaku milik '
                                       "pemegang ini; satu izin per tempat"),
    },
    "en": {**{code: template for code, template in problem_codes().items() if code != PROBLEM_OTHER},
           **REGISTRY_ISSUES},
}


def problem_words(problem, lang: str) -> str:
    """One of intake's row problems (a Problem, or its `as_json` dict) in `lang`: its code's words
    with its values, its label first; else, and in English, the library's English message."""
    def get(key):
        return problem.get(key) if isinstance(problem, dict) else getattr(problem, key, None)

    message = get("message") or ""
    template = INTAKE_PROBLEMS["id"].get(get("code") or "") if lang == "id" else None
    if template is None:
        return message
    values = dict(get("values") or {})
    try:
        words = template.format(**values)
    except (KeyError, IndexError, ValueError, AttributeError):
        return message
    return f"{values['label']} {words}" if values.get("label") else words


# Words of the events in an application's history (models.Event.action); others are shown as they are.
EVENTS: dict[str, dict[str, str]] = {
    "id": {
        "registered": "Permohonan didaftarkan",
        "updated": "Data permohonan diperbarui",
        "step.done": "Langkah dicatat",
        "checklist.completed": "Berkas dilengkapi",
        "number.allocated": "Nomor diambil",
        "number.confirmed": "Nomor dipakai",
        "number.voided": "Nomor dibatalkan",
        "document.started": "Dokumen mulai dibuat",
        "document.issued": "Dokumen terbit",
        "document.converted": "Dokumen diubah ke PDF",
        "document.voided": "Dokumen dibatalkan",
        "document.revoked": "Izin dicabut",
        "document.replaced": "Izin diganti",
        "document.effect-refused": "Akibat pada izin sebelumnya ditolak",
        "document.previous-unknown": "Izin sebelumnya tidak tercatat",
        "previous_permit": "Izin sebelumnya dirujuk",
        "previous_permit_unknown": "Izin sebelumnya tidak tercatat di registri",
        "earlier_permits_unknown": "Izin terdahulu tidak tercatat di registri",
        "verification.mismatch": "Verifikasi: data kantor tidak cocok dengan kode",
    },
    "en": {
        "registered": "Application registered",
        "updated": "Application data updated",
        "step.done": "Step recorded",
        "checklist.completed": "File completed",
        "number.allocated": "Number taken",
        "number.confirmed": "Number used",
        "number.voided": "Number voided",
        "document.started": "Document started",
        "document.issued": "Document issued",
        "document.converted": "Document converted to PDF",
        "document.voided": "Document voided",
        "document.revoked": "Permit revoked",
        "document.replaced": "Permit replaced",
        "document.effect-refused": "Effect on the previous permit refused",
        "document.previous-unknown": "Previous permit not recorded",
        "previous_permit": "Previous permit named",
        "previous_permit_unknown": "Previous permit not in the registry",
        "earlier_permits_unknown": "Earlier permits not in the registry",
        "verification.mismatch": "Verification: office data differ from the code",
    },
}

# Babel patterns; the time zone's Indonesian abbreviation is added after the time.
DATE_PATTERN = "d MMMM y"
DATETIME_PATTERN = {"id": "EEEE, d MMM y, HH.mm", "en": "EEE d MMM y, HH:mm"}


def language(requested: str | None) -> str | None:
    """`id` or `en` when `requested` is one, else None."""
    return requested if requested in WORDS else None


def words(lang: str) -> dict[str, str]:
    return WORDS[lang if lang in WORDS else DEFAULT_LANGUAGE]


def error_words(err, lang: str) -> str:
    """A library error in `lang`: its code's words with its values (a template, or a function of
    the values), else its English message."""
    template = ERRORS.get(lang, {}).get(getattr(err, "code", ""), None)
    if template is None:
        return str(err)
    # a CodedError's values; an older error keeps what its message is made of as attributes
    values = dict(getattr(err, "values", {}) or {}) or {k: v for k, v in vars(err).items() if not k.startswith("_")}
    try:
        return template(**values) if callable(template) else template.format(**values)
    except (KeyError, IndexError, ValueError, TypeError):
        return str(err)


def span_words(text: str | None, lang: str) -> str | None:
    """A span of working time as format_span writes it ("1 Hari 2 Jam"), in `lang`."""
    if not text or lang == "id":
        return text
    t = words(lang)
    return text.replace("Hari", t["unit_day"]).replace("Jam", t["unit_hour"]).replace("Menit", t["unit_minute"])


def add_words(area: str, words: dict[str, dict[str, str]], errors: dict[str, dict[str, str]]) -> None:
    """An area's words and error words, merged into WORDS and ERRORS (once, at the console's start).
    A key another area already has is a mistake of the code: refused, naming both."""
    for table, extra in ((WORDS, words), (ERRORS, errors)):
        for lang, entries in extra.items():
            known = table.setdefault(lang, {})
            for key, value in entries.items():
                if key in known and known[key] != value:
                    raise ValueError(f"console area {area!r}: the word {key!r} ({lang}) is already defined")
                known[key] = value
