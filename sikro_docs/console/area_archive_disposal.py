"""The archive's two-person pemusnahan: one person proposes the disposal of berkas, another approves it.

    GET  /archive/disposal                        the open proposals (approve / reject forms for
                                                  archive.approve) and the berkas due for destruction not
                                                  yet proposed (the propose form, archive.manage); the
                                                  last decided proposals
    POST /archive/disposal                        propose: berkas (several), reason, decision number
                                                  (optional) -> archive.proposals.propose (archive.manage)
    POST /archive/disposal/{id}/approve           approve and carry it out -> archive.proposals.approve
                                                  (archive.approve; never the proposer: 409, one line)
    POST /archive/disposal/{id}/reject            reject with a reason -> archive.proposals.reject
    GET  /api/v1/archive/disposal                 {"open": [...], "due": [...]}
    POST /api/v1/archive/disposal                 {"berkas": [...], "reason", "decision_number"?}
    POST /api/v1/archive/disposal/{id}/approve    {"decision_number"?}
    POST /api/v1/archive/disposal/{id}/reject     {"reason"}

Every change goes through the library the CLI uses (`sikro archive dispose propose|approve|reject`),
with the signed-in user as the proposer, approver or rejecter: the berkas's PREMIS events and
the office's event log carry both names.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from .. import clock, db
from ..accounts.roles import APPROVE_RETENTION, MANAGE_ARCHIVE
from ..archive import due_items, proposals
from ..archive.tables import Berkas
from ..errors import SikroError
from . import i18n
from .area import ApiCall, ApiRefusal, Area, Endpoint, MenuItem

DESTROY = "destroy"  # the due action of a berkas whose retention ended with final fate Musnah
DECIDED_SHOWN = 10  # the last decided proposals on the page
MAX_BERKAS = 500  # berkas of one proposal through the console


class ArchiveDisposalArea(Area):
    name = "archive_disposal"
    menu = [MenuItem("nav_disposal", "/archive/disposal", APPROVE_RETENTION)]
    words = {
        "id": {
            "nav_disposal": "Pemusnahan",
            "disposal_heading": "Pemusnahan arsip",
            "disposal_intro": "Pemusnahan dilakukan oleh dua orang: satu orang mengusulkan, orang lain "
                              "menyetujui. Setelah disetujui, berkas dicatat musnah dengan nama keduanya.",
            "disposal_open": "Usul pemusnahan yang menunggu persetujuan",
            "disposal_none_open": "Tidak ada usul pemusnahan yang menunggu.",
            "disposal_number": "No. usul", "disposal_proposed_by": "Diusulkan oleh",
            "disposal_proposed_at": "Tanggal usul", "disposal_reason": "Alasan",
            "disposal_decision_number": "Nomor keputusan / berita acara",
            "disposal_berkas": "Berkas", "disposal_status": "Keadaan",
            "disposal_delete_files": "File elektronik ikut dihapus",
            "disposal_delete_files_choose": "Hapus juga file elektronik (pindaian) berkas yang dipilih saat disetujui",
            "disposal_approve": "Setujui dan musnahkan", "disposal_reject": "Tolak usul",
            "disposal_reject_reason": "Alasan penolakan",
            "disposal_own": "Anda yang mengusulkan ini: persetujuan harus dari orang lain.",
            "disposal_due": "Berkas yang sudah waktunya dimusnahkan",
            "disposal_due_intro": "Menurut JRA masa retensinya habis dan nasib akhirnya musnah. Pilih berkas "
                                  "yang diusulkan, isi alasannya, lalu kirim usul.",
            "disposal_none_due": "Tidak ada berkas yang menunggu usul pemusnahan.",
            "disposal_choose": "Pilih", "disposal_since": "Jatuh tempo sejak",
            "disposal_propose": "Usulkan pemusnahan",
            "disposal_reason_hint": "Misalnya: retensi habis sesuai JRA.",
            "disposal_number_hint": "Boleh diisi nanti oleh yang menyetujui.",
            "disposal_decided": "Usul yang sudah diputuskan",
            "disposal_state_open": "Menunggu", "disposal_state_approved": "Disetujui",
            "disposal_state_rejected": "Ditolak", "disposal_decided_by": "Diputuskan oleh",
            "disposal_proposed_note": "Usul pemusnahan {id} dicatat. Orang lain yang berwenang kini dapat "
                                      "menyetujuinya.",
            "disposal_approved_note": "Usul pemusnahan {id} disetujui: {count} berkas dicatat musnah.",
            "disposal_rejected_note": "Usul pemusnahan {id} ditolak.",
            "disposal_pick_berkas": "Pilih sedikitnya satu berkas untuk diusulkan.",
            "disposal_too_many": "Paling banyak {count} berkas dalam satu usul.",
            "disposal_no_right": "Anda tidak berwenang mengusulkan pemusnahan.",
            "disposal_link": "Pemusnahan (usul dan persetujuan)",
        },
        "en": {
            "nav_disposal": "Disposal",
            "disposal_heading": "Disposal of records (pemusnahan)",
            "disposal_intro": "A disposal takes two people: one proposes, another approves. Once approved, the "
                              "berkas are recorded as destroyed with both names.",
            "disposal_open": "Disposal proposals awaiting approval",
            "disposal_none_open": "No disposal proposal is waiting.",
            "disposal_number": "Proposal no.", "disposal_proposed_by": "Proposed by",
            "disposal_proposed_at": "Proposed on", "disposal_reason": "Reason",
            "disposal_decision_number": "Decision / berita acara number",
            "disposal_berkas": "Berkas", "disposal_status": "Status",
            "disposal_delete_files": "Electronic files are deleted too",
            "disposal_delete_files_choose": "Also delete the chosen berkas's electronic files (scans) when approved",
            "disposal_approve": "Approve and dispose", "disposal_reject": "Reject the proposal",
            "disposal_reject_reason": "Reason for rejecting",
            "disposal_own": "You proposed this: another person must approve it.",
            "disposal_due": "Berkas due for destruction",
            "disposal_due_intro": "Their JRA retention has ended and their final fate is destruction. Choose the "
                                  "berkas to propose, give the reason, and send the proposal.",
            "disposal_none_due": "No berkas is waiting for a disposal proposal.",
            "disposal_choose": "Choose", "disposal_since": "Due since",
            "disposal_propose": "Propose the disposal",
            "disposal_reason_hint": "For example: retention ended as the JRA says.",
            "disposal_number_hint": "May be given later by the approver.",
            "disposal_decided": "Decided proposals",
            "disposal_state_open": "Waiting", "disposal_state_approved": "Approved",
            "disposal_state_rejected": "Rejected", "disposal_decided_by": "Decided by",
            "disposal_proposed_note": "Disposal proposal {id} recorded. Another authorised person can now "
                                      "approve it.",
            "disposal_approved_note": "Disposal proposal {id} approved: {count} berkas recorded as destroyed.",
            "disposal_rejected_note": "Disposal proposal {id} rejected.",
            "disposal_pick_berkas": "Choose at least one berkas to propose.",
            "disposal_too_many": "At most {count} berkas in one proposal.",
            "disposal_no_right": "You may not propose a disposal.",
            "disposal_link": "Disposal (proposals and approval)",
        },
    }
    errors = {
        "id": {
            "disposal-self-approval": "Anda sendiri ({by}) yang mengusulkan pemusnahan {proposal}: pemusnahan "
                                      "harus disetujui orang lain.",
            "disposal-reason-required": "Isi alasannya.",
            "disposal-nothing-proposed": "Pilih sedikitnya satu berkas untuk diusulkan.",
            "disposal-refused": "Tidak dapat diusulkan: {detail}",
            "disposal-already-proposed": "Berkas {berkas} sudah ada dalam usul pemusnahan {proposal} yang belum "
                                         "diputuskan.",
            "disposal-proposal-not-found": "Tidak ada usul pemusnahan {proposal}.",
            "disposal-proposal-closed": "Usul pemusnahan {proposal} sudah diputuskan ({verdict}) oleh {by}.",
            "disposal-decision-number-required": "Usul pemusnahan {proposal} belum bernomor keputusan: isi nomor "
                                                 "keputusan atau berita acara pemusnahan.",
            "disposal-decision-number-differs": "Usul pemusnahan {proposal} memakai nomor keputusan "
                                                "{decision_number}, bukan {given}.",
            "disposal-not-carried-out": "Usul pemusnahan {proposal} tidak dapat dilaksanakan sekarang: {detail}. "
                                        "Tidak ada yang dicatat.",
        },
        "en": {
            "disposal-self-approval": "You ({by}) proposed disposal {proposal}: a disposal must be approved by "
                                      "another person.",
            "disposal-reason-required": "Give the reason.",
            "disposal-nothing-proposed": "Choose at least one berkas to propose.",
            "disposal-refused": "Cannot be proposed: {detail}",
            "disposal-already-proposed": "Berkas {berkas} is already in open disposal proposal {proposal}.",
            "disposal-proposal-not-found": "No disposal proposal {proposal}.",
            "disposal-proposal-closed": "Disposal proposal {proposal} was already decided ({verdict}) by {by}.",
            "disposal-decision-number-required": "Disposal proposal {proposal} has no decision number yet: give the "
                                                 "number of the decision or of the berita acara.",
            "disposal-decision-number-differs": "Disposal proposal {proposal} is under decision {decision_number}, "
                                                "not {given}.",
            "disposal-not-carried-out": "Disposal proposal {proposal} cannot be carried out now: {detail}. "
                                        "Nothing was recorded.",
        },
    }

    def pages(self):
        return [self.page("/archive/disposal", self.index, None),
                self.page("/archive/disposal", self.propose, MANAGE_ARCHIVE, methods=("POST",)),
                self.page("/archive/disposal/{proposal_id:int}/approve", self.approve, APPROVE_RETENTION,
                          methods=("POST",)),
                self.page("/archive/disposal/{proposal_id:int}/reject", self.reject, APPROVE_RETENTION,
                          methods=("POST",))]

    def endpoints(self):
        number = {"type": "string", "maxLength": 120}
        return [Endpoint("GET", "/api/v1/archive/disposal", self.api_index, None,
                         "Open disposal proposals and the berkas due for destruction not yet proposed"),
                Endpoint("POST", "/api/v1/archive/disposal", self.api_propose, MANAGE_ARCHIVE,
                         "Propose the disposal of berkas (by registration, berkas or document number)",
                         body={"type": "object", "required": ["berkas", "reason"],
                               "properties": {"berkas": {"type": "array", "items": {"type": "string"},
                                                         "maxItems": MAX_BERKAS},
                                              "reason": {"type": "string"}, "decision_number": number,
                                              "delete_files": {"type": "boolean"}}}),
                Endpoint("POST", "/api/v1/archive/disposal/{proposal_id:int}/approve", self.api_approve,
                         APPROVE_RETENTION, "Approve a disposal proposal (not one's own) and carry it out",
                         body={"type": "object", "properties": {"decision_number": number}}),
                Endpoint("POST", "/api/v1/archive/disposal/{proposal_id:int}/reject", self.api_reject,
                         APPROVE_RETENTION, "Reject a disposal proposal with a reason",
                         body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}})]

    # ----------------------------------------------------------------- who may, what is there

    def may_see(self, who) -> bool:
        return self.book.may(who.roles, MANAGE_ARCHIVE) or self.book.may(who.roles, APPROVE_RETENTION)

    def due(self) -> list[dict]:
        """Berkas due for destruction today and in no open proposal, each with its row id."""
        taken = {b["berkas_number"] for p in proposals.open_proposals(self.ws) for b in p.berkas}
        items = [i for i in due_items(self.ws, clock.today(self.ws.profile))
                 if i.action == DESTROY and i.berkas_number not in taken]
        with db.session(self.ws) as session:
            rows = dict(session.execute(select(Berkas.berkas_number, Berkas.id).where(
                Berkas.berkas_number.in_([i.berkas_number for i in items]))).all()) if items else {}
        return [{"id": rows.get(i.berkas_number), "berkas_number": i.berkas_number,
                 "registration_number": i.registration_number, "since": i.since} for i in items]

    # ----------------------------------------------------------------- pages

    def index(self, ctx, messages: list[str] | None = None, http_status: int = 200, form: dict | None = None,
              notes: list[str] | None = None) -> Response:
        if not self.may_see(ctx.who):
            return self.console.error_page(ctx, 403)
        found = proposals.list_proposals(self.ws)
        open_ones = [p for p in found if p.status == proposals.OPEN]
        decided = [p for p in reversed(found) if p.status != proposals.OPEN][:DECIDED_SHOWN]
        return self.console.page(
            ctx, "archive_disposal.html", http_status, open_proposals=open_ones, decided=decided,
            due=self.due(), messages=messages or [], notes=notes if notes is not None else self.notes(ctx),
            form=form or {}, may_propose=self.book.may(ctx.who.roles, MANAGE_ARCHIVE),
            may_approve=self.book.may(ctx.who.roles, APPROVE_RETENTION),
            me=ctx.who.username, same=proposals.same_person, switch_path="/archive/disposal")

    def notes(self, ctx) -> list[str]:
        """The line a finished action redirects with (?proposed=ID, ?approved=ID&count=N, ?rejected=ID)."""
        t, query = i18n.words(ctx.lang), ctx.request.query_params
        for key in ("proposed", "approved", "rejected"):
            value = query.get(key, "")
            if value.isdigit():
                count = query.get("count", "")
                return [t[f"disposal_{key}_note"].format(id=int(value), count=int(count) if count.isdigit() else 0)]
        return []

    def refused(self, ctx, err: SikroError, form: dict | None = None) -> Response:
        return self.index(ctx, [i18n.error_words(err, ctx.lang)], 409, form, notes=[])

    def propose(self, ctx) -> Response:
        t = i18n.words(ctx.lang)
        chosen = ctx.fields("berkas")
        form = {"berkas": chosen, "reason": ctx.field("reason"), "decision_number": ctx.field("decision_number"),
                "delete_files": ctx.field("delete_files") == "1"}
        if not chosen:
            return self.index(ctx, [t["disposal_pick_berkas"]], 400, form, notes=[])
        if len(chosen) > MAX_BERKAS:
            return self.index(ctx, [t["disposal_too_many"].format(count=MAX_BERKAS)], 400, form, notes=[])
        try:
            proposal_id = proposals.propose(self.ws, chosen, form["reason"], form["decision_number"] or None,
                                            by=ctx.who.username, delete_files=form["delete_files"])
        except SikroError as err:
            return self.refused(ctx, err, form)
        return RedirectResponse(f"/archive/disposal?proposed={proposal_id}", status_code=303)

    def approve(self, ctx) -> Response:
        proposal_id = ctx.request.path_params["proposal_id"]
        try:
            outcomes = proposals.approve(self.ws, proposal_id, by=ctx.who.username,
                                         decision_number=ctx.field("decision_number") or None)
        except SikroError as err:
            return self.refused(ctx, err)
        done = sum(1 for o in outcomes if o.status in ("done", "already"))
        return RedirectResponse(f"/archive/disposal?approved={proposal_id}&count={done}", status_code=303)

    def reject(self, ctx) -> Response:
        proposal_id = ctx.request.path_params["proposal_id"]
        try:
            proposals.reject(self.ws, proposal_id, by=ctx.who.username, reason=ctx.field("reason"))
        except SikroError as err:
            return self.refused(ctx, err)
        return RedirectResponse(f"/archive/disposal?rejected={proposal_id}", status_code=303)

    # ----------------------------------------------------------------- API

    def api_index(self, call: ApiCall) -> dict:
        if not self.may_see(call.who):
            raise ApiRefusal(403, "forbidden")
        return {"open": [p.as_json() for p in proposals.open_proposals(self.ws)],
                "due": [{**d, "since": d["since"].isoformat()} for d in self.due()]}

    @staticmethod
    def _body(call: ApiCall) -> dict:
        if not isinstance(call.body, dict):
            raise ApiRefusal(400, "body-invalid")
        return call.body

    def api_propose(self, call: ApiCall) -> dict:
        body = self._body(call)
        berkas, reason, number = body.get("berkas"), body.get("reason"), body.get("decision_number")
        if not isinstance(berkas, list) or not berkas or len(berkas) > MAX_BERKAS \
                or not all(isinstance(b, str) for b in berkas):
            raise ApiRefusal(400, "berkas-invalid", max_items=MAX_BERKAS)
        delete_files = body.get("delete_files", False)
        if not isinstance(reason, str) or (number is not None and not isinstance(number, str)) \
                or not isinstance(delete_files, bool):
            raise ApiRefusal(400, "body-invalid")
        proposal_id = proposals.propose(self.ws, berkas, reason, number, by=call.who.username,
                                        delete_files=delete_files)
        return proposals.proposal(self.ws, proposal_id).as_json()

    def api_approve(self, call: ApiCall) -> dict:
        body = call.body if isinstance(call.body, dict) else {}
        number = body.get("decision_number")
        if number is not None and not isinstance(number, str):
            raise ApiRefusal(400, "body-invalid")
        outcomes = proposals.approve(self.ws, call.path["proposal_id"], by=call.who.username, decision_number=number)
        return {"proposal": proposals.proposal(self.ws, call.path["proposal_id"]).as_json(),
                "berkas": [o.as_json() for o in outcomes]}

    def api_reject(self, call: ApiCall) -> dict:
        reason = self._body(call).get("reason")
        if not isinstance(reason, str):
            raise ApiRefusal(400, "body-invalid")
        return proposals.reject(self.ws, call.path["proposal_id"], by=call.who.username, reason=reason).as_json()
