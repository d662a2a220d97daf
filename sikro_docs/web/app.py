"""The public verification page: what a citizen's phone opens from a document's QR code.

    create_app(ws, rate_limit=...) -> ASGI app

Routes (paths of the QR codes accepted in any case: the QR holds `HTTPS://HOST/V/<BASE32>`):

    GET  /                       landing page with the short-code form
    GET  /V/{token}  /v/{token}  the verdict of a document's signed code
    GET  /P/{token}  /p/{token}  the progress of the application a receipt belongs to
    GET  /kode[?k=CODE]          the short-code form, or the verdict of a typed short code
    POST /kode                   the same, from the form (field `k`)
    GET  /api/v1/verify/{token}  the verdict as JSON (Verdict.as_json; never a NIK)
    GET  /.well-known/sikro-keys.json   the office's public keys (offline verifiers)
    GET  /healthz                JSON {"status": "ok"} when the database answers

The staff pages (what an archive box holds, /A/BOX/{box}) are the staff
console's, behind its sign-in (sikro_docs/console, `sikro console`): this
site has no route of the console, so it answers 404 for every one of them.

Every page takes `?lang=en` (default Bahasa Indonesia). Nothing lists or
counts documents: a document is reached only by its signed code or its
80-bit random short code.

The workspace is loaded once, at start; each request opens a read-only
session (`db.session` without write: a deferred BEGIN that only ever
reads, so it never takes SQLite's write lock) in a worker thread, so a
slow database never stalls the event loop.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import jinja2
from babel import Locale
from babel.dates import format_date, format_datetime
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import clock, db
from ..clock import office_timezone
from ..errors import SikroError
from ..verification import (
    Verdict,
    export_public_keys,
    short_code,
    uid_from_short_code,
    verify_token,
    verify_uid,
)
from ..verification.token import PROGRESS_KINDS
from ..workspace import Workspace, open_workspace
from . import i18n
from .forms import form_fields
from .progress import SopGuide, progress_of
from .rate_table import RateTable
from .security import Answers, Guard, RateLimit, log
from .settings import WebSettingError, trusted_proxies, web_limits

HERE = Path(__file__).parent
DEFAULT_RATE_LIMIT = "30/10s"
RATE_LIMIT_ENV = "SIKRO_WEB_RATE_LIMIT"  # set by `sikro serve --rate-limit` for its worker processes
# Verdicts a genuine, registered document can have; everything else is answered as "not genuine".
SHOWN_STATUSES = ("valid", "revoked", "replaced", "expired", "void")
# One answer for every code that is not a genuine, registered document of this office: malformed,
# unknown key, altered, forged or unregistered all look exactly alike, so probing the page learns nothing.
NOT_GENUINE = Verdict("invalid", reason="not a genuine code of a document registered by this office",
                      checked_online=True)
_UNSET = object()


# --------------------------------------------------------------------------- page data


@dataclass(frozen=True)
class Office:
    name: str
    regency: str
    timezone: object
    zone_name: str

    @classmethod
    def from_profile(cls, profile: dict) -> Office:
        office = profile.get("office", {})
        tz = office_timezone(profile)
        return cls(name=office.get("short_name", ""), regency=office.get("regency", ""), timezone=tz,
                   zone_name=i18n.ZONE_NAMES.get(str(tz), ""))


class Pages:
    """Jinja2 templates (sandboxed, autoescaped, strict) and the formatting every page shares."""

    def __init__(self, ws: Workspace, office: Office):
        # An office may restyle a page by putting a template of the same name in <workspace>/web/templates.
        # Such a template is data, never code: the immutable sandbox refuses underscore attributes,
        # unsafe callables and changes to what the page is given (SecurityError: the 500 page).
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(ws.root / "web" / "templates")),
                                      jinja2.FileSystemLoader(str(HERE / "templates"))])
        self.env = ImmutableSandboxedEnvironment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
        self.office = office
        self.locales = {lang: Locale.parse(lang) for lang in i18n.WORDS}

    def date(self, day: dt.date | None, lang: str) -> str | None:
        return format_date(day, i18n.DATE_PATTERN, locale=self.locales[lang]) if day else None

    def moment(self, when: dt.datetime, lang: str) -> str:
        local = when.astimezone(self.office.timezone)
        shown = format_datetime(local, i18n.DATETIME_PATTERN[lang], tzinfo=self.office.timezone,
                                locale=self.locales[lang])
        return f"{shown} {self.office.zone_name}".strip()

    def render(self, name: str, lang: str, switch_query: dict | None = None, **context) -> str:
        """The page in `lang`; the language link keeps `switch_query` (never the token: it is in the path)."""
        words = i18n.words(lang)
        switch = urlencode({**(switch_query or {}), "lang": words["switch_lang"]})
        return self.env.get_template(name).render(
            t=words, lang=lang, switch_href=f"?{switch}", office=self.office, **context)


def _language(request: Request) -> str:
    return i18n.language(request.query_params.get("lang"))


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status)


# --------------------------------------------------------------------------- verdicts


def public_verdict(verdict: Verdict) -> Verdict:
    """What the public may see of a verdict of a QR code: a registered document's, or NOT_GENUINE."""
    return verdict if verdict.status in SHOWN_STATUSES or verdict.reason_code else NOT_GENUINE


