"""The archive area: search the berkas, see one, record where its paper original sits.

    GET  /archive?q=                          search the archive (the library's full-text search: number,
                                              name, registration, workplace, any word of its documents)
    GET  /archive/berkas/{id}                 one berkas: its data, where its paper sits, its files, and
                                              the form that records its place (archive.manage)
    POST /archive/berkas/{id}/place           record the place (room, cabinet, shelf, box, folder) through
                                              archive.place, its PREMIS event's agent the signed-in user
    GET  /archive/labels?box=                 the box's label and its folders' labels (PDF, archive.write_labels)
    GET  /archive/due?on=                     what retention makes due (archive.due_items): move to inactive,
                                              usul musnah, usul serah; with the lists' downloads
    GET  /archive/lists/{name}.xlsx?on=       daftar-aktif | daftar-inaktif | daftar-musnah | daftar-serah as
                                              the library writes them (archive.export_list)
    GET  /api/v1/archive/due?on=              the due list as JSON
    GET  /api/v1/archive?q=                   the search as JSON
    GET  /api/v1/archive/berkas/{id}          one berkas as JSON
    POST /api/v1/archive/berkas/{id}/place    {"room", "cabinet", "shelf", "box", "folder"}

`id` is the archive index's row id of the berkas (a berkas number holds "/" and
so is no path segment). Searching is for archive.manage or registers.view (who
may see the registers may see where their files sit); placing is archive.manage.
A box's contents are the box page's (/A/BOX/{box}), linked, not repeated here.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from .. import clock, db
from ..accounts.roles import MANAGE_ARCHIVE, SEE_BOXES, VIEW_REGISTERS
from ..archive import due_items, export_list, place, recover, search, write_labels
from ..archive.berkas import LOCATION_PARTS, location_line
from ..archive.index import MAX_QUERY_CHARS, kurun_waktu
from ..archive.tables import ArchiveFile, Berkas, Location
from ..errors import SikroError
from . import i18n
from .area import ApiCall, ApiRefusal, Area, Endpoint, MenuItem

RESULTS = 50  # hits shown for one query, best first
PART_CHARS = 100  # Location's columns are String(100)
MAX_ID = 2**62  # a row id beyond what the database holds is no row (as app.MAX_ID)


def _location_of(session, berkas_id: int) -> dict[str, str] | None:
    row = session.get(Location, berkas_id)
    return {part: getattr(row, part) for part in LOCATION_PARTS} if row else None


# the lists an archivist downloads from the due page (a berita acara needs its decision: the CLI's)
LISTS = ("daftar-aktif", "daftar-inaktif", "daftar-musnah", "daftar-serah")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        return None


def made_by_library(write, suffix: str) -> bytes:
    """What a library function that writes a file (`write(path)`) makes, as bytes (a private temp dir)."""
    with tempfile.TemporaryDirectory(prefix="sikro-console-") as folder:
        path = Path(folder) / f"out{suffix}"
        write(path)
        return path.read_bytes()


def box_href(box: str) -> str:
    return "/A/BOX/" + quote(box, safe="")


class _ArchiveMenuItem(MenuItem):
    """The archive's entry, current under /archive but for the disposal page (its own entry)."""

    def current(self, path: str) -> bool:
        return super().current(path) and not path.startswith("/archive/disposal")


LOCATION_WORDS_ID = {"room": "ruang", "cabinet": "lemari", "shelf": "rak", "box": "boks", "folder": "map"}


