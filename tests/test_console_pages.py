"""What each person sees in the staff console: their inbox by due time in working hours with its
tiles, an application's page, recording a step through the workflow library, the admin pages,
the language switch, and the demo's accounts."""

from __future__ import annotations

import re

import pytest
from console_support import NOW, PASSWORD, console, csrf_of, make_user, office, post_form, sign_in, signed_in
from sqlalchemy import select
from workflow_support import walk, wib

from sikro_docs import accounts, clock, db
from sikro_docs.accounts import AccountError
from sikro_docs.accounts.demo import create_demo_users
from sikro_docs.cli import main as sikro_main
from sikro_docs.console import i18n
from sikro_docs.console.app import create_app
from sikro_docs.models import Application, Event
from sikro_docs.workflow.records import StepRecord

TILE = re.compile(r'<span class="count">(\d+)</span>\s*<span class="label">([^<]+)</span>')
ROW = re.compile(r'<tr class="[^"]*">\s*<td[^>]*><a href="/applications/(\d+)">')


@pytest.fixture
def staff(workspace):
    for username, roles in (("loket", ["front_office"]), ("budi", ["back_office"]), ("tono", ["tim_teknis"]),
                            ("kabid", ["kabid"]), ("kadis", ["kadis"]), ("duo", ["kabid", "kadis"]),
                            ("admin1", ["admin"])):
        make_user(workspace, username, *roles, name=username.title())
    the_office = office(workspace)
    with clock.frozen(NOW):
        yield workspace, the_office


def tiles(html: str) -> dict[str, int]:
    return {label: int(count) for count, label in TILE.findall(html)}


def rows(html: str) -> list[int]:
    return [int(app_id) for app_id in ROW.findall(html)]


# --------------------------------------------------------------------------- the inbox


def test_each_person_sees_what_waits_on_their_roles(staff):
    ws, o = staff
    expected = {
        "loket": ([o.ids["at_step22"], o.ids["returned"]], {"Menunggu Anda": 2, "Untuk diserahkan": 1, "Terlambat": 1}),
        "budi": ([o.ids["at_step5"]], {"Menunggu Anda": 1, "Terlambat": 0}),
        "tono": ([o.ids["at_step7"]], {"Menunggu Anda": 1}),
        "kabid": ([o.ids["at_step18"]], {"Menunggu Anda": 1, "Untuk diparaf": 1, "Terlambat": 1}),
        "kadis": ([o.ids["at_step20"]], {"Menunggu Anda": 1, "Untuk ditandatangani": 1, "Terlambat": 0}),
        "duo": ([o.ids["at_step18"], o.ids["at_step20"]], {"Menunggu Anda": 2, "Untuk diparaf": 1,
                                                            "Untuk ditandatangani": 1}),
    }
    for username, (apps, counts) in expected.items():
        page = signed_in(ws, username).get("/")
        assert page.status_code == 200, username
        assert rows(page.text) == apps, username
        shown = tiles(page.text)
        assert set(shown) == {"Menunggu Anda", "Untuk diparaf", "Untuk ditandatangani", "Untuk diserahkan", "Terlambat"}
        for label, count in counts.items():
            assert shown[label] == count, (username, label)


def test_late_ones_come_first_and_are_marked_in_working_hours(staff):
    ws, o = staff
    page = signed_in(ws, "loket").get("/").text
    # step 22 (30 Menit) was due at 08:41 after step 21 at 08:11; at 10:00 it is 1 h 19 min late
    assert "Terlambat 1 Jam 19 Menit" in page and 'class="late"' in page
    assert "Langkah 22: Menyampaikan Surat Izin ke Pemohon" in page
    assert "Dikembalikan: menunggu pemohon melengkapi berkas" in page  # the returned file: no due time
    assert page.index("Terlambat 1 Jam 19 Menit") < page.index("Dikembalikan: menunggu")
    budi = signed_in(ws, "budi").get("/").text
    assert "Sisa 2 Jam 1 Menit" in budi  # step 5 (4 Jam) after step 4 at 08:01: due 12:01
    assert "Senin, 2 Agu 2027, 12.01 WIB" in budi
    with clock.frozen(wib(2027, 8, 2, 15, 30)):
        later = signed_in(ws, "budi").get("/").text
    assert "Terlambat 3 Jam 29 Menit" in later