def verdict_rows(pages: Pages, verdict: Verdict, lang: str) -> list[tuple[str, str]]:
    """(label, value) of the document's details; never a NIK (a Verdict has none to give).

    The permit type's own fields come as the type labels them (`Field.shown_label`), in its order.
    """
    t = i18n.words(lang)
    named_by_type = bool(verdict.permit_type_title) and verdict.permit_type_title == verdict.kind_title
    rows = [
        (t["field_kind"], verdict.kind_title if named_by_type else i18n.kind_name(verdict.kind, verdict.kind_title, lang)),
        # The permit type, unless the document's name already says it (a permit is named by its type).
        (t["field_permit_type"], None if named_by_type else verdict.permit_type_title),
        (t["field_number"], verdict.number),
        (t["field_holder"], verdict.holder),
        *verdict.fields.items(),
        (t["field_issued"], pages.date(verdict.issued, lang)),
        (t["field_valid_until"], pages.date(verdict.valid_until, lang)),
        (t["field_issuer"], pages.office.name),
    ]
    if verdict.status == "revoked":
        rows.append((t["field_revoked_at"], pages.date(verdict.revoked_at.date() if verdict.revoked_at else None, lang)))
        rows.append((t["field_revoked_reason"], verdict.reason))
    if verdict.status == "replaced":
        rows.append((t["field_replaced_by"], verdict.replaced_by))
        rows.append((t["field_replaced_at"],
                     pages.date(verdict.replaced_at.date() if verdict.replaced_at else None, lang)))
    return [(label, value) for label, value in rows if value]


def render_verdict(pages: Pages, verdict: Verdict, lang: str, *, by_code: str | None = None) -> str:
    """The verdict page; `by_code` (a typed short code) when no signature was checked."""
    t = i18n.words(lang)
    shown = verdict.status if verdict.status in SHOWN_STATUSES else "invalid"
    if shown == "invalid":
        reason = t["reason_not_registered"] if by_code else t["reason_not_genuine"]
        # A genuine code the office no longer stands behind says why (verdict.reason_code).
        reason = t.get(f"reason_{(verdict.reason_code or '').replace('-', '_')}", reason)
        note, rows = None, []
    else:
        reason = None
        rows = verdict_rows(pages, verdict, lang)
        note = t["note_registry"] if by_code else t["note_signature"].format(key_id=verdict.key_id or "")
    return pages.render(
        "verdict.html", lang, switch_query={"k": by_code} if by_code else None,
        status=shown, headline=t[f"verdict_{shown}"],
        sentence=t[f"sentence_{shown}"].format(number=verdict.replaced_by or "-"), reason=reason,
        rows=rows, note=note, checked_at=pages.moment(clock.utcnow(), lang))


# --------------------------------------------------------------------------- progress


def standard_time_words(step, lang: str) -> str | None:
    if not step.standard_text:
        return None
    if lang == "id":
        return step.standard_text
    t = i18n.words(lang)
    if step.standard_days:
        return f"{step.standard_days:g} {t['unit_hari']}"
    if step.standard_minutes % 60 == 0:
        return f"{step.standard_minutes / 60:g} {t['unit_jam']}"
    return f"{step.standard_minutes:g} {t['unit_menit']}"


def step_words(step, lang: str) -> str:
    t = i18n.words(lang)
    if step.number is None:
        return t["step_not_started"]
    label = t["step_unknown"].format(number=step.number)
    return f"{label}: {step.activity}" if step.activity else label