class ArchiveArea(Area):
    name = "archive"
    menu = [_ArchiveMenuItem("nav_archive", "/archive", MANAGE_ARCHIVE)]
    # The library's refusals (archive/refusals.py) in Bahasa Indonesia; English is the library's own.
    errors = {
        "id": {
            "archive.unknown-ref": "Tidak ada permohonan, dokumen atau berkas bernomor {ref}.",
            "archive.ambiguous-ref": "{ref} menunjuk lebih dari satu dokumen: ketik nomor registrasinya.",
            "archive.location-incomplete": lambda missing, **_: (
                "Isi setiap bagian lokasi; yang belum diisi: "
                + ", ".join(LOCATION_WORDS_ID.get(part, part) for part in missing) + "."),
            "archive.berkas-empty": "{ref}: berkas {berkas} belum mempunyai isi di arsip.",
            "archive.box-empty": "Boks {box} belum berisi berkas (catat lokasinya lebih dulu).",
        },
    }
    words = {
        "id": {
            "nav_archive": "Arsip",
            "archive_heading": "Arsip berkas",
            "archive_intro": "Cari berkas menurut nomor registrasi, nomor izin atau surat, nama pemohon, tempat "
                             "kerja, atau kata apa pun di dalam dokumennya.",
            "archive_search": "Cari di arsip", "archive_find": "Cari",
            "archive_empty": "Tidak ada berkas yang cocok dengan \u201c{q}\u201d.",
            "archive_count": "{count} berkas ditemukan (yang paling cocok lebih dulu).",
            "archive_registration": "No. registrasi", "archive_name": "Pemohon",
            "archive_classification": "Klasifikasi", "archive_kurun": "Kurun waktu",
            "archive_location": "Lokasi fisik", "archive_matched": "Dokumen yang cocok",
            "archive_box": "Boks", "archive_open": "Buka berkas",
            "archive_not_placed": "belum dicatat",
            "archive_berkas_heading": "Berkas {number}",
            "archive_berkas_number": "No. berkas", "archive_workplace": "Tempat kerja",
            "archive_stage": "Tahap", "archive_application": "Halaman permohonan",
            "archive_active_until": "Aktif sampai", "archive_inactive_until": "Inaktif sampai",
            "archive_final_fate": "Nasib akhir (JRA)",
            "archive_files": "File elektronik", "archive_file_path": "Nama file",
            "archive_file_kind": "Jenis", "archive_file_number": "Nomor", "archive_file_origin": "Asal",
            "archive_no_files": "Belum ada berkas elektronik.",
            "archive_place_heading": "Catat lokasi fisik",
            "archive_place_intro": "Di mana asli kertas berkas ini disimpan. Perubahan dicatat di log berkas "
                                   "dengan nama Anda.",
            "archive_room": "Ruang", "archive_cabinet": "Lemari", "archive_shelf": "Rak",
            "archive_folder": "Map", "archive_place": "Simpan lokasi",
            "archive_place_required": "Isi semua bagian lokasi: ruang, lemari, rak, boks dan map.",
            "archive_place_too_long": "Setiap bagian lokasi paling banyak {chars} karakter.",
            "archive_placed": "Lokasi dicatat: {where}.",
            "archive_query_too_long": "Kata pencarian terlalu panjang (paling banyak {chars} karakter).",
            "archive_warnings": "Peringatan",
            "archive_labels": "Label boks", "archive_labels_box": "Nomor boks",
            "archive_labels_get": "Unduh label (PDF)",
            "archive_labels_empty": "Boks “{box}” belum berisi berkas (catat lokasinya dulu).",
            "archive_due_link": "Jatuh tempo retensi",
            "archive_due_heading": "Jatuh tempo retensi per {on}",
            "archive_due_intro": "Berkas yang menurut JRA sudah waktunya dipindah ke arsip inaktif, diusulkan "
                                 "musnah, atau diserahkan sebagai arsip statis.",
            "archive_due_on": "Per tanggal", "archive_due_show": "Tampilkan",
            "archive_due_empty": "Tidak ada berkas yang jatuh tempo.",
            "archive_due_action": "Tindakan", "archive_due_since": "Jatuh tempo sejak",
            "archive_due_move-inactive": "Pindah ke arsip inaktif", "archive_due_destroy": "Usul musnah",
            "archive_due_permanent": "Usul serah (permanen)", "archive_due_reassess": "Dinilai kembali",
            "archive_lists": "Daftar arsip (Excel)",
            "archive_list_daftar-aktif": "Daftar Arsip Aktif", "archive_list_daftar-inaktif": "Daftar Arsip Inaktif",
            "archive_list_daftar-musnah": "Daftar Arsip Usul Musnah",
            "archive_list_daftar-serah": "Daftar Arsip Usul Serah",
        },
        "en": {
            "nav_archive": "Archive",
            "archive_heading": "The archive's berkas",
            "archive_intro": "Find a berkas by its registration number, a permit or letter number, the "
                             "applicant's name, the workplace, or any word of its documents.",
            "archive_search": "Search the archive", "archive_find": "Search",
            "archive_empty": "No berkas matches \u201c{q}\u201d.",
            "archive_count": "{count} berkas found (best match first).",
            "archive_registration": "Registration no.", "archive_name": "Applicant",
            "archive_classification": "Classification", "archive_kurun": "Period",
            "archive_location": "Where the paper sits", "archive_matched": "Documents matched",
            "archive_box": "Box", "archive_open": "Open the berkas",
            "archive_not_placed": "not recorded",
            "archive_berkas_heading": "Berkas {number}",
            "archive_berkas_number": "Berkas no.", "archive_workplace": "Workplace",
            "archive_stage": "Stage", "archive_application": "The application's page",
            "archive_active_until": "Active until", "archive_inactive_until": "Inactive until",
            "archive_final_fate": "Final fate (JRA)",
            "archive_files": "Electronic files", "archive_file_path": "File",
            "archive_file_kind": "Kind", "archive_file_number": "Number", "archive_file_origin": "Origin",
            "archive_no_files": "No electronic file yet.",
            "archive_place_heading": "Record where the paper sits",
            "archive_place_intro": "Where the paper original of this berkas is kept. The change is recorded in "
                                   "the berkas's log with your name.",
            "archive_room": "Room", "archive_cabinet": "Cabinet", "archive_shelf": "Shelf",
            "archive_folder": "Folder", "archive_place": "Save the place",
            "archive_place_required": "Give every part of the place: room, cabinet, shelf, box and folder.",
            "archive_place_too_long": "Each part of the place is at most {chars} characters.",
            "archive_placed": "Place recorded: {where}.",
            "archive_query_too_long": "The search is too long (at most {chars} characters).",
            "archive_warnings": "Warnings",
            "archive_labels": "Box labels", "archive_labels_box": "Box number",
            "archive_labels_get": "Download the labels (PDF)",
            "archive_labels_empty": "Box “{box}” holds no berkas yet (record their place first).",
            "archive_due_link": "Retention due",
            "archive_due_heading": "Retention due as of {on}",
            "archive_due_intro": "Berkas whose JRA period says they move to inactive storage, are proposed for "
                                 "destruction, or are handed over as static archives.",
            "archive_due_on": "As of", "archive_due_show": "Show",
            "archive_due_empty": "Nothing is due.",
            "archive_due_action": "Action", "archive_due_since": "Due since",
            "archive_due_move-inactive": "Move to inactive storage", "archive_due_destroy": "Propose destruction",
            "archive_due_permanent": "Propose hand-over (permanent)", "archive_due_reassess": "Reassess",
            "archive_lists": "Archive lists (Excel)",
            "archive_list_daftar-aktif": "List of active records", "archive_list_daftar-inaktif": "List of inactive records",
            "archive_list_daftar-musnah": "Records proposed for destruction",
            "archive_list_daftar-serah": "Records proposed for hand-over",
        },
    }

    def pages(self):
        return [self.page("/archive", self.index, None),
                self.page("/archive/berkas/{berkas_id:int}", self.show, None),
                self.page("/archive/berkas/{berkas_id:int}/place", self.place, MANAGE_ARCHIVE, methods=("POST",)),
                self.page("/archive/labels", self.labels, MANAGE_ARCHIVE),
                self.page("/archive/due", self.due, MANAGE_ARCHIVE),
                self.page("/archive/lists/{name}.xlsx", self.list_download, MANAGE_ARCHIVE)]

    def endpoints(self):
        return [Endpoint("GET", "/api/v1/archive/due", self.api_due, MANAGE_ARCHIVE,
                         "What retention makes due (?on=YYYY-MM-DD, default today)"),
                Endpoint("GET", "/api/v1/archive", self.api_search, None,
                         "Search the archive's berkas, best first (?q=)"),
                Endpoint("GET", "/api/v1/archive/berkas/{berkas_id:int}", self.api_show, None,
                         "One berkas: its data, where its paper sits, its files"),
                Endpoint("POST", "/api/v1/archive/berkas/{berkas_id:int}/place", self.api_place, MANAGE_ARCHIVE,
                         "Record where a berkas's paper original sits",
                         body={"type": "object", "required": list(LOCATION_PARTS),
                               "properties": {part: {"type": "string", "maxLength": PART_CHARS}
                                              for part in LOCATION_PARTS}})]

    # ----------------------------------------------------------------- who may

    def may_search(self, who) -> bool:
        return self.book.may(who.roles, MANAGE_ARCHIVE) or self.book.may(who.roles, VIEW_REGISTERS)

    def may_place(self, who) -> bool:
        return self.book.may(who.roles, MANAGE_ARCHIVE)

    def max_query(self) -> int:
        limits = (self.ws.profile.get("limits", {}).get("search", {}) or {})
        return int(limits.get("query_chars", MAX_QUERY_CHARS))

    # ----------------------------------------------------------------- reading

    def hits(self, q: str) -> list[dict]:
        """The library's search (as `sikro archive search`), each hit with its berkas row id and box."""
        recover(self.ws)
        with db.session(self.ws) as session:
            found = search(session, q, limit=RESULTS, max_chars=self.max_query())
            numbers = [h.berkas_number for h in found]
            rows = session.execute(select(Berkas.berkas_number, Berkas.id, Berkas.application_id)
                                   .where(Berkas.berkas_number.in_(numbers))).all() if numbers else []
            keys = {number: (berkas_id, app_id, _location_of(session, berkas_id))
                    for number, berkas_id, app_id in rows}
        out = []
        for hit in found:
            if hit.berkas_number not in keys:
                continue
            berkas_id, app_id, where = keys[hit.berkas_number]
            # the parts themselves: the hit's own line is the CLI's English sentence when nothing is recorded
            out.append({**{k: v for k, v in hit.as_json().items() if k not in ("path", "rank")},
                        "id": berkas_id, "application_id": app_id, "box": where["box"] if where else None,
                        "location": where, "location_line": location_line(where) if where else ""})
        return out

    def berkas(self, berkas_id: int) -> dict | None:
        """One berkas as plain values (the NIK only masked, as the index holds it); None: no such row."""
        if berkas_id > MAX_ID:
            return None
        with db.session(self.ws) as session:
            row = session.get(Berkas, berkas_id)
            if row is None:
                return None
            location = _location_of(session, row.id)
            files = session.scalars(select(ArchiveFile).where(ArchiveFile.berkas_id == row.id)
                                    .order_by(ArchiveFile.id)).all()
            return {"id": row.id, "berkas_number": row.berkas_number,
                    "registration_number": row.registration_number, "application_id": row.application_id,
                    "name": row.name, "nik_masked": row.nik_masked, "workplace": row.workplace,
                    "classification": row.classification, "kurun": kurun_waktu(row.date_start, row.date_end),
                    "stage": row.stage, "active_until": row.active_until.isoformat(),
                    "inactive_until": row.inactive_until.isoformat(), "final_fate": row.final_fate,
                    "location": location, "location_line": location_line(location) if location else "",
                    "files": [{"path": f.path, "kind": f.kind, "number": f.document_number, "origin": f.origin,
                               "role": f.role, "size": f.size} for f in files]}

    # ----------------------------------------------------------------- placing

    def location_from(self, values: dict, t: dict) -> dict[str, str]:
        """The five parts, whitespace collapsed; ValueError with the words of what is wrong."""
        cleaned = {part: " ".join(str(values.get(part) or "").split()) for part in LOCATION_PARTS}
        if not all(cleaned.values()):
            raise ValueError(t["archive_place_required"])
        if any(len(v) > PART_CHARS for v in cleaned.values()):
            raise ValueError(t["archive_place_too_long"].format(chars=PART_CHARS))
        return cleaned

    def record_place(self, berkas: dict, location: dict[str, str], actor: str) -> dict[str, str]:
        """Through the library (`sikro archive place`): the bag's PREMIS event names `actor`."""
        meta = place(self.ws, berkas["berkas_number"], location, agent=actor)
        return meta.location

    # ----------------------------------------------------------------- pages

    def index(self, ctx) -> Response:
        if not self.may_search(ctx.who):
            return self.console.error_page(ctx, 403)
        q = (ctx.request.query_params.get("q") or "").strip()
        t = i18n.words(ctx.lang)
        messages, hits = [], None
        if len(q) > self.max_query():
            messages.append(t["archive_query_too_long"].format(chars=self.max_query()))
            q = ""
        elif q:
            try:
                hits = self.hits(q)
            except SikroError as err:
                messages.append(i18n.error_words(err, ctx.lang))
        return self.console.page(ctx, "archive.html", 400 if messages else 200, q=q, hits=hits,
                                 messages=messages, box_href=box_href, may_manage=self.may_place(ctx.who),
                                 sees_boxes=self.book.may(ctx.who.roles, SEE_BOXES))

    def show(self, ctx, message: str | None = None, http_status: int = 200, form: dict | None = None) -> Response:
        if not self.may_search(ctx.who):
            return self.console.error_page(ctx, 403)
        berkas = self.berkas(ctx.request.path_params["berkas_id"])
        if berkas is None:
            return self.console.error_page(ctx, 404)
        placed = ctx.request.query_params.get("placed") == "1" and berkas["location"]
        t = i18n.words(ctx.lang)
        notes = [t["archive_placed"].format(where=berkas["location_line"])] if placed else []
        return self.console.page(ctx, "archive_berkas.html", http_status, berkas=berkas,
                                 messages=[message] if message else [], notes=notes,
                                 form=form or berkas["location"] or {}, parts=LOCATION_PARTS,
                                 may_place=self.may_place(ctx.who), box_href=box_href,
                                 sees_boxes=self.book.may(ctx.who.roles, SEE_BOXES),
                                 switch_path=f"/archive/berkas/{berkas['id']}")

    def place(self, ctx) -> Response:
        berkas = self.berkas(ctx.request.path_params["berkas_id"])
        if berkas is None:
            return self.console.error_page(ctx, 404)
        form = {part: ctx.field(part) for part in LOCATION_PARTS}
        try:
            location = self.location_from(form, i18n.words(ctx.lang))
            self.record_place(berkas, location, ctx.who.username)
        except ValueError as err:
            return self.show(ctx, str(err), 400, form)
        except SikroError as err:
            return self.show(ctx, i18n.error_words(err, ctx.lang), 409, form)
        return RedirectResponse(f"/archive/berkas/{berkas['id']}?placed=1", status_code=303)

    # ----------------------------------------------------------------- labels, due lists

    def labels(self, ctx) -> Response:
        box = " ".join((ctx.request.query_params.get("box") or "").split())[:PART_CHARS]
        t = i18n.words(ctx.lang)
        try:
            body = made_by_library(lambda path: write_labels(self.ws, box, path, note=None), ".pdf")
        except SikroError:  # a box that holds nothing (or no box given)
            return self.console.error_page(ctx, 404, t["archive_labels_empty"].format(box=box))
        name = "".join(c if c.isalnum() else "-" for c in box)
        return Response(body, media_type="application/pdf",
                        headers={"content-disposition": f'attachment; filename="label-boks-{name}.pdf"'})

    def due_list(self, on: dt.date) -> list[dict]:
        """The library's due items, each with its berkas row id (for the link to its page)."""
        items = due_items(self.ws, on)
        with db.session(self.ws) as session:
            rows = session.execute(select(Berkas.berkas_number, Berkas.id).where(
                Berkas.berkas_number.in_([i.berkas_number for i in items]))).all() if items else []
        ids = {number: berkas_id for number, berkas_id in rows}
        return [{"id": ids.get(i.berkas_number), "berkas_number": i.berkas_number,
                 "registration_number": i.registration_number, "action": i.action, "what": i.what,
                 "since": i.since} for i in items]

    def due(self, ctx) -> Response:
        on = _day(ctx.request.query_params.get("on")) or clock.today(self.ws.profile)
        return self.console.page(ctx, "archive_due.html", on=on, items=self.due_list(on), lists=LISTS)

    def list_download(self, ctx) -> Response:
        name = ctx.request.path_params["name"]
        if name not in LISTS:
            return self.console.error_page(ctx, 404)
        on = _day(ctx.request.query_params.get("on")) or clock.today(self.ws.profile)
        body = made_by_library(lambda path: export_list(self.ws, name, path, on=on), ".xlsx")
        return Response(body, media_type=XLSX,
                        headers={"content-disposition": f'attachment; filename="{name}-{on.isoformat()}.xlsx"'})

    # ----------------------------------------------------------------- API

    def api_due(self, call: ApiCall) -> dict:
        text = call.query.get("on")
        on = _day(text)
        if text and on is None:
            raise ApiRefusal(400, "date-invalid")
        on = on or clock.today(self.ws.profile)
        return {"on": on.isoformat(), "due": [{**i, "since": i["since"].isoformat()} for i in self.due_list(on)]}

    def api_search(self, call: ApiCall) -> dict:
        if not self.may_search(call.who):
            raise ApiRefusal(403, "forbidden")
        q = (call.query.get("q") or "").strip()
        if not q:
            raise ApiRefusal(400, "query-required")
        if len(q) > self.max_query():
            raise ApiRefusal(400, "query-too-long", max_chars=self.max_query())
        return {"query": q, "hits": self.hits(q)}

    def api_berkas(self, call: ApiCall) -> dict:
        if not self.may_search(call.who):
            raise ApiRefusal(403, "forbidden")
        berkas = self.berkas(call.path["berkas_id"])
        if berkas is None:
            raise ApiRefusal(404, "berkas-not-found")
        return berkas

    def api_show(self, call: ApiCall) -> dict:
        return self.api_berkas(call)

    def api_place(self, call: ApiCall) -> dict:
        berkas = self.api_berkas(call)
        try:
            location = self.location_from(call.body, i18n.words("en"))
        except ValueError as err:
            raise ApiRefusal(400, "location-invalid", detail=str(err)) from None
        self.record_place(berkas, location, call.who.username)
        return self.berkas(berkas["id"])
