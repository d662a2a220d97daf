"""The intake area's single application: entered or corrected in a form, checked by the same rules
as a workbook row, registered through the same library path as an import (intake_form.py).

    GET  /intake/new                       choose the permit type
    GET  /intake/new/{type}                the form the type's data makes (shared columns, its own fields,
                                           the application kind and previous permit, the checklist)
    POST /intake/new/{type}                check and register; 303 to /applications/{id}; else the form
                                           again (400), each problem at its field, the values kept
    GET  /applications/{id}/edit           the same form with the stored values (the NIK never shown:
                                           blank keeps it)
    POST /applications/{id}/edit           the registry's update (an event "updated" with the user);
                                           409 once a permit was issued on the application
    POST  /api/v1/applications             one application as a JSON record (`sikro schema --type`): 201 with
                                           its id and registration number, 422 with the problems
                                           (each: field, column, English message, code and values)
    PATCH /api/v1/applications/{id}        a correction: the keys given replace the stored values
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from .. import permit_types
from ..accounts.roles import UPLOAD_APPLICATIONS
from ..archive.berkas import mask_nik
from ..intake import json_schema
from ..models import Application
from . import i18n
from . import intake_form as forms
from .area import ApiAnswer, ApiCall, ApiRefusal, Area, Endpoint

FORM_SOURCE = {"source_file": "console form"}  # what the event log says an application came from
API_SOURCE = {"source_file": "console API"}
MAX_CODE = 40  # a permit type code is a short folder name
MAX_ID = 2**62


def _problems_json(row) -> list[dict]:
    """Each problem at its field: the English message, its code and values (a NIK masked in both)."""
    return [{"field": p.field, "column": p.column, "message": forms.masked(p.message), "code": p.code,
             "values": {k: forms.masked(v) if isinstance(v, str) else v for k, v in p.values.items()}}
            for p in row.problems]


class IntakeFormArea(Area):
    name = "intake_form"
    words = {
        "id": {
            "form_link": "Isi formulir satu permohonan",
            "form_choose_heading": "Permohonan baru: pilih jenis izin",
            "form_choose_intro": "Pilih jenis izin; formulirnya memuat kolom yang sama dengan buku kerja jenis itu.",
            "form_heading": "Permohonan baru {short_name}",
            "form_edit_heading": "Ubah permohonan {number}",
            "form_intro": "Isian diperiksa dengan aturan yang sama dengan baris buku kerja. Kolom bertanda * wajib.",
            "form_group_pemohon": "Permohonan dan pemohon",
            "form_group_izin": "Data izin",
            "form_group_berkas": "Kelengkapan berkas",
            "form_group_proses": "Tahap berikutnya (bila sudah ada)",
            "form_berkas_hint": "Centang berkas yang diserahkan pemohon. Berkas wajib yang tidak dicentang "
                                "membuat permohonan dikembalikan (berkas tidak lengkap).",
            "form_wajib": "wajib",
            "form_lifetime": "Seumur Hidup",
            "form_required": "wajib diisi",
            "form_nik_keep": "Kosongkan untuk tetap memakai NIK tersimpan ({masked}).",
            "form_submit": "Daftarkan permohonan",
            "form_save": "Simpan perubahan",
            "form_cancel": "Batal",
            "form_errors": "Permohonan belum didaftarkan: perbaiki isian yang ditandai.",
            "form_edit_errors": "Perubahan belum disimpan: perbaiki isian yang ditandai.",
            "form_duplicate": "Permohonan ini sudah terdaftar sebagai {number}.",
            "form_duplicate_open": "Buka permohonan itu",
            "form_issued": "Izin {number} sudah terbit untuk permohonan ini; datanya tidak dapat diubah lagi. "
                           "Ajukan permohonan Perubahan bila data izin harus berubah.",
            "form_unknown_type": "Jenis izin tidak dikenal.",
            "form_edit_link": "Ubah data permohonan",
        },
        "en": {
            "form_link": "Fill in the form for one application",
            "form_choose_heading": "New application: choose the permit type",
            "form_choose_intro": "Choose the permit type; its form has the same columns as that type's workbook.",
            "form_heading": "New {short_name} application",
            "form_edit_heading": "Correct application {number}",
            "form_intro": "The entries are checked by the same rules as a workbook row. Fields marked * are required.",
            "form_group_pemohon": "Application and applicant",
            "form_group_izin": "Permit data",
            "form_group_berkas": "Papers handed in",
            "form_group_proses": "Later stages (when known)",
            "form_berkas_hint": "Tick the papers the applicant handed in. A required paper left unticked returns "
                                "the application (incomplete file).",
            "form_wajib": "required",
            "form_lifetime": "For life (Seumur Hidup)",
            "form_required": "required",
            "form_nik_keep": "Leave blank to keep the stored NIK ({masked}).",
            "form_submit": "Register the application",
            "form_save": "Save the changes",
            "form_cancel": "Cancel",
            "form_errors": "The application was not registered: correct the marked entries.",
            "form_edit_errors": "The changes were not saved: correct the marked entries.",
            "form_duplicate": "This application is already registered as {number}.",
            "form_duplicate_open": "Open that application",
            "form_issued": "Permit {number} was issued on this application; its data can no longer be changed. "
                           "Apply for a Perubahan (change) when the permit's data must change.",
            "form_unknown_type": "Unknown permit type.",
            "form_edit_link": "Correct the application's data",
        },
    }

    def pages(self):
        return [self.page("/intake/new", self.choose, UPLOAD_APPLICATIONS),
                self.page("/intake/new/{type_code}", self.new, UPLOAD_APPLICATIONS, methods=("GET", "POST")),
                self.page("/applications/{app_id:int}/edit", self.edit, UPLOAD_APPLICATIONS, methods=("GET", "POST"))]

    def endpoints(self):
        refused = ((404, "no such application"), (409, "a permit was issued on it, or it is registered already"),
                   (422, "the record breaks intake's rules: `errors` lists each problem at its field "
                          "(its English message, a stable code and the values the message is made of)"))
        return [Endpoint("POST", "/api/v1/applications", self.api_create, UPLOAD_APPLICATIONS,
                         "Register one application (a record of the JSON input, `jenis_izin` naming its type)",
                         body=self.record_schema(), returns="its id, registration number and outcome", status=201,
                         refusals=refused[1:]),
                Endpoint("PATCH", "/api/v1/applications/{app_id:int}", self.api_correct, UPLOAD_APPLICATIONS,
                         "Correct an application: the keys given (a record's) replace the stored values",
                         body={"type": "object"}, returns="its id, registration number and outcome",
                         refusals=refused)]

    def record_schema(self) -> dict:
        types = permit_types.catalogue(self.ws)
        return {"anyOf": [json_schema(types.get(code), self.ws)["items"] for code in types.codes()]}

    # ----------------------------------------------------------------- a new application

    def types(self) -> list:
        catalogue = permit_types.catalogue(self.ws)
        return [catalogue.get(code) for code in catalogue.codes()]

    def permit_type(self, ctx):
        code = ctx.request.path_params["type_code"]
        catalogue = permit_types.catalogue(self.ws)
        if len(code) > MAX_CODE or code not in catalogue.codes():
            return None
        return catalogue.get(code)

    def choose(self, ctx) -> Response:
        return self.console.page(ctx, "intake_form_choose.html", types=self.types())

    def new(self, ctx) -> Response:
        ptype = self.permit_type(ctx)
        if ptype is None:
            return self.console.error_page(ctx, 404, i18n.words(ctx.lang)["form_unknown_type"])
        if ctx.request.method == "GET":
            return self.show_form(ctx, forms.build_form(ptype, {}))
        posted = forms.posted_values(ptype, ctx.field)
        row = forms.check(self.ws, ptype, forms.cells_of(ptype, posted))
        saved = forms.save(self.ws, row, ctx.who.username, FORM_SOURCE)
        if isinstance(saved, forms.Saved):
            return RedirectResponse(f"/applications/{saved.app_id}", status_code=303)
        return self.show_form(ctx, forms.build_form(ptype, posted, row.problems, ctx.lang), status=400,
                              duplicate=saved if isinstance(saved, forms.Duplicate) else None)

    def show_form(self, ctx, form: forms.Form, *, status: int = 200, app: Application | None = None,
                  duplicate: forms.Duplicate | None = None) -> Response:
        t = i18n.words(ctx.lang)
        if app is None:
            heading, action = t["form_heading"].format(short_name=form.permit_type.short_name), \
                f"/intake/new/{form.permit_type.code}"
        else:
            heading, action = t["form_edit_heading"].format(number=app.registration_number), \
                f"/applications/{app.id}/edit"
        return self.console.page(ctx, "intake_form.html", status, form=form, heading=heading, action=action,
                                 editing=app is not None, nik_masked=mask_nik(app.nik) if app else "",
                                 back=f"/applications/{app.id}" if app else "/intake/new", duplicate=duplicate)

    # ----------------------------------------------------------------- correcting one

    def edit(self, ctx) -> Response:
        app_id = ctx.request.path_params["app_id"]
        loaded = forms.load(self.ws, app_id) if app_id <= MAX_ID else None
        if loaded is None:
            return self.console.error_page(ctx, 404)
        app, ptype = loaded
        issued = forms.issued_permit(self.ws, app.id)
        if issued:
            return self.console.error_page(ctx, 409, i18n.words(ctx.lang)["form_issued"].format(number=issued))
        if ctx.request.method == "GET":
            return self.show_form(ctx, forms.build_form(ptype, forms.stored_values(app, ptype)), app=app)
        posted = forms.posted_values(ptype, ctx.field)
        cells = forms.cells_of(ptype, posted)
        cells["nik"] = cells.get("nik") or app.nik  # blank keeps the NIK the page never showed
        row = forms.check(self.ws, ptype, cells)
        saved = forms.save(self.ws, row, ctx.who.username, FORM_SOURCE, number=app.registration_number)
        if isinstance(saved, forms.Saved):
            return RedirectResponse(f"/applications/{app.id}", status_code=303)
        return self.show_form(ctx, forms.build_form(ptype, posted, row.problems, ctx.lang), status=400, app=app)

    # ----------------------------------------------------------------- API

    def api_create(self, call: ApiCall) -> ApiAnswer:
        row = forms.check_json(self.ws, call.body)
        saved = forms.save(self.ws, row, call.who.username, API_SOURCE)
        return ApiAnswer(201, self._saved(saved, row))

    def api_correct(self, call: ApiCall) -> dict:
        app_id = call.path["app_id"]
        loaded = forms.load(self.ws, app_id) if app_id <= MAX_ID else None
        if loaded is None:
            raise ApiRefusal(404, "application-not-found")
        app, ptype = loaded
        issued = forms.issued_permit(self.ws, app.id)
        if issued:
            raise ApiRefusal(409, "permit-issued", permit=issued)
        record = forms.stored_record(app, ptype)
        for key, value in call.body.items():
            if key == "berkas" and isinstance(value, dict):
                record["berkas"].update(value)
            else:
                record[key] = value
        row = forms.check_json(self.ws, record, ptype)
        saved = forms.save(self.ws, row, call.who.username, API_SOURCE, number=app.registration_number)
        return self._saved(saved, row)

    @staticmethod
    def _saved(saved, row) -> dict:
        if isinstance(saved, forms.Duplicate):
            raise ApiRefusal(409, "application-exists", id=saved.app_id, registration_number=saved.registration_number)
        if saved is None:
            raise ApiRefusal(422, "application-invalid", errors=_problems_json(row))
        return {"id": saved.app_id, "registration_number": saved.registration_number, "outcome": saved.outcome}