def test_the_inbox_comes_in_pages_counted_whole(staff, monkeypatch):
    from sikro_docs.console import inbox

    ws, o = staff
    monkeypatch.setattr(inbox, "PAGE_SIZE", 1)
    client = signed_in(ws, "loket")
    first, second = client.get("/").text, client.get("/?page=2").text
    assert tiles(first)["Menunggu Anda"] == 2 and tiles(second)["Menunggu Anda"] == 2  # the tiles count all
    assert f"/applications/{o.ids['at_step22']}" in first and f"/applications/{o.ids['returned']}" not in first
    assert f"/applications/{o.ids['returned']}" in second and f"/applications/{o.ids['at_step22']}" not in second
    assert "Halaman 1 dari 2 (2 permohonan)" in first and 'href="/?page=2" rel="next"' in first
    assert 'href="/?page=1" rel="prev"' in second and 'rel="next"' not in second
    assert "Halaman 2 dari 2" in client.get("/?page=99").text  # past the end: the last page
    late = client.get("/?tile=overdue").text
    assert f"/applications/{o.ids['at_step22']}" in late and "Halaman 1 dari" not in late  # one page: no pager
    assert client.get("/?page=x&tile=<b>").status_code == 200  # odd parameters: the first page of all


def test_a_late_technical_team_shows_the_sops_warning(staff):
    ws, o = staff
    assert "Peringatan SOP" not in signed_in(ws, "tono").get("/").text  # due tomorrow at 08:03
    with clock.frozen(wib(2027, 8, 3, 9, 0)):  # the next working day, an hour after it was due
        page = signed_in(ws, "tono").get("/").text
    assert "Peringatan SOP" in page
    assert "Apabila Tim Teknis terlambat memberikan rekomendasi, izin terlambat diterbitkan. (1 permohonan)" in page
    assert "Terlambat 57 Menit" in page


def test_a_tile_shows_only_its_applications(staff):
    ws, o = staff
    duo = signed_in(ws, "duo")
    assert rows(duo.get("/?tile=paraf").text) == [o.ids["at_step18"]]
    assert rows(duo.get("/?tile=sign").text) == [o.ids["at_step20"]]
    assert rows(duo.get("/?tile=overdue").text) == [o.ids["at_step18"]]
    assert rows(duo.get("/?tile=nonsense").text) == [o.ids["at_step18"], o.ids["at_step20"]]


# --------------------------------------------------------------------------- an application


def test_an_applications_page_shows_its_data_checklist_and_history(staff):
    ws, o = staff
    page = signed_in(ws, "budi").get(f"/applications/{o.ids['at_step5']}").text
    with db.session(ws) as session:
        app = session.get(Application, o.ids["at_step5"])
        nik, ref = app.nik, app.registration_number
    assert f"Permohonan {ref}" in page and "Pemohon at_step5" in page
    assert nik not in page and f"{nik[:6]}******{nik[12:]}" in page
    for shown in ("Surat Izin Kerja Refraksionis Optisien (SIKRO)", "Baru", "Sidikalang, 5 Maret 1991", "Perempuan",
                  "Kelengkapan berkas", "✓ Ada", "Wajib", "Belum ada dokumen.",
                  "Langkah dicatat: Langkah 4: Mengentri berkas permohonan",
                  "Langkah 4: Mengentri berkas permohonan dalam aplikasi e-perizinan dan meneruskan ke Backoffice",
                  "Langkah berikutnya", "Backoffice / Ka Seksi Pelayanan II"):
        assert shown in page, shown
    assert 'name="step" value="5"' in page and "Catat langkah 5" in page
    returned = signed_in(ws, "loket").get(f"/applications/{o.ids['returned']}").text
    assert "Belum lengkap:" in returned and "✗ Tidak ada" in returned
    assert "Dikembalikan: berkas belum lengkap" in returned
    assert 'name="step" value="1"' in returned  # the front office records the file handed in again