def render_progress(pages: Pages, progress, lang: str) -> str:
    t = i18n.words(lang)
    step = progress.step
    role = step.role_english if lang == "en" and step.role_english else step.role_name
    rows = [
        (t["field_registration"], progress.registration_number),
        (t["field_applicant"], progress.name),
        (t["field_application_date"], pages.date(progress.application_date, lang)),
        (t["field_status"], t.get(f"status_{progress.status}", t["status_unknown"])),
        (t["field_step"], step_words(step, lang)),
        (t["field_role"], role),
        (t["field_standard_time"], standard_time_words(step, lang)),
    ]
    return pages.render("progress.html", lang, rows=[(k, v) for k, v in rows if v],
                        checked_at=pages.moment(clock.utcnow(), lang))


# --------------------------------------------------------------------------- the application


class VerificationSite:
    """The routes' handlers around one workspace, loaded once."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.pages = Pages(ws, Office.from_profile(ws.profile))
        self.limits = web_limits(ws.profile)
        self.sop = SopGuide(ws)
        db.migrate_once(ws)  # at start: no request ever runs a migration
        self.inline = inline_database(ws)

    async def blocking(self, func, *args):
        """Run database work: inline for SQLite, else in a worker thread (see inline_database)."""
        if self.inline:
            return func(*args)
        return await run_in_threadpool(func, *args)

    # --- database work (each call one read-only session; see `blocking` for where it runs)

    def _judge_token(self, token: str) -> Verdict:
        # Every code, however long or malformed, gets the same work (token.open_token).
        with db.session(self.ws) as session:
            return public_verdict(verify_token(self.ws, token, online=True, session=session))

    def _judge_receipt(self, token: str):
        """(verdict, progress): progress only for a genuine receipt in force."""
        with db.session(self.ws) as session:
            verdict = public_verdict(verify_token(self.ws, token, online=True, session=session))
            if verdict.status != "valid" or verdict.kind not in PROGRESS_KINDS:
                return verdict, None
            return verdict, progress_of(session, self.sop, verdict.document_uid)

    def _judge_uid(self, uid: str) -> Verdict:
        with db.session(self.ws) as session:
            return verify_uid(self.ws, uid, session=session)

    def _database_answers(self) -> bool:
        try:
            with db.session(self.ws) as session:
                session.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 — any failure means: not healthy; the details go to the log only
            log.warning("health check: the database does not answer", exc_info=True)
            return False

    # --- routes

    async def landing(self, request: Request) -> Response:
        lang = _language(request)
        return _html(self.pages.render("index.html", lang, code="", error=None))

    async def verify_page(self, request: Request) -> Response:
        verdict = await self.blocking(self._judge_token, request.path_params["token"])
        return _html(render_verdict(self.pages, verdict, _language(request)))

    async def progress_page(self, request: Request) -> Response:
        token = request.path_params["token"]
        verdict, progress = await self.blocking(self._judge_receipt, token)
        lang = _language(request)
        if verdict.status == "valid" and verdict.kind not in PROGRESS_KINDS:
            # a document's code opened as a receipt's: its own page says what it is
            return RedirectResponse(f"/V/{token.upper()}?lang={lang}", status_code=303)
        if progress is None:
            return _html(render_verdict(self.pages, verdict, lang))
        return _html(render_progress(self.pages, progress, lang))

    async def code_page(self, request: Request) -> Response:
        lang = _language(request)
        typed = request.query_params.get("k")
        if request.method == "POST":
            form = await _small_form(request, self.limits["form_fields"])
            typed, lang = form.get("k", ""), i18n.language(form.get("lang"))
        if typed is None:
            return _html(self.pages.render("kode.html", lang, code="", error=None))
        uid = uid_from_short_code(typed)
        if uid is None:
            error = i18n.words(lang)["code_malformed"]
            return _html(self.pages.render("kode.html", lang, code=typed[:40], error=error), status=400)
        verdict = await self.blocking(self._judge_uid, uid)
        return _html(render_verdict(self.pages, verdict, lang, by_code=short_code(uid)))

    async def verify_api(self, request: Request) -> Response:
        verdict = await self.blocking(self._judge_token, request.path_params["token"])
        return JSONResponse(verdict.as_json(), headers={"access-control-allow-origin": "*"})

    async def keys(self, request: Request) -> Response:
        try:
            data = await run_in_threadpool(export_public_keys, self.ws)
        except SikroError:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        # Offline verifiers fetch this now and then; a rotation is picked up within the hour.
        return JSONResponse(data, headers={"cache-control": "public, max-age=3600",
                                           "access-control-allow-origin": "*"})

    async def healthz(self, request: Request) -> Response:
        ok = await self.blocking(self._database_answers)
        return JSONResponse({"status": "ok" if ok else "error"}, status_code=200 if ok else 503)

    # --- errors

    async def http_error(self, request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"status": "error", "code": exc.status_code}, status_code=exc.status_code)
        lang = _language(request)
        message = i18n.words(lang).get(f"error_{exc.status_code}", i18n.words(lang)["error_other"])
        body = self.pages.render("error.html", lang, messages=[message])
        return HTMLResponse(body, status_code=exc.status_code, headers=exc.headers)

    async def client_gone(self, request: Request, exc: ClientDisconnect) -> Response:
        """A client that closed the connection mid-request: one line, nobody to answer."""
        log.warning("client went away during %s %s", request.method, request.url.path[:40])
        return Response(status_code=400)

    def bilingual_error(self, status: int) -> bytes:
        """The page of an error answered before any language is known (429, 500): both languages."""
        messages = [i18n.words(lang)[f"error_{status}"] for lang in i18n.WORDS]
        return self.pages.render("error.html", i18n.DEFAULT_LANGUAGE, messages=messages).encode("utf-8")

    def routes(self) -> list:
        routes = [Route("/", self.landing), Route("/healthz", self.healthz),
                  Route("/kode", self.code_page, methods=["GET", "POST"]),
                  Route("/api/v1/verify/{token}", self.verify_api),
                  Route("/.well-known/sikro-keys.json", self.keys),
                  Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
        for prefix in ("V", "v"):
            routes.append(Route(f"/{prefix}/{{token}}", self.verify_page))
        for prefix in ("P", "p"):
            routes.append(Route(f"/{prefix}/{{token}}", self.progress_page))
        return routes


def inline_database(ws: Workspace) -> bool:
    """True for SQLite in WAL mode: a read there is a local file read of well under a millisecond
    that never waits for a writer, so the thread hop would cost more than it saves. A server
    database (PostgreSQL) answers over the network: its queries run in worker threads.
    $SIKRO_WEB_THREADS=1 forces threads (the benchmark compares both)."""
    if os.environ.get("SIKRO_WEB_THREADS") == "1":
        return False
    return db.engine_for(ws).dialect.name == "sqlite"


async def _small_form(request: Request, max_fields: int) -> dict[str, str]:
    """The first value of each field of a url-encoded form (forms.form_fields: 400 beyond `max_fields`)."""
    fields = await form_fields(request, max_fields)
    return {name: values[0] for name, values in fields.items() if values}


def rate_limit_setting(ws: Workspace, explicit=_UNSET) -> RateLimit | None:
    """The explicit setting ("30/10s", "off", a RateLimit or None), else $SIKRO_WEB_RATE_LIMIT,
    else the profile's `[web] rate_limit`, else 30 per 10 s. Only "off"/None disables it."""
    if explicit is _UNSET:
        explicit = os.environ.get(RATE_LIMIT_ENV) or ws.profile.get("web", {}).get("rate_limit") or DEFAULT_RATE_LIMIT
    if explicit is None or isinstance(explicit, RateLimit):
        return explicit
    try:
        return RateLimit.parse(str(explicit))
    except ValueError as exc:
        raise WebSettingError("[web] rate_limit", explicit, str(exc)) from None


