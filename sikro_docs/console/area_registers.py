"""The registers area: the office's books of numbers, their entries, and voiding a number.

    GET  /registers                         the registers with their counts
    GET  /registers/{name}?q=&year=&page=   its entries, newest first, paginated (LIMIT/OFFSET), searched
                                            by number (a part works), applicant's name, registration number
    GET  /registers/{name}/export.xlsx      the register as a workbook (formula-safe: excel_safe)
    GET  /registers/{name}/verify           its hash chain: "verified" or the first broken entry
    POST /registers/{name}/{entry}/void     void an entry with a reason (registers.void), numbering.void
    GET  /dispatch                          the Buku Ekspedisi (newest first) and the hand-over form
    POST /dispatch                          record a hand-over with the receiver's name (registers.dispatch
                                            or a role that records a hand-over step of the SOP), record_dispatch
    POST /api/v1/dispatch                   {"ref", "to", "received_by"}
    GET  /api/v1/registers                  the registers as JSON
    GET  /api/v1/registers/{name}?q=&year=&page=   one page of entries as JSON
    POST /api/v1/registers/{name}/{entry}/void     {"reason": "..."}

`entry` is the entry's row id (a number holds "/" and so is no path segment).
A voided number keeps its line with its reason: it is never given again nor skipped.
"""

from __future__ import annotations

import io

from sqlalchemy import func, or_, select
from starlette.responses import RedirectResponse, Response

from .. import db, excel_safe, numbering
from ..accounts.roles import RECORD_DISPATCH, VIEW_REGISTERS, VOID_NUMBERS
from ..errors import SikroError
from ..models import Application
from . import i18n
from .area import ApiCall, ApiRefusal, Area, Endpoint, MenuItem

PAGE_SIZE = 50
MAX_QUERY = 120
MAX_PAGE = 10**6


def _int(text: str | None, default: int | None, low: int, high: int) -> int | None:
    try:
        value = int(text or "")
    except ValueError:
        return default
    return value if low <= value <= high else default