def test_recording_a_step_through_the_page_uses_the_workflow_library(staff):
    ws, o = staff
    budi = signed_in(ws, "budi")
    app_id = o.ids["at_step5"]
    answer = post_form(budi, f"/applications/{app_id}", f"/applications/{app_id}/steps",
                       {"step": "5", "note": "berkas sesuai standar pelayanan"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/applications/{app_id}?done=5"
    page = budi.get(answer.headers["location"]).text
    assert "Langkah 5 telah dicatat." in page and 'name="step" value="6"' in page
    assert "berkas sesuai standar pelayanan" in page
    with db.session(ws) as session:
        record = session.scalars(select(StepRecord).where(StepRecord.application_id == app_id)
                                 .order_by(StepRecord.id.desc())).first()
        event = session.scalars(select(Event).where(Event.application_id == app_id, Event.action == "step.done")
                                .order_by(Event.id.desc())).first()
        app = session.get(Application, app_id)
    assert (record.step, record.by, record.note) == (5, "budi", "berkas sesuai standar pelayanan")
    assert record.done_at.replace(tzinfo=None) == NOW.astimezone(clock.dt.UTC).replace(tzinfo=None)
    assert event.actor == "budi" and app.current_step == 5
    assert re.search(r"<td>Budi</td>\s*<td>Langkah dicatat: Langkah 5", page)  # the history names the person
    assert rows(budi.get("/").text) == [app_id]  # step 6 is the back office's too: still in the inbox


def test_the_decision_step_asks_for_a_decision_and_a_reason(staff):
    ws, o = staff
    app_id = o.ids["at_step7"]
    with db.session(ws) as session:
        ref = session.get(Application, app_id).registration_number
    walk(ws, ref, [7], wib(2027, 8, 2, 9, 0))  # the field inspection (its documents made elsewhere)
    tono = signed_in(ws, "tono")
    page = tono.get(f"/applications/{app_id}").text
    assert 'name="decision" value="approve"' in page and 'name="recommendation"' in page
    for data, status, message in (({}, 400, "Pilih keputusan: setuju atau tolak."),
                                  ({"decision": "maybe"}, 400, "Pilih keputusan"),
                                  ({"decision": "reject"}, 400, "Penolakan memerlukan alasan.")):
        answer = tono.post(f"/applications/{app_id}/steps", data={"csrf": csrf_of(page), "step": "8", **data})
        assert answer.status_code == status and message in answer.text, data
        assert 'role="alert"' in answer.text
    answer = tono.post(f"/applications/{app_id}/steps", data={
        "csrf": csrf_of(page), "step": "8", "decision": "approve", "recommendation": "440/123/DINKES/2027"})
    assert answer.status_code == 303
    with db.session(ws) as session:
        app = session.get(Application, app_id)
        assert (app.status, app.current_step, app.recommendation_number) == ("approved", 8, "440/123/DINKES/2027")
    assert "Setuju (rekomendasi diberikan)" in tono.get(f"/applications/{app_id}").text  # in the history


def test_a_paraf_needs_its_statement_and_a_stale_page_is_a_409(staff):
    ws, o = staff
    app_id = o.ids["at_step18"]
    kabid = signed_in(ws, "kabid")
    page = kabid.get(f"/applications/{app_id}").text
    assert "Saya telah memaraf draf ini" in page
    refused = kabid.post(f"/applications/{app_id}/steps", data={"csrf": csrf_of(page), "step": "18"})
    assert refused.status_code == 400 and "Centang pernyataan paraf" in refused.text
    done = kabid.post(f"/applications/{app_id}/steps", data={"csrf": csrf_of(page), "step": "18", "confirm": "yes"})
    assert done.status_code == 303
    again = kabid.post(f"/applications/{app_id}/steps", data={"csrf": csrf_of(page), "step": "18", "confirm": "yes"})
    # the library's refusal (workflow/errors.py, by its code) worded in Bahasa Indonesia, in English with ?lang=en
    assert again.status_code == 409 and "Langkah tidak dapat dicatat: Langkah 18 tidak berurutan untuk" in again.text
    english = kabid.post(f"/applications/{app_id}/steps?lang=en",
                         data={"csrf": csrf_of(page), "step": "18", "confirm": "yes"})
    assert english.status_code == 409 and "Step 18 is out of order for" in english.text
    assert kabid.post("/applications/999/steps", data={"csrf": csrf_of(page), "step": "18",
                                                        "confirm": "yes"}).status_code == 404
    assert kabid.get("/applications/999").status_code == 404
    assert kabid.post(f"/applications/{app_id}/steps", data={"csrf": csrf_of(page), "step": "x"}).status_code == 400


def test_the_english_switch_is_remembered(staff):
    ws, o = staff
    budi = signed_in(ws, "budi")
    english = budi.get("/?lang=en")
    assert "Inbox" in english.text and "Waiting on you" in english.text and '<html lang="en">' in english.text
    assert "sikro_console_lang=en" in english.headers["set-cookie"]
    page = budi.get(f"/applications/{o.ids['at_step5']}").text
    assert "Applicant&#39;s data" in page and "NIK (masked)" in page and "Record step 5" in page
    assert f'href="/applications/{o.ids["at_step5"]}?lang=id"' in page
    assert "Kotak masuk" in budi.get("/?lang=id").text
    assert "Kotak masuk" in budi.get("/").text


# --------------------------------------------------------------------------- admin


def test_an_admin_adds_a_user_and_hands_over_a_one_time_password(staff):
    ws, o = staff
    admin = signed_in(ws, "admin1")
    page = admin.get("/admin/users").text
    assert "Tambah pengguna" in page and "Budi" in page and "Tim Teknis" in page
    bad = admin.post("/admin/users", data={"csrf": csrf_of(page), "username": "x", "name": "X", "roles": "kadis"})
    assert bad.status_code == 400 and '&#34;x&#34; tidak dapat menjadi nama pengguna' in bad.text
    none = admin.post("/admin/users", data={"csrf": csrf_of(page), "username": "sari", "name": "Sari"})
    assert none.status_code == 400 and "sedikitnya satu peran" in none.text
    made = admin.post("/admin/users", data={"csrf": csrf_of(page), "username": "Sari", "name": "Sari Manik",
                                            "roles": ["front_office", "arsiparis"]})
    assert made.status_code == 200 and "Kata sandi sementara" in made.text
    password = re.search(r'<code id="one-time-password">([^<]+)</code>', made.text).group(1)
    client = console(ws)
    assert sign_in(client, "sari", password).headers["location"] == "/account/password"
    reset = post_form(admin, "/admin/users/sari", "/admin/users/sari/reset", {})
    fresh = re.search(r'<code id="one-time-password">([^<]+)</code>', reset.text).group(1)
    assert fresh != password and client.get("/account/password").status_code == 303  # her session ended
    assert sign_in(console(ws), "sari", password).status_code == 401
    roles = post_form(admin, "/admin/users/sari", "/admin/users/sari/roles", {"roles": ["kabid"]})
    assert roles.status_code == 200 and "Perubahan disimpan." in roles.text
    assert accounts.user_view(ws, "sari").roles == ("kabid",)
    assert "Langkah SOP yang dicatat: 10, 11, 18" not in roles.text and "10, 18" in roles.text
    last = post_form(admin, "/admin/users/admin1", "/admin/users/admin1/disable", {})
    assert last.status_code == 400 and "pengguna aktif terakhir dengan peran Admin" in last.text
    assert admin.get("/admin/users/nobody").status_code == 404
    with db.session(ws) as session:
        actors = {e.action: e.actor for e in session.scalars(select(Event).where(Event.action.like("account.%")))
                  if e.details.get("user") == "sari"}
    assert actors["account.created"] == "admin1" and actors["account.password"] == "admin1"
    assert actors["account.roles"] == "admin1"


# --------------------------------------------------------------------------- the demo, the words, the command


def test_the_demo_makes_a_user_per_role_with_a_one_time_password(workspace):
    made = create_demo_users(workspace)
    book = accounts.role_book(workspace)
    assert [u.role for u in made] == list(book.roles)
    assert [u.username for u in made][:3] == ["front-office", "ksb-umum", "back-office"]
    for user in made:
        signed = accounts.sign_in(workspace, user.username, user.password, "127.0.0.1")
        assert signed.who.must_change_password and signed.who.roles == (user.role,)
    again = create_demo_users(workspace)
    assert all(u.password is None for u in again)
    from sikro_docs.demo import DemoResult

    lines = DemoResult(workspace, workspace.root / "x.xlsx", None, users=made).console_lines()
    assert lines[1].strip().startswith(f"sikro console --workspace {workspace.root}")
    assert any(made[0].password in line and "front-office" in line for line in lines)


def test_the_console_words_are_complete_in_both_languages():
    assert set(i18n.WORDS["id"]) == set(i18n.WORDS["en"])
    # a library error without English words here is said in the library's own English sentence
    assert set(i18n.ERRORS["en"]) <= set(i18n.ERRORS["id"])
    assert set(i18n.EVENTS["id"]) == set(i18n.EVENTS["en"])
    from sikro_docs.accounts import errors

    codes = {cls.code for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, AccountError) and cls.code != "account"}
    worded = set(i18n.ERRORS["id"]) | {"token.unknown"}  # a CLI-only error: the console has no token page yet
    assert codes <= worded, codes - worded


def test_sikro_serve_internal_points_at_the_console(workspace, capsys):
    with pytest.raises(SystemExit) as done:
        sikro_main(["serve", "--internal", "--workspace", str(workspace.root)])
    assert done.value.code == 2
    assert "moved to the staff console" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:
        sikro_main(["console", "--help"])
    assert done.value.code == 0
    assert "office network" in " ".join(capsys.readouterr().out.split())


def test_a_bad_console_setting_is_one_line_before_any_worker_starts(workspace, capsys):
    text = workspace.profile_path.read_text("utf-8").replace('secure_cookies = "auto"', 'secure_cookies = "maybe"')
    workspace.profile_path.write_text(text, "utf-8")
    with pytest.raises(SystemExit) as done:
        sikro_main(["console", "--workspace", str(workspace.root)])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == "sikro: error: sikro.toml: [console] secure_cookies: must be one of auto, always, never"


def test_sikro_console_with_two_workers_keeps_a_session_across_them(workspace):
    """A real `sikro console --workers 2`: the session lives in the database, so whichever worker
    answers, the person stays signed in; the first sign-in's note says there is no admin yet."""
    import http.cookiejar
    import urllib.parse
    import urllib.request

    from console_support import ConsoleServer

    make_user(workspace, "budi", "back_office")
    server = ConsoleServer(workspace.root, "--workers", "2")
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        form = opener.open(f"{server.url}/login", timeout=10).read().decode()
        data = urllib.parse.urlencode({"csrf": csrf_of(form), "username": "budi", "password": PASSWORD}).encode()
        home = opener.open(f"{server.url}/login", data=data, timeout=30)
        assert home.url == f"{server.url}/" and "Kotak masuk" in home.read().decode()
        for _ in range(8):  # the connections land on both workers
            with opener.open(f"{server.url}/account/password", timeout=10) as page:
                assert page.url.endswith("/account/password") and "Ganti kata sandi" in page.read().decode()
    finally:
        _out, err = server.stop()
    assert "Traceback" not in err and "2 workers" in err
    assert "no enabled account may manage accounts" in err


# Errors only the CLI meets (its own commands: backup, db copy, demo, permit-type folders, settings)
# or that mean the office's evidence is broken (said as the library says it, in full).
CLI_ONLY_CODES = {
    "token.unknown", "account", "step", "unknown-effect", "backup-unusable", "backup-damaged", "chain-tampered",
    "db-copy-refused", "db-copy-failed", "demo-step-failed", "input-unusable", "jobs-queue-unusable",
    "job-kind-unknown", "limit_setting_invalid", "numbers-lost", "counter-behind", "not_a_permit_type_folder",
    "permit_type_invalid", "permit_type_exists", "bad_permit_type_code", "web-setting", "unknown-group",
    "application-refused", "fact-invalid",
}


def _error_classes():
    import importlib
    import pkgutil

    import sikro_docs
    from sikro_docs.errors import SikroError

    for module in pkgutil.walk_packages(sikro_docs.__path__, "sikro_docs."):
        if "migrations" not in module.name and not module.name.endswith(("__main__", "lo_bridge")):
            importlib.import_module(module.name)
    found, todo = set(), [SikroError]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return found


def test_every_library_error_a_console_page_can_meet_has_indonesian_words(workspace):
    from sikro_docs.console import i18n_refusals
    from sikro_docs.intake.problems import codes as problem_codes

    create_app(workspace)  # every area's words merged
    codes = {cls.__dict__["code"] for cls in _error_classes() if "code" in cls.__dict__}
    codes -= set(problem_codes())  # a row's problems: words of their own (i18n.INTAKE_PROBLEMS)
    unworded = codes - set(i18n.ERRORS["id"]) - CLI_ONLY_CODES
    assert not unworded, sorted(unworded)
    assert i18n_refusals.unworded_reasons() == set()


def test_a_refusal_is_worded_from_its_values_in_indonesian_and_in_the_librarys_english(workspace):
    from sikro_docs.archive.refusals import LocationIncomplete
    from sikro_docs.numbering.refusals import AlreadyVoid, DispatchNeedsNames

    create_app(workspace)
    void = AlreadyVoid(number="503/0007/SIKRO/2027", register="sikro", reason="salah ketik")
    assert i18n.error_words(void, "id") == "Nomor 503/0007/SIKRO/2027 register sikro sudah dibatalkan (salah ketik)."
    assert i18n.error_words(void, "en") == str(void) == ("number 503/0007/SIKRO/2027 of register sikro is already "
                                                         "void (salah ketik).")
    where = LocationIncomplete(flags="--shelf, --box", missing=("shelf", "box"))
    assert i18n.error_words(where, "id") == "Isi setiap bagian lokasi; yang belum diisi: rak, boks."
    assert "--" not in i18n.error_words(DispatchNeedsNames(), "id")