def create_app(ws: Workspace, *, rate_limit=_UNSET):
    """The verification site of `ws` as an ASGI app (see the module docstring for its routes)."""
    site = VerificationSite(ws)
    server_error = site.bilingual_error(500)

    async def on_crash(request: Request, exc: Exception) -> Response:
        return Response(server_error, status_code=500, media_type="text/html; charset=utf-8")

    app = Starlette(routes=site.routes(),
                    exception_handlers={HTTPException: site.http_error, ClientDisconnect: site.client_gone,
                                        Exception: on_crash})
    limit = rate_limit_setting(ws, rate_limit)
    answers = Answers(too_many_html=site.bilingual_error(429),
                      too_many_json=json.dumps({"status": "error", "code": 429}).encode(),
                      too_large_html=site.bilingual_error(413), bad_request_html=site.bilingual_error(400),
                      server_error_html=server_error)
    # One table for all of `sikro serve`'s workers when it made one (rate_table), else this process's.
    return Guard(app, limiter=RateTable.from_environment(limit) if limit else None,
                 proxies=trusted_proxies(ws.profile), body_bytes=site.limits["body_bytes"], answers=answers)


def app_from_environment():
    """The app factory uvicorn's worker processes call (`sikro serve` sets $SIKRO_WORKSPACE)."""
    return create_app(open_workspace(None))