class RegistersArea(Area):
    name = "registers"
    menu = [MenuItem("nav_registers", "/registers", VIEW_REGISTERS)]
    # The library's refusals (numbering/refusals.py) in Bahasa Indonesia; English is the library's own.
    errors = {
        "id": {
            "register.reason-required": "Isi alasan pembatalannya.",
            "register.no-number": "Register {register} tidak mempunyai nomor {number}.",
            "register.already-void": "Nomor {number} register {register} sudah dibatalkan ({reason}).",
            "register.number-pending": ("Nomor {number} sedang diterbitkan oleh proses yang berjalan: batalkan "
                                        "sesudah proses itu selesai."),
            "dispatch.nothing-to-deliver": "Permohonan {ref} belum mempunyai {titles} yang terbit untuk diserahkan.",
            "dispatch.ambiguous": "{ref} menunjuk lebih dari satu dokumen: ketik nomor salah satu dokumen.",
            "dispatch.not-deliverable": "Dokumen {ref} berstatus {status}: tidak dapat diserahkan.",
            "dispatch.unknown": "Tidak ada dokumen atau permohonan bernomor {ref}.",
            "dispatch.needs-names": "Isi kepada siapa dokumen diserahkan dan nama penerima yang menandatangani.",
        },
    }
    words = {
        "id": {
            "nav_registers": "Buku Register",
            "registers_heading": "Buku register kantor",
            "registers_intro": "Buku penomoran kantor: register izin per jenis, agenda surat, dan lainnya.",
            "registers_name": "Register", "registers_title": "Judul", "registers_count": "Jumlah nomor",
            "registers_void_count": "Batal",
            "register_heading": "Register: {name}",
            "register_search": "Cari (nomor, nama, nomor registrasi)", "register_year": "Tahun",
            "register_all_years": "Semua tahun", "register_find": "Cari",
            "register_number": "Nomor", "register_date": "Tanggal", "register_subject": "Perihal",
            "register_applicant": "Pemohon", "register_registration": "No. registrasi",
            "register_status": "Keadaan", "register_reason": "Alasan batal",
            "register_state_used": "Terbit", "register_state_void": "BATAL", "register_state_pending": "Menunggu",
            "register_empty": "Tidak ada nomor yang cocok.",
            "register_page_of": "Halaman {page} dari {pages} ({total} nomor)",
            "register_prev": "Sebelumnya", "register_next": "Berikutnya",
            "register_void": "Batalkan nomor", "register_void_reason": "Alasan pembatalan",
            "register_reason_required": "Alasan pembatalan wajib diisi.",
            "register_export": "Unduh Excel", "register_verify": "Periksa rantai hash",
            "register_verified": "Terverifikasi: rantai hash register ini utuh.",
            "register_broken": "Rantai rusak. Masalah pertama:",
            "dispatch_heading": "Buku Ekspedisi", "dispatch_ref": "Nomor surat atau nomor registrasi",
            "dispatch_to": "Ditujukan kepada", "dispatch_received_by": "Nama penerima",
            "dispatch_record": "Catat serah terima", "dispatch_no": "No", "dispatch_at": "Tgl pengiriman",
            "dispatch_number": "No. surat", "dispatch_empty": "Belum ada serah terima.",
            "dispatch_required": "Nomor, tujuan dan nama penerima wajib diisi.",
        },
        "en": {
            "nav_registers": "Registers",
            "registers_heading": "The office's registers",
            "registers_intro": "The office's numbering books: the permit registers per type, the letters' agenda "
                               "and the others.",
            "registers_name": "Register", "registers_title": "Title", "registers_count": "Numbers",
            "registers_void_count": "Void",
            "register_heading": "Register: {name}",
            "register_search": "Search (number, name, registration number)", "register_year": "Year",
            "register_all_years": "All years", "register_find": "Search",
            "register_number": "Number", "register_date": "Date", "register_subject": "Subject",
            "register_applicant": "Applicant", "register_registration": "Registration no.",
            "register_status": "Status", "register_reason": "Reason voided",
            "register_state_used": "Issued", "register_state_void": "VOID", "register_state_pending": "Pending",
            "register_empty": "No number matches.",
            "register_page_of": "Page {page} of {pages} ({total} numbers)",
            "register_prev": "Previous", "register_next": "Next",
            "register_void": "Void the number", "register_void_reason": "Reason for voiding",
            "register_reason_required": "A reason is required to void a number.",
            "register_export": "Download Excel", "register_verify": "Check the hash chain",
            "register_verified": "Verified: this register's hash chain is intact.",
            "register_broken": "The chain is broken. First problem:",
            "dispatch_heading": "Buku Ekspedisi (dispatch book)", "dispatch_ref": "Letter or registration number",
            "dispatch_to": "Addressed to", "dispatch_received_by": "Receiver's name",
            "dispatch_record": "Record the hand-over", "dispatch_no": "No", "dispatch_at": "Delivered",
            "dispatch_number": "Letter no.", "dispatch_empty": "No hand-over yet.",
            "dispatch_required": "The number, the addressee and the receiver's name are required.",
        },
    }

    def pages(self):
        return [self.page("/registers", self.index, VIEW_REGISTERS),
                self.page("/registers/{name}", self.show, VIEW_REGISTERS),
                self.page("/registers/{name}/export.xlsx", self.export, VIEW_REGISTERS),
                self.page("/registers/{name}/verify", self.verify, VIEW_REGISTERS),
                self.page("/dispatch", self.dispatch_page, None),
                self.page("/dispatch", self.dispatch, None, methods=("POST",)),
                self.page("/registers/{name}/{entry:int}/void", self.void, VOID_NUMBERS, methods=("POST",))]

    def endpoints(self):
        return [Endpoint("GET", "/api/v1/registers", self.api_index, VIEW_REGISTERS, "The registers with counts"),
                Endpoint("GET", "/api/v1/registers/{name}", self.api_show, VIEW_REGISTERS,
                         "One page of a register's entries, newest first (?q=&year=&page=)"),
                Endpoint("POST", "/api/v1/registers/{name}/{entry:int}/void", self.api_void, VOID_NUMBERS,
                         "Void an entry of a register, with a reason",
                         body={"type": "object", "required": ["reason"],
                               "properties": {"reason": {"type": "string"}}}),
                Endpoint("POST", "/api/v1/dispatch", self.api_dispatch, None,
                         "Record a hand-over in the Buku Ekspedisi",
                         body={"type": "object", "required": ["ref", "to", "received_by"],
                               "properties": {"ref": {"type": "string"}, "to": {"type": "string"},
                                              "received_by": {"type": "string"}}})]

    # ----------------------------------------------------------------- reading

    def registers(self) -> list[dict]:
        """Every register with its title and counts (one grouped query)."""
        with db.session(self.ws) as session:
            counts = {(r, s): n for r, s, n in session.execute(
                select(numbering.RegisterEntry.register, numbering.RegisterEntry.status, func.count())
                .group_by(numbering.RegisterEntry.register, numbering.RegisterEntry.status))}
        out = []
        for name, settings in numbering.all_registers(self.ws).items():
            total = sum(n for (r, _s), n in counts.items() if r == name)
            out.append({"name": name, "title": settings.get("title", ""), "count": total,
                        "void": counts.get((name, "void"), 0)})
        return out

    def known(self, name: str) -> bool:
        return name in numbering.all_registers(self.ws)

    def entries(self, name: str, q: str, year: int | None, page: int) -> dict:
        """One page of the register's entries, newest first, matching `q` (number, name, registration)."""
        entry, app = numbering.RegisterEntry, Application
        own = [entry.register == name] + ([entry.year == year] if year is not None else [])
        query = select(entry, app).outerjoin(app, app.id == entry.application_id).where(*own)
        # Without a search the count needs no applicant: the register's own index answers it (four
        # times faster at 100,000 numbers than counting the join).
        counted = select(func.count()).select_from(entry).where(*own)
        if q:
            like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(or_(entry.number.ilike(like, escape="\\"), app.name.ilike(like, escape="\\"),
                                    app.registration_number.ilike(like, escape="\\"),
                                    entry.subject.ilike(like, escape="\\")))
            counted = select(func.count()).select_from(query.subquery())
        with db.session(self.ws) as session:
            total = session.scalar(counted)
            rows = session.execute(query.order_by(entry.year.desc(), entry.seq.desc())
                                   .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
            years = sorted(session.scalars(select(entry.year).where(entry.register == name).distinct()),
                           reverse=True)
            lines = [{"id": e.id, "number": e.number, "year": e.year, "seq": e.seq, "date": e.date.isoformat(),
                      "status": e.status, "reason": e.reason, "subject": e.subject, "kind": e.kind,
                      "applicant": a.name if a else "", "registration": a.registration_number if a else ""}
                     for e, a in rows]
        pages = max(1, -(-total // PAGE_SIZE))
        return {"register": name, "total": total, "page": page, "pages": pages, "entries": lines, "years": years}

    def params(self, query) -> tuple[str, int | None, int]:
        q = (query.get("q") or "").strip()[:MAX_QUERY]
        return q, _int(query.get("year"), None, 1900, 9999), _int(query.get("page"), 1, 1, MAX_PAGE)

    # ----------------------------------------------------------------- pages

    def index(self, ctx) -> Response:
        return self.console.page(ctx, "registers.html", registers=self.registers())

    def show(self, ctx, message: str | None = None, http_status: int = 200) -> Response:
        name = ctx.request.path_params["name"]
        if not self.known(name):
            return self.console.error_page(ctx, 404)
        q, year, page = self.params(ctx.request.query_params)
        listing = self.entries(name, q, year, page)
        may_void = self.book.may(ctx.who.roles, VOID_NUMBERS)
        return self.console.page(ctx, "registers_show.html", http_status, listing=listing, q=q, year=year,
                                 may_void=may_void, messages=[message] if message else [],
                                 switch_path=f"/registers/{name}")

    def void(self, ctx) -> Response:
        name, entry_id = ctx.request.path_params["name"], ctx.request.path_params["entry"]
        if not self.known(name):
            return self.console.error_page(ctx, 404)
        reason = ctx.field("reason")
        t = i18n.words(ctx.lang)
        if not reason:
            return self.show(ctx, t["register_reason_required"], 400)
        try:
            self.void_entry(name, entry_id, reason, ctx.who.username)
        except LookupError:
            return self.console.error_page(ctx, 404)
        except SikroError as err:
            return self.show(ctx, i18n.error_words(err, ctx.lang), 409)
        return RedirectResponse(f"/registers/{name}", status_code=303)

    def void_entry(self, name: str, entry_id: int, reason: str, actor: str) -> dict:
        """Void through the numbering library (its log, its event, with the user)."""
        with db.session(self.ws, write=True) as session:
            entry = session.get(numbering.RegisterEntry, entry_id)
            if entry is None or entry.register != name:
                raise LookupError(entry_id)
            voided = numbering.void(session, self.ws, name, entry.number, reason, actor=actor)
            return {"id": voided.id, "number": voided.number, "status": voided.status, "reason": voided.reason}

    def export(self, ctx) -> Response:
        name = ctx.request.path_params["name"]
        if not self.known(name):
            return self.console.error_page(ctx, 404)
        _q, year, _page = self.params(ctx.request.query_params)
        body = self.workbook(name, year)
        return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"content-disposition": f'attachment; filename="register-{name}.xlsx"'})

    def workbook(self, name: str, year: int | None) -> bytes:
        """Every entry, oldest first, streamed from the database in batches (write-only workbook)."""
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(name[:31])
        excel_safe.write_row(sheet, ["Tahun", "No. urut", "Nomor", "Tanggal", "Keadaan", "Alasan batal",
                                     "Perihal", "Pemohon", "No. registrasi"])
        entry, app = numbering.RegisterEntry, Application
        query = (select(entry, app).outerjoin(app, app.id == entry.application_id).where(entry.register == name)
                 .order_by(entry.year, entry.seq).execution_options(yield_per=1000))
        if year is not None:
            query = query.where(entry.year == year)
        with db.session(self.ws) as session:
            for e, a in session.execute(query):
                excel_safe.write_row(sheet, [e.year, e.seq, e.number, e.date.isoformat(), e.status,
                                             e.reason or "", e.subject, a.name if a else "",
                                             a.registration_number if a else ""])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def chain_state(self, name: str) -> list[str]:
        """The register's own problems of the library's verification (empty: verified)."""
        with db.session(self.ws, write=True) as session:  # an intact chain moves the head up (a write)
            problems = numbering.verify_registers(session, self.ws)
        return [p for p in problems if p.startswith(f"{name} ") or f"register {name} " in p]

    def verify(self, ctx) -> Response:
        name = ctx.request.path_params["name"]
        if not self.known(name):
            return self.console.error_page(ctx, 404)
        return self.console.page(ctx, "registers_verify.html", register=name, problems=self.chain_state(name))

    # ----------------------------------------------------------------- Buku Ekspedisi

    def may_dispatch(self, who) -> bool:
        """registers.dispatch, or a role that records a step the SOP data marks as a hand-over (`dispatch`)."""
        return self.book.may(who.roles, RECORD_DISPATCH) or any(
            step.dispatch and self.book.may_record(who.roles, number) for number, step in self.book.sop.steps.items())

    def may_see_dispatches(self, who) -> bool:
        return self.book.may(who.roles, VIEW_REGISTERS) or self.may_dispatch(who)

    def dispatches(self) -> list[dict]:
        with db.session(self.ws) as session:
            rows = session.scalars(select(numbering.Dispatch).order_by(numbering.Dispatch.id.desc())
                                   .limit(PAGE_SIZE)).all()
            return [row.data for row in rows]

    def dispatch_page(self, ctx, message: str | None = None, http_status: int = 200) -> Response:
        if not self.may_see_dispatches(ctx.who):
            return self.console.error_page(ctx, 403)
        return self.console.page(ctx, "registers_dispatch.html", http_status, dispatches=self.dispatches(),
                                 may_dispatch=self.may_dispatch(ctx.who), messages=[message] if message else [],
                                 form={k: ctx.field(k) for k in ("ref", "to", "received_by")})

    def record(self, ref: str, to: str, received_by: str, actor: str) -> dict:
        with db.session(self.ws, write=True) as session:
            row = numbering.record_dispatch(session, self.ws, ref, to=to, received_by=received_by, actor=actor)
            return row.data

    def dispatch(self, ctx) -> Response:
        if not self.may_dispatch(ctx.who):
            return self.console.error_page(ctx, 403)
        ref, to, received_by = ctx.field("ref"), ctx.field("to"), ctx.field("received_by")
        if not (ref and to and received_by):
            return self.dispatch_page(ctx, i18n.words(ctx.lang)["dispatch_required"], 400)
        try:
            self.record(ref, to, received_by, ctx.who.username)
        except SikroError as err:
            return self.dispatch_page(ctx, i18n.error_words(err, ctx.lang), 409)
        return RedirectResponse("/dispatch", status_code=303)

    def api_dispatch(self, call: ApiCall) -> dict:
        if not self.may_dispatch(call.who):
            raise ApiRefusal(403, "forbidden")
        ref, to, received_by = (str(call.body.get(k) or "").strip() for k in ("ref", "to", "received_by"))
        if not (ref and to and received_by):
            raise ApiRefusal(400, "ref-to-received-by-required")
        return self.record(ref, to, received_by, call.who.username)

    # ----------------------------------------------------------------- API

    def api_index(self, call: ApiCall) -> list:
        return self.registers()

    def api_show(self, call: ApiCall) -> dict:
        name = call.path["name"]
        if not self.known(name):
            raise ApiRefusal(404, "register-not-found")
        q, year, page = self.params(call.query)
        return self.entries(name, q, year, page)

    def api_void(self, call: ApiCall) -> dict:
        name = call.path["name"]
        if not self.known(name):
            raise ApiRefusal(404, "register-not-found")
        reason = str(call.body.get("reason") or "").strip()  # api.py: a POST's body is an object
        if not reason:
            raise ApiRefusal(400, "reason-required")
        try:
            return self.void_entry(name, call.path["entry"], reason, call.who.username)
        except LookupError:
            raise ApiRefusal(404, "entry-not-found") from None
